import { CidrRange, parseCidr, publicFamiliesOf, subtractRanges } from './cidr';
import { knownValues, RuleContext } from './rule';
import { ResourceView } from './view';

/** The CIDR sources of some paths, prefix lists resolved from the plan; unknown ones named. */
export interface Sources {
  readonly cidrs: string[];
  readonly unknown: string[];
}

/** Entries of the managed prefix lists a resource's attribute names; unresolvable ones are unknown. */
function prefixListCidrs(ctx: RuleContext, r: ResourceView, path: string, attr: string, out: Sources): void {
  const ids = knownValues(r, path);
  const count = ids === 'unknown' ? 1 : ids.length;
  if (count === 0) return;
  const lists = ctx.referenced(r, attr, ['aws_ec2_managed_prefix_list']);
  if (lists.length === 0) {
    out.unknown.push(`${path} names a prefix list whose entries this plan does not hold`);
    return;
  }
  for (const pl of lists) {
    const entries = knownValues(pl, 'entry.cidr');
    if (entries === 'unknown') out.unknown.push(`${pl.address} entries are unknown at this stage`);
    else out.cidrs.push(...entries.map(String));
    for (const e of ctx.ofType('aws_ec2_managed_prefix_list_entry')) {
      const l = ctx.link(e, 'prefix_list_id', ['aws_ec2_managed_prefix_list']);
      if (l.kind === 'target' && l.target.address === pl.address) {
        const c = knownValues(e, 'cidr');
        if (c === 'unknown') out.unknown.push(`${e.address} cidr is unknown at this stage`);
        else out.cidrs.push(...c.map(String));
      }
    }
  }
}

/** Collect CIDRs at `paths` (plus prefix lists at `prefixPath`, configured under `prefixAttr`). */
export function sourcesOf(
  ctx: RuleContext,
  r: ResourceView,
  paths: readonly string[],
  prefix?: { path: string; attr: string },
): Sources {
  const out: Sources = { cidrs: [], unknown: [] };
  for (const p of paths) {
    const vals = knownValues(r, p);
    if (vals === 'unknown') out.unknown.push(`${p} is unknown at this stage`);
    else out.cidrs.push(...vals.map(String));
  }
  if (prefix) prefixListCidrs(ctx, r, prefix.path, prefix.attr, out);
  return out;
}

/**
 * Problems: sources that reach internet-routable addresses (per family) outside the public ranges the
 * platform declares trusted (`publicCidrs` of policy/config/external-resources.json), unknown or
 * unparsable sources.
 */
export function openProblems(where: string, s: Sources, trusted: readonly CidrRange[] = []): string[] {
  const problems = s.unknown.map((u) => `${where}${u}`);
  const ranges: CidrRange[] = [];
  const invalid: string[] = [];
  for (const c of s.cidrs) {
    const r = parseCidr(c);
    if (r) ranges.push(r);
    else invalid.push(c);
  }
  const families = publicFamiliesOf(subtractRanges(ranges, trusted));
  if (invalid.length) problems.push(`${where}${invalid.length} ingress source(s) are not CIDRs`);
  for (const f of families)
    problems.push(`${where}ingress sources reach internet-routable ${f === 4 ? 'IPv4' : 'IPv6'} addresses (public)`);
  return problems;
}
