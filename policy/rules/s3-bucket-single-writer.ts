import { bad, defineRule, ok, Outcome } from '../engine/rule';
import { BUCKET_PROPERTIES, bucketWriters } from '../engine/writers';

/** A single-valued bucket property has one writer: with two, whichever applies last wins in AWS. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every S3 bucket has at most one writer of its policy, versioning, public access block and encryption configuration.',
  remediation:
    'Keep exactly one aws_s3_bucket_policy / _versioning / _public_access_block / _server_side_encryption_configuration per bucket and drop the legacy inline arguments.',
  covers: ['aws_s3_bucket'],
  checkov: [],
  evaluate(ctx) {
    return ctx.ofType('aws_s3_bucket').map((b): Outcome => {
      const problems: string[] = [];
      for (const p of BUCKET_PROPERTIES) {
        const w = bucketWriters(ctx, b, p.type, p.inline);
        if (w.length > 1)
          problems.push(
            `${p.property} has ${w.length} writers (${w.map((x) => x.address).join(', ')}); only one can win`,
          );
      }
      return problems.length ? bad(b.address, problems.join('; ')) : ok(b.address);
    });
  },
});
