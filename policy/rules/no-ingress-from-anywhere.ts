import { bad, defineRule, ok, Outcome, scalar } from '../engine/rule';
import { openProblems, sourcesOf, Sources } from '../engine/network';
import { ResourceView } from '../engine/view';

const GROUP = ['aws_security_group'];

/**
 * Trust membrane: nothing is reachable from the internet. CIDRs are parsed (any notation) and judged
 * by the one meaning of "public" (engine/cidr.ts `publicReach`: any internet-routable address, so
 * 0.0.0.0/1 or 2000::/3 is public) less the public ranges the platform declares trusted (publicCidrs),
 * prefix lists are resolved from the plan, and a group is judged with every ingress rule linked to it.
 * Unknown sources fail.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'No security group ingress (inline, rule or prefix list) reaches any internet-routable IPv4 or IPv6 address (not only 0.0.0.0/0 or ::/0: every block that is not private or reserved).',
  remediation:
    "Restrict ingress to known CIDRs or source security groups; expose services only through the governed load balancer. A partner's published public range is declared, with a reason, under publicCidrs in policy/config/external-resources.json (never 0.0.0.0/0, ::/0 or more than a /8 of IPv4 or a /16 of IPv6).",
  covers: [
    'aws_security_group',
    'aws_security_group_rule',
    'aws_vpc_security_group_ingress_rule',
    'aws_vpc_security_group_egress_rule',
    'aws_ec2_managed_prefix_list',
    'aws_ec2_managed_prefix_list_entry',
  ],
  checkov: ['CKV_AWS_24', 'CKV_AWS_25', 'CKV_AWS_260', 'CKV_AWS_277'],
  evaluate(ctx) {
    const out: Outcome[] = [];
    const merged = new Map<string, Sources>();
    const add = (sg: string, s: Sources): void => {
      const m = merged.get(sg) ?? { cidrs: [], unknown: [] };
      m.cidrs.push(...s.cidrs);
      merged.set(sg, m);
    };
    const reported = new Set<string>();
    const judge = (r: ResourceView, s: Sources): void => {
      const p = openProblems('', s, ctx.declared.trustedCidrs);
      out.push(p.length ? bad(r.address, p.join('; ')) : ok(r.address));
      const l = ctx.link(r, 'security_group_id', GROUP);
      if (l.kind === 'target') {
        add(l.target.address, s);
        // Already reported at the rule itself: the group is not reported twice for it.
        if (p.length) reported.add(l.target.address);
      }
    };
    for (const r of ctx.ofType('aws_vpc_security_group_ingress_rule'))
      judge(r, sourcesOf(ctx, r, ['cidr_ipv4', 'cidr_ipv6'], { path: 'prefix_list_id', attr: 'prefix_list_id' }));
    for (const r of ctx.ofType('aws_security_group_rule')) {
      const type = scalar(r, 'type');
      if (type.kind === 'unknown') {
        out.push(bad(r.address, 'type is unknown at this stage'));
        continue;
      }
      if (type.kind === 'value' && type.value !== 'ingress') continue;
      judge(
        r,
        sourcesOf(ctx, r, ['cidr_blocks', 'ipv6_cidr_blocks'], { path: 'prefix_list_ids', attr: 'prefix_list_ids' }),
      );
    }
    for (const sg of ctx.ofType('aws_security_group')) {
      const own = sourcesOf(ctx, sg, ['ingress.cidr_blocks', 'ingress.ipv6_cidr_blocks'], {
        path: 'ingress.prefix_list_ids',
        attr: 'ingress',
      });
      const p = openProblems('', own, ctx.declared.trustedCidrs);
      const rules = merged.get(sg.address);
      if (p.length === 0 && rules && !reported.has(sg.address)) {
        const together = openProblems(
          '',
          { cidrs: [...own.cidrs, ...rules.cidrs], unknown: [] },
          ctx.declared.trustedCidrs,
        );
        p.push(...together.map((t) => `with its linked rules: ${t}`));
      }
      out.push(p.length ? bad(sg.address, p.join('; ')) : ok(sg.address));
    }
    return out;
  },
});
