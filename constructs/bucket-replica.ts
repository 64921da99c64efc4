/**
 * BucketReplica: a canonical store's copy in a second region (issue 30, docs/disaster-recovery.md).
 *
 *   replica bucket   a SecureBucket in the replica region (through the provider alias): versioned,
 *                    public access blocked, TLS only, SSE-KMS with a key of that region, and the
 *                    source's Object Lock default retention when the source has one
 *   replica key      a customer KMS key in the replica region (keys are regional)
 *   replication      S3 replication of every object from the source: SSE-KMS objects included,
 *                    delete markers NOT replicated, and the role may not ReplicateDelete, so a
 *                    delete at the source never reaches the replica
 *   role             assumed by S3 only; reads versions of the source, writes replicas of the
 *                    destination, decrypts with the source key and encrypts with the replica key
 */
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3BucketReplicationConfigurationA } from '@cdktf/provider-aws/lib/s3-bucket-replication-configuration';
import { TerraformDataSource, TerraformResource } from 'cdktf';
import { Construct } from 'constructs';
import { CustomerKey } from './customer-key';
import { ObjectLockDefault, SecureBucket } from './secure-bucket';

/** What the replication role may do to the source's objects: read versions for replication, nothing else. */
export const REPLICATION_SOURCE_ACTIONS = [
  's3:GetObjectVersionForReplication',
  's3:GetObjectVersionAcl',
  's3:GetObjectVersionTagging',
  's3:GetObjectRetention',
  's3:GetObjectLegalHold',
] as const;
/** What it may do at the destination: write replicas (never s3:ReplicateDelete). */
export const REPLICATION_DESTINATION_ACTIONS = ['s3:ReplicateObject', 's3:ReplicateTags'] as const;

export interface BucketReplicaProps {
  /** The bucket replicated (its versioning is on: SecureBucket's default). */
  readonly source: SecureBucket;
  /** Region of the source (the key condition names S3 there). */
  readonly sourceRegion: string;
  /** The provider of the replica region (alias; constructs/aws-provider.ts `kfmReplicaProvider`). */
  readonly provider: AwsProvider;
  /** Region of the replica. */
  readonly replicaRegion: string;
  /** Name of the replica bucket (constructs/naming.ts `replicaBucketName`). */
  readonly bucketName: string;
  /** Name of the replication role and the replica key's alias. */
  readonly name: string;
  /**
   * Object Lock default retention of the replica.
   * @default - none (give the source's when it has one: a replica of a locked store is locked too)
   */
  readonly objectLock?: ObjectLockDefault;
  /**
   * `prevent_destroy` on the replica bucket and key.
   * @default false
   */
  readonly protect?: boolean;
}

export class BucketReplica extends Construct {
  readonly key: CustomerKey;
  readonly bucket: SecureBucket;
  readonly role: IamRole;
  readonly replication: S3BucketReplicationConfigurationA;

  constructor(scope: Construct, id: string, props: BucketReplicaProps) {
    super(scope, id);
    this.key = new CustomerKey(this, 'Key', {
      alias: `${props.name}-replica`,
      description: `Replica of ${props.source.bucketName} at rest (${props.replicaRegion})`,
      protect: props.protect,
    });
    this.bucket = new SecureBucket(this, 'Store', {
      bucketName: props.bucketName,
      kmsKey: this.key,
      objectLock: props.objectLock,
      protect: props.protect,
      // S3 writes the replicas; its replication requests are judged by the key, not a header.
      requireEncryptionHeader: false,
    });
    inRegion(this.key, props.provider);
    inRegion(this.bucket, props.provider);
    this.role = this.replicationRole(props);
    this.replication = new S3BucketReplicationConfigurationA(this, 'Replication', {
      bucket: props.source.bucket.id,
      role: this.role.arn,
      rule: [
        {
          id: 'replicate-everything',
          status: 'Enabled',
          priority: 1,
          filter: { prefix: '' },
          deleteMarkerReplication: { status: 'Disabled' },
          sourceSelectionCriteria: { sseKmsEncryptedObjects: { status: 'Enabled' } },
          destination: {
            bucket: this.bucket.arn,
            encryptionConfiguration: { replicaKmsKeyId: this.key.arn },
          },
        },
      ],
      dependsOn: [props.source.versioning, this.bucket.versioning],
    });
  }

  /** Assumed by S3 only: read the source's versions, write replicas, use exactly the two keys. */
  private replicationRole(props: BucketReplicaProps): IamRole {
    const trust = new DataAwsIamPolicyDocument(this, 'Trust', {
      statement: [
        {
          effect: 'Allow',
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'Service', identifiers: ['s3.amazonaws.com'] }],
        },
      ],
    });
    const role = new IamRole(this, 'Role', {
      name: `${props.name}-replication`,
      description: `S3 replication of ${props.source.bucketName} to ${props.replicaRegion}; never deletes`,
      assumeRolePolicy: trust.json,
      maxSessionDuration: 3600,
    });
    const src = props.source;
    const via = (region: string) => [
      { test: 'StringEquals', variable: 'kms:ViaService', values: [`s3.${region}.amazonaws.com`] },
    ];
    const statement = [
      {
        sid: 'ReadReplicationConfiguration',
        effect: 'Allow',
        actions: ['s3:GetReplicationConfiguration', 's3:ListBucket'],
        resources: [src.arn],
      },
      {
        sid: 'ReadSourceVersions',
        effect: 'Allow',
        actions: [...REPLICATION_SOURCE_ACTIONS],
        resources: [src.objectsArn('')],
      },
      {
        sid: 'WriteReplicas',
        effect: 'Allow',
        actions: [...REPLICATION_DESTINATION_ACTIONS],
        resources: [this.bucket.objectsArn('')],
      },
      ...(src.kmsKeyArn
        ? [
            {
              sid: 'DecryptSource',
              effect: 'Allow',
              actions: ['kms:Decrypt'],
              resources: [src.kmsKeyArn],
              condition: via(props.sourceRegion),
            },
          ]
        : []),
      {
        sid: 'EncryptReplicas',
        effect: 'Allow',
        actions: ['kms:Encrypt', 'kms:GenerateDataKey'],
        resources: [this.key.arn],
        condition: via(props.replicaRegion),
      },
    ];
    new IamRolePolicy(this, 'Policy', {
      name: `${props.name}-replication`,
      role: role.name,
      policy: new DataAwsIamPolicyDocument(this, 'Document', { statement }).json,
    });
    return role;
  }
}

/** Every resource and data source under `scope` goes through `provider` (the replica region). */
function inRegion(scope: Construct, provider: AwsProvider): void {
  for (const n of scope.node.findAll()) {
    if (n instanceof TerraformResource || n instanceof TerraformDataSource) n.provider = provider;
  }
}
