/**
 * Deterministic resource names. No random suffixes and no account ids: two synths of one commit
 * give the same names, and a tier stack can name the audit stack's log bucket without a
 * cross-stack reference (stacks plan independently and offline). A real deployment sets its own
 * globally unique prefix with the `kfm:namePrefix` context key (cdktf.json "context").
 */
import { ConstructLike, ValidationError } from '../core/validation-error';
import { TierName } from '../core/vocabulary';

/** The name prefix when `kfm:namePrefix` is not set (core/installation.ts owns it). */
export { DEFAULT_NAME_PREFIX } from '../core/installation';

/** Region every stack deploys to unless `kfm:region` is set. The tier AZs below assume it. */
export const DEFAULT_REGION = 'us-east-1';

const PREFIX_RE = /^[a-z0-9][a-z0-9-]{1,30}[a-z0-9]$/;

/** The prefix, if S3 accepts it in a bucket name; `scope` is the app or stack that reads it. */
export function checkNamePrefix(prefix: string, scope?: ConstructLike): string {
  if (!PREFIX_RE.test(prefix)) {
    throw new ValidationError(
      `kfm:namePrefix is "${prefix}"; use 3-32 lowercase letters, digits or hyphens (S3 bucket name rules)`,
      scope,
    );
  }
  return prefix;
}

/** The audit stack's log bucket: S3 access logs, VPC flow logs, ALB logs and CloudTrail of every tier. */
export const auditLogBucketName = (prefix: string): string => `${prefix}-audit-access-logs`;
/** The audit stack's receipts bucket (Object Lock, COMPLIANCE): the append-only ledger store. */
export const receiptsBucketName = (prefix: string): string => `${prefix}-audit-receipts`;
/** A tier's single data bucket; zones are prefixes inside it. */
export const tierBucketName = (prefix: string, tier: TierName): string => `${prefix}-${tier}-data`;
/** A generic per-tier name (`kfm-dev-db`). */
export const tierName = (prefix: string, tier: TierName, what: string): string => `${prefix}-${tier}-${what}`;

/** The second region canonical stores replicate to (`kfm:replicaRegion`). */
export const DEFAULT_REPLICA_REGION = 'us-west-2';

/** A canonical store's replica bucket in the replica region. */
export const replicaBucketName = (bucket: string): string => `${bucket}-replica`;
