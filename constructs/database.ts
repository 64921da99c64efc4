/**
 * Database: the tier's PostgreSQL instance in its private subnets. Never publicly accessible,
 * storage always encrypted (the customer key when given), the master password generated and kept
 * by AWS in Secrets Manager (`manage_master_user_password`; no password ever appears in config or
 * state), IAM authentication, automated backups, logs exported to CloudWatch. Prod adds multi-AZ,
 * deletion protection, a final snapshot and `prevent_destroy`.
 */
import { DbInstance } from '@cdktf/provider-aws/lib/db-instance';
import { DbSubnetGroup } from '@cdktf/provider-aws/lib/db-subnet-group';
import { Construct } from 'constructs';
import { CustomerKey } from './customer-key';
import { GuardedSecurityGroup } from './guarded-security-group';
import { Tier } from './tier';

export const DB_PORT = 5432;

export interface DatabaseProps {
  /** The tier; sizes the instance, its backups, multi-AZ and deletion protection. */
  readonly tier: Tier;
  readonly namePrefix: string;
  /** Private subnets of the subnet group (at least two AZs). */
  readonly subnetIds: readonly string[];
  /** The database's group (ingress from the backend only). */
  readonly securityGroup: GuardedSecurityGroup;
  /**
   * Customer key for storage and the managed master-user secret.
   * @default - the AWS-managed RDS key
   */
  readonly kmsKey?: CustomerKey;
}

export class Database extends Construct {
  readonly instance: DbInstance;

  constructor(scope: Construct, id: string, props: DatabaseProps) {
    super(scope, id);
    const { tier } = props;
    const name = (what: string) => `${props.namePrefix}-${tier.name}-${what}`;
    const subnetGroup = new DbSubnetGroup(this, 'SubnetGroup', {
      name: name('db'),
      subnetIds: [...props.subnetIds],
    });
    this.instance = new DbInstance(this, 'Instance', {
      identifier: name('db'),
      engine: 'postgres',
      engineVersion: '16',
      instanceClass: tier.dbInstanceClass,
      allocatedStorage: tier.dbAllocatedStorageGb,
      storageType: 'gp3',
      storageEncrypted: true,
      kmsKeyId: props.kmsKey?.arn,
      dbName: 'kfm',
      username: 'kfm_admin',
      manageMasterUserPassword: true,
      masterUserSecretKmsKeyId: props.kmsKey?.arn,
      iamDatabaseAuthenticationEnabled: true,
      port: DB_PORT,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [props.securityGroup.id],
      publiclyAccessible: false,
      multiAz: tier.dbMultiAz,
      backupRetentionPeriod: tier.dbBackupRetentionDays,
      copyTagsToSnapshot: true,
      deletionProtection: tier.protectState,
      skipFinalSnapshot: !tier.protectState,
      finalSnapshotIdentifier: tier.protectState ? name('db-final') : undefined,
      autoMinorVersionUpgrade: true,
      enabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
      ...(tier.protectState ? { lifecycle: { preventDestroy: true } } : {}),
    });
  }
}
