import { bad, defineRule, ok, Outcome } from '../engine/rule';
import { deniesInsecureTransport, statementsOfBucketPolicy } from '../engine/s3';

/** TLS in transit: the bucket policy denies any request with aws:SecureTransport = false. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every S3 bucket has a bucket policy that denies requests made without TLS (aws:SecureTransport = false).',
  remediation:
    'Add an aws_s3_bucket_policy for this bucket with a statement Effect "Deny", Principal "*", Action "s3:*", Condition {"Bool": {"aws:SecureTransport": "false"}}.',
  evaluate(ctx) {
    return ctx.ofType('aws_s3_bucket').map((b): Outcome => {
      const policies = ctx.linked(b, 'aws_s3_bucket_policy');
      if (policies.length === 0) return bad(b.address, 'no aws_s3_bucket_policy references this bucket');
      for (const p of policies) {
        const statements = statementsOfBucketPolicy(ctx, p);
        if (statements === 'unknown')
          return bad(b.address, `${p.address} policy cannot be read at this stage, so TLS-only cannot be verified`);
        if (deniesInsecureTransport(statements)) return ok(b.address);
      }
      return bad(b.address, 'no bucket policy statement denies aws:SecureTransport = false');
    });
  },
});
