/**
 * SecureBucket: an S3 bucket with the controls every KFM bucket has (seed 000, "Storage and zone
 * controls"): all four public access blocks, ACLs disabled (BucketOwnerEnforced), default
 * encryption (SSE-KMS with a customer key when one is given, SSE-S3 otherwise), versioning, and a
 * deny-by-default bucket policy that refuses non-TLS requests and puts that ask for another (or,
 * unless opted out, no) encryption. Zones add their own statements and lifecycle rules.
 */
import {
  DataAwsIamPolicyDocument,
  DataAwsIamPolicyDocumentStatement,
} from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import {
  S3BucketLifecycleConfiguration,
  S3BucketLifecycleConfigurationRule,
} from '@cdktf/provider-aws/lib/s3-bucket-lifecycle-configuration';
import { S3BucketLoggingA } from '@cdktf/provider-aws/lib/s3-bucket-logging';
import { S3BucketObjectLockConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-object-lock-configuration';
import { S3BucketOwnershipControls } from '@cdktf/provider-aws/lib/s3-bucket-ownership-controls';
import { S3BucketPolicy } from '@cdktf/provider-aws/lib/s3-bucket-policy';
import { S3BucketPublicAccessBlock } from '@cdktf/provider-aws/lib/s3-bucket-public-access-block';
import { S3BucketServerSideEncryptionConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-server-side-encryption-configuration';
import { S3BucketVersioningA } from '@cdktf/provider-aws/lib/s3-bucket-versioning';
import { Construct } from 'constructs';
import { CustomerKey } from './customer-key';
import { ValidationError } from '../core/validation-error';

export type PolicyStatement = DataAwsIamPolicyDocumentStatement;

/** Where a grant writes the role's inline policy, and under which names. */
export interface GrantOptions {
  /**
   * Construct the policy and its document are created in.
   * @default - this bucket
   */
  readonly scope?: Construct;
  /** Construct id prefix: the grant creates `<id>Document` and `<id>Policy`. Ids are contract. */
  readonly id: string;
  /** Name of the inline role policy. */
  readonly policyName: string;
}

/** The object actions `grantWrite` may give (reads are `grantRead`'s). */
export type WriteAction = 's3:PutObject' | 's3:GetObject' | 's3:GetObjectVersion' | 's3:DeleteObject';

export interface ObjectLockDefault {
  /** COMPLIANCE: nobody, root included, can shorten or remove retention. */
  readonly mode: 'COMPLIANCE' | 'GOVERNANCE';
  /** Years each new object version is retained. */
  readonly years: number;
}

/** Every principal, signed or not: the subject of a bucket policy's deny statements. */
export const EVERYONE: PolicyStatement['principals'] = [{ type: '*', identifiers: ['*'] }];

/** A deny-to-everyone statement: its sid, the actions refused, where, and when (always, if no condition). */
export interface DenyStatement {
  readonly sid: string;
  readonly actions: string[];
  readonly resources: string[];
  /** @default - always */
  readonly condition?: PolicyStatement['condition'];
}

/** A move to colder storage, in days after creation or after becoming noncurrent. */
export interface ColdStorageRule {
  /** Lifecycle rule id; ids must be unique in a bucket. */
  readonly id: string;
  /** When current versions move, and where to. */
  readonly transition: { days: number; storageClass: string }[];
  /**
   * When noncurrent versions move, and where to.
   * @default - noncurrent versions stay where they are
   */
  readonly noncurrentVersionTransition?: { noncurrentDays: number; storageClass: string }[];
}

export interface SecureBucketProps {
  /** Globally unique, deterministic name (constructs/naming.ts). */
  readonly bucketName: string;
  /**
   * Customer KMS key for SSE-KMS (with S3 bucket keys).
   * @default - SSE-S3 (AES256)
   */
  readonly kmsKey?: CustomerKey;
  /**
   * Refuse puts that do not send `x-amz-server-side-encryption` (in addition to refusing puts that
   * ask for another algorithm). Turn off only for buckets that AWS services write to (log
   * delivery does not send the header).
   * @default true
   */
  readonly requireEncryptionHeader?: boolean;
  /**
   * Object Lock with a default retention applied to every new object version.
   * @default - no Object Lock
   */
  readonly objectLock?: ObjectLockDefault;
  /**
   * Where S3 server access logs go (a bucket name and a prefix).
   * @default - no access logging
   */
  readonly accessLogs?: { readonly bucketName: string; readonly prefix: string };
  /**
   * Days noncurrent versions are kept, for the whole bucket.
   * @default - noncurrent versions are kept
   */
  readonly noncurrentVersionDays?: number;
  /**
   * `prevent_destroy` on the bucket.
   * @default false
   */
  readonly protect?: boolean;
  /**
   * Let `terraform destroy` empty the bucket (dev rollback: "destroy all, verify zero residue").
   * @default false
   */
  readonly forceDestroy?: boolean;
}

export class SecureBucket extends Construct {
  readonly bucket: S3Bucket;
  readonly bucketName: string;
  readonly sseAlgorithm: 'aws:kms' | 'AES256';
  private readonly kmsKey?: CustomerKey;
  private readonly statements: PolicyStatement[] = [];
  private readonly rules: S3BucketLifecycleConfigurationRule[] = [];
  private readonly policyDocument: DataAwsIamPolicyDocument;
  private lifecycle?: S3BucketLifecycleConfiguration;
  /** The bucket's versioning (replication and lifecycle depend on it). */
  readonly versioning: S3BucketVersioningA;

  constructor(scope: Construct, id: string, props: SecureBucketProps) {
    super(scope, id);
    this.bucketName = props.bucketName;
    this.kmsKey = props.kmsKey;
    this.sseAlgorithm = props.kmsKey ? 'aws:kms' : 'AES256';
    this.bucket = new S3Bucket(this, 'Bucket', {
      bucket: props.bucketName,
      forceDestroy: props.forceDestroy ?? false,
      objectLockEnabled: props.objectLock ? true : undefined,
      ...(props.protect ? { lifecycle: { preventDestroy: true } } : {}),
    });
    const publicAccess = this.blockPublicAccess();
    this.encryptByDefault();
    this.versioning = new S3BucketVersioningA(this, 'Versioning', {
      bucket: this.bucket.id,
      versioningConfiguration: { status: 'Enabled' },
    });
    if (props.objectLock) this.lockNewVersions(props.objectLock);
    if (props.accessLogs) this.logAccess(props.accessLogs);
    this.denyInsecureRequests(props.requireEncryptionHeader ?? true);
    this.policyDocument = new DataAwsIamPolicyDocument(this, 'PolicyDocument', { statement: this.statements });
    new S3BucketPolicy(this, 'Policy', {
      bucket: this.bucket.id,
      policy: this.policyDocument.json,
      // A policy can only be attached once public access is blocked, or S3 may judge it public.
      dependsOn: [publicAccess],
    });
    this.expireByDefault(props.noncurrentVersionDays);
  }

  /** All four public access blocks, and ACLs disabled (the bucket owner owns every object). */
  private blockPublicAccess(): S3BucketPublicAccessBlock {
    const bucket = this.bucket.id;
    const publicAccess = new S3BucketPublicAccessBlock(this, 'PublicAccessBlock', {
      bucket,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
    new S3BucketOwnershipControls(this, 'OwnershipControls', {
      bucket,
      rule: { objectOwnership: 'BucketOwnerEnforced' },
    });
    return publicAccess;
  }

  /** Default encryption: SSE-KMS with the customer key and S3 bucket keys, else SSE-S3. */
  private encryptByDefault(): void {
    new S3BucketServerSideEncryptionConfigurationA(this, 'Encryption', {
      bucket: this.bucket.id,
      rule: [
        {
          applyServerSideEncryptionByDefault: {
            sseAlgorithm: this.sseAlgorithm,
            kmsMasterKeyId: this.kmsKey?.arn,
          },
          bucketKeyEnabled: this.kmsKey ? true : undefined,
        },
      ],
    });
  }

  private lockNewVersions(lock: ObjectLockDefault): void {
    new S3BucketObjectLockConfigurationA(this, 'ObjectLock', {
      bucket: this.bucket.id,
      rule: { defaultRetention: { mode: lock.mode, years: lock.years } },
      dependsOn: [this.versioning],
    });
  }

  private logAccess(logs: NonNullable<SecureBucketProps['accessLogs']>): void {
    new S3BucketLoggingA(this, 'AccessLogs', {
      bucket: this.bucket.id,
      targetBucket: logs.bucketName,
      targetPrefix: logs.prefix,
    });
  }

  /** The baseline policy: no plain-HTTP request, no put asking for another (or, if required, no) encryption. */
  private denyInsecureRequests(requireEncryptionHeader: boolean): void {
    const objects = `${this.bucket.arn}/*`;
    const sse = 's3:x-amz-server-side-encryption';
    this.statements.push(
      deny({
        sid: 'DenyInsecureTransport',
        actions: ['s3:*'],
        resources: [this.bucket.arn, objects],
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      }),
      deny({
        sid: 'DenyWrongEncryption',
        actions: ['s3:PutObject'],
        resources: [objects],
        condition: [{ test: 'StringNotEqualsIfExists', variable: sse, values: [this.sseAlgorithm] }],
      }),
    );
    if (requireEncryptionHeader) {
      this.statements.push(
        deny({
          sid: 'DenyUnencryptedPuts',
          actions: ['s3:PutObject'],
          resources: [objects],
          condition: [{ test: 'Null', variable: sse, values: ['true'] }],
        }),
      );
    }
  }

  /** Incomplete multipart uploads go after 7 days; noncurrent versions after `noncurrentDays`, if given. */
  private expireByDefault(noncurrentDays: number | undefined): void {
    this.rules.push({
      id: 'abort-incomplete-uploads',
      status: 'Enabled',
      filter: [{}],
      abortIncompleteMultipartUpload: [{ daysAfterInitiation: 7 }],
    });
    if (noncurrentDays !== undefined) {
      this.rules.push({
        id: 'expire-noncurrent-versions',
        status: 'Enabled',
        filter: [{}],
        noncurrentVersionExpiration: [{ noncurrentDays }],
      });
    }
    this.syncLifecycle();
  }

  get arn(): string {
    return this.bucket.arn;
  }

  /** ARN of the customer key the bucket encrypts with, if it has one (SSE-S3 otherwise). */
  get kmsKeyArn(): string | undefined {
    return this.kmsKey?.arn;
  }

  /** ARN of the objects under `prefix` (`prefix` without a trailing slash; '' for every object). */
  objectsArn(prefix: string): string {
    return prefix ? `${this.bucket.arn}/${prefix}/*` : `${this.bucket.arn}/*`;
  }

  /**
   * Lets `role` list and read the objects under `prefix` (and decrypt them with the bucket's key):
   * an inline role policy, least privilege, no wildcard actions.
   */
  grantRead(role: IamRole, prefix: string, opts: GrantOptions): IamRolePolicy {
    return this.grant(role, opts, [
      this.listPrefix(prefix),
      {
        sid: 'ReadZone',
        effect: 'Allow',
        actions: ['s3:GetObject', 's3:GetObjectVersion'],
        resources: [this.objectsArn(prefix)],
      },
      ...this.useKey(['kms:Decrypt']),
    ]);
  }

  /**
   * Lets `role` list the objects under `prefix` and perform `actions` on them (and encrypt with
   * the bucket's key). Whether overwrites or deletes are refused is the bucket policy's business.
   */
  grantWrite(role: IamRole, prefix: string, actions: readonly WriteAction[], opts: GrantOptions): IamRolePolicy {
    return this.grant(role, opts, [
      this.listPrefix(prefix),
      { sid: 'WriteZone', effect: 'Allow', actions: [...actions], resources: [this.objectsArn(prefix)] },
      ...this.useKey(['kms:GenerateDataKey', 'kms:Encrypt', 'kms:Decrypt']),
    ]);
  }

  private grant(role: IamRole, opts: GrantOptions, statement: PolicyStatement[]): IamRolePolicy {
    const scope = opts.scope ?? this;
    return new IamRolePolicy(scope, `${opts.id}Policy`, {
      name: opts.policyName,
      role: role.name,
      policy: new DataAwsIamPolicyDocument(scope, `${opts.id}Document`, { statement }).json,
    });
  }

  private listPrefix(prefix: string): PolicyStatement {
    return {
      sid: 'ListZonePrefix',
      effect: 'Allow',
      actions: ['s3:ListBucket', 's3:ListBucketVersions'],
      resources: [this.bucket.arn],
      condition: [{ test: 'StringLike', variable: 's3:prefix', values: [`${prefix}/*`, `${prefix}/`] }],
    };
  }

  private useKey(actions: string[]): PolicyStatement[] {
    return this.kmsKey ? [{ sid: 'UseBucketKey', effect: 'Allow', actions, resources: [this.kmsKey.arn] }] : [];
  }

  /** Adds a statement to the bucket policy. Sids must be unique. */
  addToPolicy(statement: PolicyStatement): void {
    if (statement.sid && this.statements.some((s) => s.sid === statement.sid)) {
      throw new ValidationError(
        `bucket policy already has a statement with sid "${statement.sid}"; give each statement its own sid`,
        this,
      );
    }
    this.statements.push(statement);
    this.policyDocument.putStatement([...this.statements]);
  }

  /** Adds a statement that refuses `actions` on `resources` to every principal, root included. */
  addDenyToEveryone(statement: DenyStatement): void {
    this.addToPolicy(deny(statement));
  }

  /** Adds a lifecycle rule. Ids must be unique. */
  addLifecycleRule(rule: S3BucketLifecycleConfigurationRule): void {
    if (this.rules.some((r) => r.id === rule.id)) {
      throw new ValidationError(`lifecycle already has a rule with id "${rule.id}"; give each rule its own id`, this);
    }
    this.rules.push(rule);
    this.syncLifecycle();
  }

  /** Adds a rule, for every object, that moves versions to colder storage classes as they age. */
  addColdStorageRule(rule: ColdStorageRule): void {
    this.addLifecycleRule({
      id: rule.id,
      status: 'Enabled',
      filter: [{}],
      transition: rule.transition,
      ...(rule.noncurrentVersionTransition ? { noncurrentVersionTransition: rule.noncurrentVersionTransition } : {}),
    });
  }

  private syncLifecycle(): void {
    if (!this.lifecycle) {
      this.lifecycle = new S3BucketLifecycleConfiguration(this, 'Lifecycle', {
        bucket: this.bucket.id,
        rule: [],
        dependsOn: [this.versioning],
      });
    }
    this.lifecycle.putRule([...this.rules]);
  }
}

function deny(statement: DenyStatement): PolicyStatement {
  const { sid, actions, resources, condition } = statement;
  return { sid, effect: 'Deny', principals: EVERYONE, actions, resources, ...(condition ? { condition } : {}) };
}
