import { PolicyRule } from './engine/rule';
import { rule as ancillaryResourcesLinked } from './rules/ancillary-resources-linked';
import { rule as autoscalingGroupTagsFromVocabulary } from './rules/autoscaling-group-tags-from-vocabulary';
import { rule as dbTlsRequired } from './rules/db-tls-required';
import { rule as defaultSecurityGroupRestrictsAll } from './rules/default-security-group-restricts-all';
import { rule as dmsReplicationInstancePrivate } from './rules/dms-replication-instance-private';
import { rule as docdbClusterEncrypted } from './rules/docdb-cluster-encrypted';
import { rule as ebsVolumesEncrypted } from './rules/ebs-volumes-encrypted';
import { rule as ec2Imdsv2Required } from './rules/ec2-imdsv2-required';
import { rule as ec2NoPublicIp } from './rules/ec2-no-public-ip';
import { rule as efsFileSystemEncrypted } from './rules/efs-file-system-encrypted';
import { rule as eipOnlyForNatGateways } from './rules/eip-only-for-nat-gateways';
import { rule as eksEndpointPrivate } from './rules/eks-endpoint-private';
import { rule as lambdaFunctionUrlAuthenticated } from './rules/lambda-function-url-authenticated';
import { rule as lbInternalOnly } from './rules/lb-internal-only';
import { rule as lbListenersHttps } from './rules/lb-listeners-https';
import { rule as logsDeliveredInsidePlatform } from './rules/logs-delivered-inside-platform';
import { rule as naclNoAdminPortsFromAnywhere } from './rules/nacl-no-admin-ports-from-anywhere';
import { rule as noCloudChangesAtApply } from './rules/no-cloud-changes-at-apply';
import { rule as noCredentialsInConfiguration } from './rules/no-credentials-in-configuration';
import { rule as noIngressFromAnywhere } from './rules/no-ingress-from-anywhere';
import { rule as prodAlarmsConfigured } from './rules/prod-alarms-configured';
import { rule as prodHighAvailability } from './rules/prod-high-availability';
import { rule as rdsDeletionProtectionInProd } from './rules/rds-deletion-protection-in-prod';
import { rule as rdsNotPubliclyAccessible } from './rules/rds-not-publicly-accessible';
import { rule as rdsStorageEncrypted } from './rules/rds-storage-encrypted';
import { rule as redshiftClusterEncrypted } from './rules/redshift-cluster-encrypted';
import { rule as redshiftNotPubliclyAccessible } from './rules/redshift-not-publicly-accessible';
import { rule as resourcePoliciesLeastPrivilege } from './rules/resource-policies-least-privilege';
import { rule as resourceTypesReviewed } from './rules/resource-types-reviewed';
import { rule as s3AuditBucketObjectLocked } from './rules/s3-audit-bucket-object-locked';
import { rule as s3BucketEncrypted } from './rules/s3-bucket-encrypted';
import { rule as s3BucketPublicAccessBlocked } from './rules/s3-bucket-public-access-blocked';
import { rule as s3BucketSingleWriter } from './rules/s3-bucket-single-writer';
import { rule as s3BucketTlsOnly } from './rules/s3-bucket-tls-only';
import { rule as s3BucketVersionedInCanonicalZones } from './rules/s3-bucket-versioned-in-canonical-zones';
import { rule as s3CanonicalBucketsReplicated } from './rules/s3-canonical-buckets-replicated';
import { rule as securitySettingsRequired } from './rules/security-settings-required';
import { rule as tagsFromVocabulary } from './rules/tags-from-vocabulary';
import { rule as targetsInPlanOrDeclared } from './rules/targets-in-plan-or-declared';

/** The KFM pack: every rule file under rules/, sorted by id (a test checks none is missing). */
export const KFM_PACK: readonly PolicyRule[] = [
  ancillaryResourcesLinked,
  autoscalingGroupTagsFromVocabulary,
  dbTlsRequired,
  defaultSecurityGroupRestrictsAll,
  dmsReplicationInstancePrivate,
  docdbClusterEncrypted,
  ebsVolumesEncrypted,
  ec2Imdsv2Required,
  ec2NoPublicIp,
  efsFileSystemEncrypted,
  eipOnlyForNatGateways,
  eksEndpointPrivate,
  lambdaFunctionUrlAuthenticated,
  lbInternalOnly,
  lbListenersHttps,
  logsDeliveredInsidePlatform,
  naclNoAdminPortsFromAnywhere,
  noCloudChangesAtApply,
  noCredentialsInConfiguration,
  noIngressFromAnywhere,
  prodAlarmsConfigured,
  prodHighAvailability,
  rdsDeletionProtectionInProd,
  rdsNotPubliclyAccessible,
  rdsStorageEncrypted,
  redshiftClusterEncrypted,
  redshiftNotPubliclyAccessible,
  resourcePoliciesLeastPrivilege,
  resourceTypesReviewed,
  s3AuditBucketObjectLocked,
  s3BucketEncrypted,
  s3BucketPublicAccessBlocked,
  s3BucketSingleWriter,
  s3BucketTlsOnly,
  s3BucketVersionedInCanonicalZones,
  s3CanonicalBucketsReplicated,
  securitySettingsRequired,
  tagsFromVocabulary,
  targetsInPlanOrDeclared,
];
