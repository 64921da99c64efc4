import { CidrRange, parseCidr, publicFamiliesOf, subtractRanges } from '../engine/cidr';
import { asBool, configuredLeaves, defineRule, judged, Outcome, scalar } from '../engine/rule';
import { ResourceView } from '../engine/view';

/** Remote administration and file transfer ports checkov's NACL checks name (FTP 20/21, SSH 22, RDP 3389). */
const ADMIN_PORTS = [20, 21, 22, 3389];

interface Entry {
  readonly where: string;
  readonly allow: boolean | 'unknown';
  readonly cidrs: string[] | 'unknown';
  /** Ports it opens: 'all', a range, or unknown. */
  readonly ports: 'all' | readonly [number, number] | 'unknown';
  /** Rule number: AWS evaluates entries in ascending order and the first match decides. */
  readonly number?: number;
}

function entryOf(where: string, v: Record<string, unknown>, actionKey: string, numberKey: string): Entry {
  const action = v[actionKey];
  const n = v[numberKey];
  const protocol = v.protocol;
  const from = v.from_port;
  const to = v.to_port;
  const cidrs = [v.cidr_block, v.ipv6_cidr_block].filter((c) => c !== null && c !== undefined && c !== '');
  return {
    where,
    allow: typeof action === 'string' ? action.toLowerCase() === 'allow' : 'unknown',
    cidrs: cidrs.every((c) => typeof c === 'string') ? (cidrs as string[]) : 'unknown',
    ports:
      protocol === '-1' || protocol === -1 || protocol === 'all'
        ? 'all'
        : typeof from === 'number' && typeof to === 'number'
          ? [from, to]
          : 'unknown',
    number: typeof n === 'number' ? n : undefined,
  };
}

function touchesPort(e: Entry, p: number): boolean {
  const ports = e.ports;
  return (
    ports === 'all' || (ports !== 'unknown' && ((ports[0] === 0 && ports[1] === 0) || (p >= ports[0] && p <= ports[1])))
  );
}

const rangesOf = (cidrs: readonly string[]): CidrRange[] =>
  cidrs.map(parseCidr).filter((r): r is CidrRange => r !== undefined);

/**
 * Ranges that reach admin port `p` through an allow entry, in rule-number order: what an earlier deny
 * of that port (with a known number) covers is shadowed for every later allow. An entry without a
 * known number cannot be placed and shadows nothing.
 */
function openRanges(entries: readonly Entry[], p: number): CidrRange[] {
  const sorted = [...entries].sort((a, b) => (a.number ?? Infinity) - (b.number ?? Infinity));
  const denied: CidrRange[] = [];
  const open: CidrRange[] = [];
  for (const e of sorted) {
    if (e.cidrs === 'unknown' || !touchesPort(e, p)) continue;
    if (!e.allow) {
      if (e.number !== undefined) denied.push(...rangesOf(e.cidrs));
      continue;
    }
    open.push(...subtractRanges(rangesOf(e.cidrs), denied));
  }
  return open;
}

function problems(entries: readonly Entry[], trusted: readonly CidrRange[]): string[] {
  const out: string[] = [];
  const known: Entry[] = [];
  for (const e of entries) {
    if (e.allow === 'unknown' || e.cidrs === 'unknown' || e.ports === 'unknown')
      out.push(`${e.where} is unknown at this stage`);
    else known.push(e);
  }
  // A public range the platform declares trusted (publicCidrs) is not "anywhere".
  if (ADMIN_PORTS.some((p) => publicFamiliesOf(subtractRanges(openRanges(known, p), trusted)).length > 0))
    out.push(`ingress allows ports ${ADMIN_PORTS.join('/')} (or all ports) from internet-routable addresses`);
  return out;
}

function inlineEntries(r: ResourceView): Entry[] {
  return configuredLeaves(r, 'ingress').map((l, i) =>
    l.unknown
      ? { where: `ingress[${i}]`, allow: 'unknown' as const, cidrs: 'unknown' as const, ports: 'unknown' as const }
      : entryOf(`ingress[${i}]`, (l.value ?? {}) as Record<string, unknown>, 'action', 'rule_no'),
  );
}

/** Trust membrane at the subnet edge: no NACL lets the internet reach admin ports. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'No network ACL (inline, default or aws_network_acl_rule) allows ingress to ports 20, 21, 22, 3389 or all ports from any internet-routable address, in rule-number order (what an earlier deny covers is shadowed for a later allow).',
  remediation:
    "Restrict NACL ingress for admin ports to known CIDRs (a partner's published public range is declared, with a reason, under publicCidrs in policy/config/external-resources.json), or deny them; open only the service ports the governed edge needs.",
  covers: ['aws_network_acl', 'aws_network_acl_rule', 'aws_default_network_acl', 'aws_network_acl_association'],
  checkov: ['CKV_AWS_229', 'CKV_AWS_230', 'CKV_AWS_231', 'CKV_AWS_232', 'CKV_AWS_352'],
  evaluate(ctx) {
    const out: Outcome[] = [];
    const byAcl = new Map<string, Entry[]>();
    for (const r of ctx.ofType('aws_network_acl_rule')) {
      const egress = scalar(r, 'egress');
      if (egress.kind === 'value' && asBool(egress.value) === true) continue;
      const v: Record<string, unknown> = {};
      for (const k of [
        'rule_action',
        'rule_number',
        'protocol',
        'from_port',
        'to_port',
        'cidr_block',
        'ipv6_cidr_block',
      ]) {
        const s = scalar(r, k);
        v[k] = s.kind === 'unknown' ? undefined : s.kind === 'value' ? s.value : null;
        if (s.kind === 'unknown') v[k] = Symbol.for('unknown');
      }
      const entry = entryOf(r.address, v, 'rule_action', 'rule_number');
      // A rule of an ACL in this configuration is judged with the ACL's other entries (order matters);
      // one on an ACL outside it, alone.
      const l = ctx.link(r, 'network_acl_id', ['aws_network_acl']);
      if (l.kind === 'target') byAcl.set(l.target.address, [...(byAcl.get(l.target.address) ?? []), entry]);
      out.push(judged(r.address, l.kind === 'target' ? [] : problems([entry], ctx.declared.trustedCidrs)));
    }
    for (const acl of ctx.ofType('aws_network_acl', 'aws_default_network_acl'))
      out.push(
        judged(
          acl.address,
          problems([...inlineEntries(acl), ...(byAcl.get(acl.address) ?? [])], ctx.declared.trustedCidrs),
        ),
      );
    return out;
  },
});
