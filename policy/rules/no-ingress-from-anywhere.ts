import { bad, defineRule, knownValues, ok, Outcome, scalar } from '../engine/rule';
import { ResourceView } from '../engine/view';

const ANYWHERE = ['0.0.0.0/0', '::/0'];

function openCidrs(r: ResourceView, paths: readonly string[]): string | undefined {
  const problems: string[] = [];
  for (const p of paths) {
    const vals = knownValues(r, p);
    if (vals === 'unknown') problems.push(`${p} is unknown at this stage`);
    else for (const v of vals) if (ANYWHERE.includes(String(v))) problems.push(`${p} allows ${String(v)}`);
  }
  return problems.length ? problems.join('; ') : undefined;
}

/** Trust membrane: nothing is reachable from the whole internet. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'No security group ingress is open to 0.0.0.0/0 or ::/0.',
  remediation:
    'Restrict ingress to known CIDRs or source security groups; expose services only through the governed load balancer.',
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const sg of ctx.ofType('aws_security_group')) {
      const p = openCidrs(sg, ['ingress.cidr_blocks', 'ingress.ipv6_cidr_blocks']);
      out.push(p ? bad(sg.address, p) : ok(sg.address));
    }
    for (const r of ctx.ofType('aws_vpc_security_group_ingress_rule')) {
      const p = openCidrs(r, ['cidr_ipv4', 'cidr_ipv6']);
      out.push(p ? bad(r.address, p) : ok(r.address));
    }
    for (const r of ctx.ofType('aws_security_group_rule')) {
      const type = scalar(r, 'type');
      if (type.kind === 'unknown') {
        out.push(bad(r.address, 'type is unknown at this stage'));
        continue;
      }
      if (type.kind === 'value' && type.value !== 'ingress') continue;
      const p = openCidrs(r, ['cidr_blocks', 'ipv6_cidr_blocks']);
      out.push(p ? bad(r.address, p) : ok(r.address));
    }
    return out;
  },
});
