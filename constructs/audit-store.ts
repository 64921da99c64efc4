/**
 * AuditStore: the append-only store signed receipts go to (seed 000 "Infrastructure Records").
 *
 * The receipts bucket has Object Lock with a default retention in COMPLIANCE mode (no principal,
 * root included, can shorten it or delete a locked version before it expires), versioning, SSE-KMS
 * with a customer key, a bucket policy that denies every delete, all public access blocked, and
 * a lifecycle to cold storage: GLACIER_IR after 90 days (millisecond reads, so the ledger can still
 * be verified end to end), DEEP_ARCHIVE after 3 years and for noncurrent versions after 30 days.
 *
 * The ledger APPENDER role (assumed by CI through GitHub OIDC) may exactly: s3:PutObject,
 * s3:GetObject, s3:GetObjectVersion on the objects and s3:ListBucket, s3:ListBucketVersions on the
 * bucket (plus kms:GenerateDataKey/Decrypt on the store's key, which SSE-KMS puts and gets need),
 * and is explicitly denied every action that could remove or weaken a receipt: deleting objects or
 * versions, changing retention or legal holds, bypassing governance retention, and changing the
 * bucket's lock configuration, policy or lifecycle. The ledger writer relies on the bucket's
 * default retention and sends no per-object retention headers; it must send
 * `x-amz-server-side-encryption: aws:kms` (the bucket refuses puts without it).
 */
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Construct } from 'constructs';
import { CustomerKey } from './customer-key';
import { GITHUB_OIDC_AUDIENCE, GITHUB_OIDC_HOST } from './github-oidc';
import { SecureBucket } from './secure-bucket';
import { ValidationError } from '../core/validation-error';

/** What the appender may do: nothing else. */
export const APPENDER_OBJECT_ACTIONS = ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion'] as const;
export const APPENDER_BUCKET_ACTIONS = ['s3:ListBucket', 's3:ListBucketVersions'] as const;
/** What the appender is explicitly denied (wins over any other grant). */
export const APPENDER_DENIED_ACTIONS = [
  's3:DeleteObject',
  's3:DeleteObjectVersion',
  's3:PutObjectRetention',
  's3:PutObjectLegalHold',
  's3:BypassGovernanceRetention',
  's3:PutBucketObjectLockConfiguration',
  's3:PutBucketPolicy',
  's3:DeleteBucketPolicy',
  's3:PutLifecycleConfiguration',
] as const;

/** A GitHub `owner/name`: no wildcard, so exactly one repository's workflows can append. */
const GITHUB_REPOSITORY = /^[A-Za-z0-9][A-Za-z0-9-]*\/[A-Za-z0-9._-]+$/;

export interface AuditStoreProps {
  /** Name of the receipts bucket (constructs/naming.ts `receiptsBucketName`). */
  readonly bucketName: string;
  /** Name prefix of the key alias and the appender role (constructs/naming.ts). */
  readonly namePrefix: string;
  /**
   * Years each receipt version is locked (COMPLIANCE).
   * @default 7
   */
  readonly retentionYears?: number;
  /**
   * GitHub repository (`owner/name`, no wildcard) whose workflows, in a GitHub environment, may assume
   * the appender role. Required: the construct trusts no repository on its own (stacks/aws.ts reads
   * the `kfm:ciRepository` context key).
   */
  readonly ciRepository: string;
  /**
   * ARN of the account's GitHub OIDC provider, which the bootstrap stack creates (once per account):
   * `githubOidcProviderArn(accountId)` from constructs/github-oidc.ts.
   */
  readonly githubOidcProviderArn: string;
  /**
   * GitHub environments whose jobs may assume the appender role (exact subjects, no wildcard: the
   * policy pack requires OIDC trust pinned to the repository and an environment).
   * @default - every environment the workflows append receipts from: dev, stage, prod, prod-plan,
   * drift-dev, drift-stage, drift-prod and audit
   */
  readonly appenderEnvironments?: readonly string[];
}

/** Environments of the workflows that append receipts (.github/workflows). */
export const APPENDER_ENVIRONMENTS = [
  'dev',
  'stage',
  'prod',
  'prod-plan',
  'drift-dev',
  'drift-stage',
  'drift-prod',
  'audit',
] as const;

export class AuditStore extends Construct {
  readonly key: CustomerKey;
  readonly store: SecureBucket;
  readonly appenderRole: IamRole;

