import { bad, defineRule, ok, Outcome } from '../engine/rule';
import { tlsDenyCoverage } from '../engine/iam';
import { bucketArn, statementsOfBucketPolicy } from '../engine/s3';
import { bucketWriters } from '../engine/writers';

/** TLS in transit: every bucket policy writer denies every request without TLS to the bucket and its objects. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every S3 bucket policy denies every s3 action on the bucket and all its objects for every principal when aws:SecureTransport is false, with no narrowing condition.',
  remediation:
    'Add one aws_s3_bucket_policy for this bucket with a statement Effect "Deny", Principal "*", Action "s3:*", Resource [bucket ARN, bucket ARN + "/*"], Condition {"Bool": {"aws:SecureTransport": "false"}} and nothing else.',
  covers: ['aws_s3_bucket', 'aws_s3_bucket_policy'],
  checkov: [],
  evaluate(ctx) {
    return ctx.ofType('aws_s3_bucket').map((b): Outcome => {
      const policies = bucketWriters(ctx, b, 'aws_s3_bucket_policy', 'policy');
      if (policies.length === 0) return bad(b.address, 'no aws_s3_bucket_policy references this bucket');
      const problems: string[] = [];
      for (const p of policies) {
        const statements = statementsOfBucketPolicy(ctx, p);
        if (statements === 'unknown') {
          problems.push(`${p.address} policy cannot be read at this stage, so TLS-only cannot be verified`);
          continue;
        }
        const verdicts = statements.map((s) => tlsDenyCoverage(s, bucketArn(b)));
        if (verdicts.some((v) => v.covers)) continue;
        const unknown = verdicts.find((v) => !v.covers && v.unknown);
        const why = unknown ?? verdicts.find((v) => !v.covers && v.why !== 'not a Deny') ?? verdicts[0];
        problems.push(
          unknown && !unknown.covers
            ? `${p.address} statement ${unknown.unknown} is unknown at this stage, so TLS-only cannot be verified`
            : `${p.address}: ${why && !why.covers ? why.why : 'no statement'} (no statement denies every request without TLS)`,
        );
      }
      return problems.length ? bad(b.address, problems.join('; ')) : ok(b.address);
    });
  },
});
