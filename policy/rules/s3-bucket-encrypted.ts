import { EXTERNAL_FILE } from '../engine/external';
import { bad, defineRule, knownValues, ok, Outcome, RuleContext } from '../engine/rule';
import { ResourceView } from '../engine/view';

const ALGORITHMS = ['aws:kms', 'aws:kms:dsse', 'AES256'];
const KEY_PATH = 'rule.apply_server_side_encryption_by_default.kms_master_key_id';

/**
 * The bucket key is this account's: a key of this configuration, a key id or alias (same account), or
 * an ARN of an account the platform declares. Another account's key hands it the data's availability.
 */
function keyProblem(ctx: RuleContext, c: ResourceView): string | undefined {
  const leaves = c.leaves(KEY_PATH);
  if (leaves.length === 0) return undefined;
  if (leaves.some((l) => l.unknown)) {
    const from = c.sources('rule.0.apply_server_side_encryption_by_default.0.kms_master_key_id');
    return from.length === 0 || from.every((s) => s.kind === 'resource')
      ? undefined
      : 'kms_master_key_id is unknown at this stage and not a key of this configuration, so its account cannot be verified';
  }
  for (const l of leaves) {
    const m = /^arn:aws[a-z-]*:kms:[^:]*:(\d{12}):/.exec(String((l as { value: unknown }).value));
    if (m && !ctx.declared.entry('accounts', m[1]))
      return `kms_master_key_id is a key of account ${m[1]}, not declared under "accounts" in ${EXTERNAL_FILE}`;
  }
  return undefined;
}

/** Encryption at rest for buckets: an explicit server-side encryption configuration. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every S3 bucket has a server-side encryption configuration with a default algorithm (SSE-KMS preferred) and, when it names a KMS key, a key of this account or a declared one.',
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
        const key = keyProblem(ctx, c);
        if (key) return bad(b.address, `${c.address} ${key}`);
      }
      return ok(b.address);
    });
  },
});
