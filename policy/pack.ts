import { PolicyRule } from './engine/rule';
import { rule as ebsVolumesEncrypted } from './rules/ebs-volumes-encrypted';
import { rule as noCredentialsInConfiguration } from './rules/no-credentials-in-configuration';
import { rule as noIngressFromAnywhere } from './rules/no-ingress-from-anywhere';
import { rule as prodAlarmsConfigured } from './rules/prod-alarms-configured';
import { rule as prodHighAvailability } from './rules/prod-high-availability';
import { rule as rdsDeletionProtectionInProd } from './rules/rds-deletion-protection-in-prod';
import { rule as rdsNotPubliclyAccessible } from './rules/rds-not-publicly-accessible';
import { rule as rdsStorageEncrypted } from './rules/rds-storage-encrypted';
import { rule as s3AuditBucketObjectLocked } from './rules/s3-audit-bucket-object-locked';
import { rule as s3BucketEncrypted } from './rules/s3-bucket-encrypted';
import { rule as s3BucketPublicAccessBlocked } from './rules/s3-bucket-public-access-blocked';
import { rule as s3BucketTlsOnly } from './rules/s3-bucket-tls-only';
import { rule as s3BucketVersionedInCanonicalZones } from './rules/s3-bucket-versioned-in-canonical-zones';
import { rule as tagsFromVocabulary } from './rules/tags-from-vocabulary';

/** The KFM pack: every rule file under rules/, sorted by id (a test checks none is missing). */
export const KFM_PACK: readonly PolicyRule[] = [
  ebsVolumesEncrypted,
  noCredentialsInConfiguration,
  noIngressFromAnywhere,
  prodAlarmsConfigured,
  prodHighAvailability,
  rdsDeletionProtectionInProd,
  rdsNotPubliclyAccessible,
  rdsStorageEncrypted,
  s3AuditBucketObjectLocked,
  s3BucketEncrypted,
  s3BucketPublicAccessBlocked,
  s3BucketTlsOnly,
  s3BucketVersionedInCanonicalZones,
  tagsFromVocabulary,
];
