import { bad, defineRule, ok, Outcome, scalar } from '../engine/rule';

const FLAGS = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'] as const;
const PUBLIC_ACLS = ['public-read', 'public-read-write', 'authenticated-read'];

/** No bucket is public: no public ACL, and a public access block with all four flags on. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'Every S3 bucket has a public access block with all four flags true and no public ACL.',
  remediation:
    'Add an aws_s3_bucket_public_access_block whose bucket references this bucket with block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets = true; remove public ACLs.',
  covers: ['aws_s3_bucket_public_access_block', 'aws_s3_bucket_acl', 'aws_s3_bucket_ownership_controls'],
  checkov: ['CKV_AWS_53', 'CKV_AWS_54', 'CKV_AWS_55', 'CKV_AWS_56', 'CKV2_AWS_6', 'CKV_AWS_20'],
  evaluate(ctx) {
    return ctx.ofType('aws_s3_bucket').map((b): Outcome => {
      const problems: string[] = [];
      const acls = [b, ...ctx.linked(b, 'aws_s3_bucket_acl')];
      for (const r of acls) {
        const acl = scalar(r, 'acl');
        if (acl.kind === 'unknown') problems.push(`${r.address} acl is unknown at this stage`);
        else if (acl.kind === 'value' && PUBLIC_ACLS.includes(String(acl.value)))
          problems.push(`${r.address} grants a public ACL`);
      }
      const blocks = ctx.linked(b, 'aws_s3_bucket_public_access_block');
      if (blocks.length === 0) problems.push('no aws_s3_bucket_public_access_block references this bucket');
      for (const pab of blocks) {
        for (const f of FLAGS) {
          const s = scalar(pab, f);
          if (s.kind === 'unknown') problems.push(`${pab.address} ${f} is unknown at this stage`);
          else if (s.kind === 'absent' || s.value !== true) problems.push(`${pab.address} ${f} is not true`);
        }
      }
      return problems.length ? bad(b.address, problems.join('; ')) : ok(b.address);
    });
  },
});
