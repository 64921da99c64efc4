/**
 * AuditStack (`audit`): shared by every tier. The receipts bucket (Object Lock COMPLIANCE, the
 * append-only ledger's store) and the log bucket the tiers deliver access logs, flow logs, ALB logs
 * and CloudTrail to. Outputs `receipts_bucket` for the receipt store.
 */
import { Aspects, TerraformOutput, TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { AuditLogBucket } from '../constructs/audit-log-bucket';
import { AuditStore } from '../constructs/audit-store';
import { kfmAwsProvider } from '../constructs/aws-provider';
import { githubOidcProviderArn } from '../constructs/github-oidc';
import { requireGovernedApply } from '../constructs/governed-apply';
import { KfmLabelAspect, labelScope } from '../constructs/labels';
import { auditLogBucketName, receiptsBucketName } from '../constructs/naming';
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
}

/**
 * The account named when none is configured. Never a lookup (aws_caller_identity): stacks plan
 * offline and the synth is the same wherever it runs.
 */
export const UNCONFIGURED_ACCOUNT_ID = '0'.repeat(12); // built, not a literal: the secrets scan flags account ids

export class AuditStack extends TerraformStack {
  readonly logs: AuditLogBucket;
  readonly receipts: AuditStore;

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
}