  constructor(scope: Construct, id: string, props: AuditStoreProps) {
    super(scope, id);
    const years = checkRetentionYears(props.retentionYears ?? 7, this);
    const repository = checkRepository(props.ciRepository, this);
    this.key = new CustomerKey(this, 'Key', {
      alias: `${props.namePrefix}-audit-receipts`,
      description: 'KFM audit receipts (append-only ledger) at rest',
      protect: true,
    });
    this.store = this.receiptsBucket(props.bucketName, years);
    this.appenderRole = this.appender(
      props.namePrefix,
      repository,
      props.githubOidcProviderArn,
      props.appenderEnvironments ?? APPENDER_ENVIRONMENTS,
    );
  }

  /** Object Lock (COMPLIANCE), SSE-KMS with the store's key, no deletes, cold storage as receipts age. */
  private receiptsBucket(bucketName: string, years: number): SecureBucket {
    const store = new SecureBucket(this, 'Store', {
      bucketName,
      kmsKey: this.key,
      objectLock: { mode: 'COMPLIANCE', years },
      protect: true,
    });
    store.addDenyToEveryone({
      sid: 'DenyReceiptDeletion',
      actions: ['s3:DeleteObject', 's3:DeleteObjectVersion', 's3:DeleteBucket', 's3:BypassGovernanceRetention'],
      resources: [store.arn, store.objectsArn('')],
    });
    store.addColdStorageRule({
      id: 'receipts-to-cold-storage',
      transition: [
        { days: 90, storageClass: 'GLACIER_IR' },
        { days: 1095, storageClass: 'DEEP_ARCHIVE' },
      ],
      noncurrentVersionTransition: [{ noncurrentDays: 30, storageClass: 'DEEP_ARCHIVE' }],
    });
    return store;
  }

  /** The role CI assumes through GitHub OIDC: append and read receipts, never remove or unlock one. */
  private appender(namePrefix: string, repository: string, oidcArn: string, environments: readonly string[]): IamRole {
    const role = new IamRole(this, 'AppenderRole', {
      name: `${namePrefix}-audit-ledger-appender`,
      description: 'Appends signed receipts to the audit ledger; can never delete or unlock one',
      assumeRolePolicy: this.githubTrust(repository, oidcArn, environments).json,
      maxSessionDuration: 3600,
    });
    const arn = this.store.arn;
    const objects = this.store.objectsArn('');
    const appenderPolicy = new DataAwsIamPolicyDocument(this, 'AppenderDocument', {
      statement: [
        { sid: 'AppendAndReadReceipts', effect: 'Allow', actions: [...APPENDER_OBJECT_ACTIONS], resources: [objects] },
        { sid: 'ListReceipts', effect: 'Allow', actions: [...APPENDER_BUCKET_ACTIONS], resources: [arn] },
        {
          sid: 'UseReceiptKey',
          effect: 'Allow',
          actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
          resources: [this.key.arn],
        },
        {
          sid: 'NeverRemoveOrUnlock',
          effect: 'Deny',
          actions: [...APPENDER_DENIED_ACTIONS],
          resources: [arn, objects],
        },
      ],
    });
    new IamRolePolicy(this, 'AppenderPolicy', {
      name: `${namePrefix}-audit-ledger-appender`,
      role: role.name,
      policy: appenderPolicy.json,
    });
    return role;
  }

  /**
   * Trust for GitHub Actions OIDC tokens of `repository`, issued to a job in one of `environments`,
   * through the account's provider (created by the bootstrap stack, referenced here by ARN).
   */
  private githubTrust(repository: string, oidcArn: string, environments: readonly string[]): DataAwsIamPolicyDocument {
    const claim = (name: string) => `${GITHUB_OIDC_HOST}:${name}`;
    return new DataAwsIamPolicyDocument(this, 'AppenderTrust', {
      statement: [
        {
          effect: 'Allow',
          actions: ['sts:AssumeRoleWithWebIdentity'],
          principals: [{ type: 'Federated', identifiers: [oidcArn] }],
          condition: [
            { test: 'StringEquals', variable: claim('aud'), values: [GITHUB_OIDC_AUDIENCE] },
            {
              test: 'StringEquals',
              variable: claim('sub'),
              values: environments.map((e) => `repo:${repository}:environment:${e}`),
            },
          ],
        },
      ],
    });
  }
}

function checkRetentionYears(years: number, scope: Construct): number {
  if (!Number.isInteger(years) || years < 1) {
    throw new ValidationError(`retentionYears is ${years}; use a whole number of years, 1 or more`, scope);
  }
  return years;
}

function checkRepository(repository: string, scope: Construct): string {
  if (!GITHUB_REPOSITORY.test(repository)) {
    throw new ValidationError(
      `ciRepository is "${repository}"; use one GitHub repository as owner/name, without wildcards`,
      scope,
    );
  }
  return repository;
}
