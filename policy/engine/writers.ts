import { ResourceView } from './view';
import { RuleContext } from './rule';

/** Single-valued properties of a bucket and the resources (or inline bucket arguments) that write them. */
export const BUCKET_PROPERTIES: ReadonlyArray<{
  readonly property: string;
  readonly type: string;
  readonly inline?: string;
}> = [
  { property: 'bucket policy', type: 'aws_s3_bucket_policy', inline: 'policy' },
  { property: 'versioning', type: 'aws_s3_bucket_versioning', inline: 'versioning' },
  { property: 'public access block', type: 'aws_s3_bucket_public_access_block' },
  {
    property: 'encryption configuration',
    type: 'aws_s3_bucket_server_side_encryption_configuration',
    inline: 'server_side_encryption_configuration',
  },
];

/** S3 ancillary types, each tied to one bucket by `bucket`. */
export const S3_ANCILLARY_TYPES = [
  'aws_s3_bucket_acl',
  'aws_s3_bucket_lifecycle_configuration',
  'aws_s3_bucket_logging',
  'aws_s3_bucket_object_lock_configuration',
  'aws_s3_bucket_ownership_controls',
  'aws_s3_bucket_policy',
  'aws_s3_bucket_public_access_block',
  'aws_s3_bucket_server_side_encryption_configuration',
  'aws_s3_bucket_versioning',
] as const;

/**
 * Every resource writing `type` for this bucket (per-instance links), plus the bucket itself when its
 * legacy inline argument is configured. Every one of them must comply: only one can win in AWS.
 */
export function bucketWriters(ctx: RuleContext, bucket: ResourceView, type: string, inline?: string): ResourceView[] {
  const linked = ctx.linked(bucket, type);
  return inline && bucket.isConfigured(inline) && bucket.leaves(inline).length > 0 ? [bucket, ...linked] : linked;
}
