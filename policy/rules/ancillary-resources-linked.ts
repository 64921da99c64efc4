import { bad, defineRule, ok, Outcome } from '../engine/rule';
import { S3_ANCILLARY_TYPES } from '../engine/writers';

/** Ancillary types and the argument that ties each instance to ONE target. */
const LINKS: ReadonlyArray<readonly [readonly string[], string, readonly string[]]> = [
  [S3_ANCILLARY_TYPES, 'bucket', ['aws_s3_bucket']],
  [
    ['aws_security_group_rule', 'aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule'],
    'security_group_id',
    ['aws_security_group'],
  ],
  [['aws_network_acl_rule'], 'network_acl_id', ['aws_network_acl']],
];

/**
 * A control that cannot be tied to the one resource it governs protects nothing verifiably: each
 * ancillary instance links by its resolved argument, else by its per-instance reference; an
 * argument that may name several targets (a conditional, a splat) or none visible (a local holding a
 * computed id) is a finding. A known name outside this configuration is not.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every ancillary resource (S3 bucket controls, security group and NACL rules) names exactly one target instance.',
  remediation:
    'Reference the target directly (aws_s3_bucket.x.id, aws_s3_bucket.x[each.key].id, or its known name), not through a conditional, splat or local holding a computed id.',
  covers: [...S3_ANCILLARY_TYPES],
  checkov: [],
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const [types, attr, targets] of LINKS) {
      for (const r of ctx.ofType(...types)) {
        const l = ctx.link(r, attr, targets);
        out.push(
          l.kind === 'unlinkable'
            ? bad(r.address, `cannot be tied to one ${targets.join('/')}: ${l.why}`)
            : ok(r.address),
        );
      }
    }
    return out;
  },
});
