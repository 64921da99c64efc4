import { bad, defineRule, knownValues, ok, Outcome } from '../engine/rule';

const ALGORITHMS = ['aws:kms', 'aws:kms:dsse', 'AES256'];

/** Encryption at rest for buckets: an explicit server-side encryption configuration. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every S3 bucket has a server-side encryption configuration with a default algorithm (SSE-KMS preferred).',
  remediation:
    'Add an aws_s3_bucket_server_side_encryption_configuration whose bucket references this bucket, with rule.apply_server_side_encryption_by_default.sse_algorithm = "aws:kms".',
  covers: ['aws_s3_bucket_server_side_encryption_configuration'],
  checkov: ['CKV_AWS_19', 'CKV_AWS_145'],
  evaluate(ctx) {
    return ctx.ofType('aws_s3_bucket').map((b): Outcome => {
      const configs = ctx.linked(b, 'aws_s3_bucket_server_side_encryption_configuration');
      if (configs.length === 0)
        return bad(b.address, 'no aws_s3_bucket_server_side_encryption_configuration references this bucket');
      for (const c of configs) {
        const algs = knownValues(c, 'rule.apply_server_side_encryption_by_default.sse_algorithm');
        if (algs === 'unknown') return bad(b.address, `${c.address} sse_algorithm is unknown at this stage`);
        if (algs.length === 0)
          return bad(b.address, `${c.address} sets no apply_server_side_encryption_by_default.sse_algorithm`);
        const wrong = algs.filter((a) => !ALGORITHMS.includes(String(a)));
        if (wrong.length)
          return bad(
            b.address,
            `${c.address} sse_algorithm "${wrong.join(', ')}" is not one of ${ALGORITHMS.join(', ')}`,
          );
      }
      return ok(b.address);
    });
  },
});
