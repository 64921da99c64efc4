import { configuredLeaves, defineRule, judged } from '../engine/rule';

/** The VPC's default security group allows nothing, so a resource that forgets its group is unreachable. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'Every aws_default_security_group has no ingress and no egress rules.',
  remediation: 'Declare aws_default_security_group for the VPC with no ingress and no egress blocks.',
  covers: ['aws_default_security_group'],
  checkov: ['CKV2_AWS_12'],
  evaluate(ctx) {
    return ctx.ofType('aws_default_security_group').map((g) =>
      judged(
        g.address,
        ['ingress', 'egress'].map((d) => {
          const l = configuredLeaves(g, d);
          if (l.some((x) => x.unknown)) return `${d} is unknown at this stage`;
          return l.length > 0 ? `has ${l.length} ${d} rule(s)` : undefined;
        }),
      ),
    );
  },
});
