import { bad, defineRule, knownValues, ok, Outcome } from '../engine/rule';
import { REBUILDABLE_ZONES, zoneOf } from '../engine/s3';

/** Canonical stores keep every version; only a bucket known to be in a rebuildable zone may skip it. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'Every S3 bucket of a canonical zone (any zone but work, or no known zone) has versioning Enabled.',
  remediation:
    'Add an aws_s3_bucket_versioning whose bucket references this bucket with versioning_configuration.status = "Enabled" (or tag the bucket zone = "work" if it is rebuildable).',
  covers: ['aws_s3_bucket_versioning'],
  checkov: ['CKV_AWS_21'],
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const b of ctx.ofType('aws_s3_bucket')) {
      const zone = zoneOf(b);
      if (typeof zone === 'string' && zone !== 'unknown' && (REBUILDABLE_ZONES as readonly string[]).includes(zone))
        continue;
      const v = ctx.linked(b, 'aws_s3_bucket_versioning');
      // Legacy inline versioning on the bucket is also a writer (reported by s3-bucket-single-writer).
      if (v.length === 0) {
        out.push(
          bad(
            b.address,
            `zone ${zone ?? '(none)'} is canonical and no aws_s3_bucket_versioning references this bucket`,
          ),
        );
        continue;
      }
      const statuses = v.map((x) => knownValues(x, 'versioning_configuration.status'));
      if (statuses.includes('unknown')) out.push(bad(b.address, 'versioning status is unknown at this stage'));
      // Every writer must enable it: only one of several can win in AWS.
      else if ((statuses as unknown[][]).every((s) => s.length > 0 && s.every((x) => x === 'Enabled')))
        out.push(ok(b.address));
      else out.push(bad(b.address, `zone ${zone ?? '(none)'} is canonical and versioning status is not "Enabled"`));
    }
    return out;
  },
});
