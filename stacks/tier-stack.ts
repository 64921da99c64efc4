/**
 * TierStack: one AWS tier (dev, stage or prod) built from its `Tier` description alone. Stacks are
 * independent: each has its own state, names the audit stack's log bucket by its deterministic
 * name (never a cross-stack reference) and plans offline.
 */
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamInstanceProfile } from '@cdktf/provider-aws/lib/iam-instance-profile';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { Aspects, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import { Construct } from 'constructs';
import { AuditTrail } from '../constructs/audit-trail';
import { kfmAwsProvider, kfmReplicaProvider } from '../constructs/aws-provider';
import { BucketReplica } from '../constructs/bucket-replica';
import { BACKEND_PORT, BackendCompute, HaBackend, SingleInstanceBackend } from '../constructs/backend-compute';
import { orderAfterGovernedCheck, requireGovernedApply } from '../constructs/governed-apply';
import { CustomerKey } from '../constructs/customer-key';
import { Database, DB_PORT } from '../constructs/database';
import { GuardedSecurityGroup } from '../constructs/guarded-security-group';
import { KfmLabelAspect, labelScope } from '../constructs/labels';
import { Monitoring } from '../constructs/monitoring';
import {
  auditLogBucketName,
  DEFAULT_REPLICA_REGION,
  replicaBucketName,
  tierBucketName,
  tierName,
} from '../constructs/naming';
import { PrivateNetwork } from '../constructs/private-network';
import { SecureBucket } from '../constructs/secure-bucket';
import { kfmStateBackend } from '../constructs/state-backend';
import { StorageZone, TIER_ZONES } from '../constructs/storage-zone';
import { Tier, TierError, validateTier } from '../constructs/tier';

/** Placeholder AMI for plans; a real deployment passes `-var ami_id=...` (a hardened image). */
export const DEFAULT_AMI_ID = 'ami-0c02fb55956c7d316';

export interface TierStackProps {
  /** The tier description; validated (constructs/tier.ts `validateTier`) before anything is built. */
  readonly tier: Tier;
  readonly namePrefix: string;
  readonly region: string;
  /**
   * Prod rollback variant (plan 21.03 §6.4): ingress disabled, compute torn down, logs and data
   * kept. Planning it against the live state shows exactly what the rollback destroys.
   * @default false
   */
  readonly rollback?: boolean;
  /**
   * Plan with no network (provider skip_* flags).
   * @default - from KFM_OFFLINE (constructs/aws-provider.ts)
   */
  readonly offline?: boolean;
  /**
   * Region the zone bucket replicates to, when the tier replicates (`Tier.replicate`).
   * @default DEFAULT_REPLICA_REGION
   */
  readonly replicaRegion?: string;
}

export class TierStack extends TerraformStack {
  readonly tier: Tier;
  readonly bucket: SecureBucket;
  readonly zones: StorageZone[];
  /** The zone bucket's copy in the replica region (tiers with `replicate`). */
  readonly replica?: BucketReplica;
  readonly compute?: BackendCompute;
  readonly database: Database;
  readonly network: PrivateNetwork;

  constructor(scope: Construct, id: string, props: TierStackProps) {
    super(scope, id);
    const tier = TierStack.effectiveTier(props);
    this.tier = tier;
    const ctx: TierContext = {
      tier,
      prefix: props.namePrefix,
      name: (what: string) => tierName(props.namePrefix, tier.name, what),
      logBucket: auditLogBucketName(props.namePrefix),
    };
    this.stateAndProvider(id, props);
    const ami = this.amiVariable();
    const key = this.dataKey(ctx);
    this.network = this.privateNetwork(ctx, props.region);
    const groups = this.securityGroups(ctx, this.network);
    const workload = this.workloadIdentity(ctx);
    const storage = this.storage(ctx, key, workload.role);
    this.bucket = storage.bucket;
    this.zones = storage.zones;
    if (tier.replicate) this.replica = this.replicateZones(ctx, props);
    this.database = this.databaseFor(ctx, key, groups.db);
    if (!props.rollback) this.compute = this.backend(ctx, key, groups, workload.profile, ami);
    const monitoring = this.alarms(ctx);
    if (tier.cloudTrail) this.auditTrail(ctx);
    this.outputs(monitoring);
  }

  /** The zone bucket replicated to the replica region through the provider alias `replica`. */
  private replicateZones({ tier, name }: TierContext, props: TierStackProps): BucketReplica {
    const replicaRegion = props.replicaRegion ?? DEFAULT_REPLICA_REGION;
    const provider = kfmReplicaProvider(this, {
      region: replicaRegion,
      offline: props.offline,
      defaultTags: { project: 'kfm', tier: tier.name, managed_by: 'cdktf' },
    });
    orderAfterGovernedCheck(provider);
    const replica = new BucketReplica(this, 'DataReplica', {
      source: this.bucket,
      sourceRegion: props.region,
      provider,
      replicaRegion,
      bucketName: replicaBucketName(this.bucket.bucketName),
      name: name('data'),
      protect: tier.protectState,
    });
    labelScope(replica, { policyLabel: 'restricted', zone: 'raw' });
    return replica;
  }

  /** Rollback (plan 21.03 §6.4): the ingress switch goes off whatever it was; no compute is synthesized. */
  private static effectiveTier(props: TierStackProps): Tier {
    const base = validateTier(props.tier);
    return props.rollback
      ? { ...base, publicIngressValidated: false, ingressCidrs: [], certificateArn: undefined }
      : base;
  }

  private stateAndProvider(id: string, props: TierStackProps): void {
    const tier = this.tier;
    kfmStateBackend(this, id, { region: props.region });
    const provider = kfmAwsProvider(this, {
      region: props.region,
      offline: props.offline,
      defaultTags: { project: 'kfm', tier: tier.name, managed_by: 'cdktf' },
    });
    requireGovernedApply(this, id, provider);
    Aspects.of(this).add(new KfmLabelAspect());
  }

  private amiVariable(): TerraformVariable {
    const ami = new TerraformVariable(this, 'AmiId', {
      type: 'string',
      default: DEFAULT_AMI_ID,
      description: 'Backend machine image (no lookup at plan time: pass a hardened AMI id)',
      validation: [
        {
          condition: '${can(regex("^ami-[0-9a-f]{8,17}$", var.ami_id))}',
          errorMessage: 'ami_id must look like ami-0123456789abcdef0',
        },
      ],
    });
    ami.overrideLogicalId('ami_id');
    return ami;
  }

  private dataKey({ tier, name }: TierContext): CustomerKey | undefined {
    const key =
      tier.encryption === 'kms-customer'
        ? new CustomerKey(this, 'DataKey', {
            alias: name('data'),
            description: `KFM ${tier.name} data at rest (bucket, database, volumes)`,
            protect: tier.protectState,
          })
        : undefined;
    if (key) labelScope(key, { policyLabel: 'restricted', zone: 'raw' });
    return key;
  }

  private privateNetwork({ tier, prefix, logBucket }: TierContext, region: string): PrivateNetwork {
    const network = new PrivateNetwork(this, 'Network', {
      tier,
      region,
      namePrefix: prefix,
      flowLogBucketName: logBucket,
    });
    labelScope(network, { policyLabel: 'internal', zone: 'published' });
    return network;
  }

  /** Security groups reference each other only in ingress; egress names CIDRs, so there is no cycle. */
  private securityGroups({ tier, name }: TierContext, network: PrivateNetwork): TierSecurityGroups {
    const vpcId = network.vpc.id;
    const lbSg =
      tier.compute === 'ha'
        ? new GuardedSecurityGroup(this, 'LoadBalancerSecurityGroup', {
            vpcId,
            name: name('lb'),
            description: `KFM ${tier.name} internal load balancer; ingress only after validation`,
            ingress: tier.publicIngressValidated
              ? [{ description: 'HTTPS from validated sources', port: 443, cidrBlocks: tier.ingressCidrs }]
              : [],
            egress: [{ description: 'to backend', port: BACKEND_PORT, cidrBlocks: [tier.vpcCidr] }],
          })
        : undefined;
    const appSg = new GuardedSecurityGroup(this, 'BackendSecurityGroup', {
      vpcId,
      name: name('backend'),
      description: `KFM ${tier.name} backend`,
      ingress: [
        lbSg
          ? { description: 'from the load balancer', port: BACKEND_PORT, securityGroupIds: [lbSg.id] }
          : { description: 'from inside the tier network', port: BACKEND_PORT, cidrBlocks: [tier.vpcCidr] },
      ],
      egress: [
        { description: 'to the database', port: DB_PORT, cidrBlocks: [tier.vpcCidr] },
        {
          description: 'to S3 via the gateway endpoint',
          port: 443,
          prefixListIds: [network.s3Endpoint.prefixListId],
        },
      ],
    });
    const dbSg = new GuardedSecurityGroup(this, 'DatabaseSecurityGroup', {
      vpcId,
      name: name('db'),
      description: `KFM ${tier.name} database; backend only`,
      ingress: [{ description: 'from the backend', port: DB_PORT, securityGroupIds: [appSg.id] }],
    });
    for (const sg of [lbSg, appSg]) if (sg) labelScope(sg, { policyLabel: 'internal', zone: 'published' });
    labelScope(dbSg, { policyLabel: 'restricted', zone: 'catalog' });
    return { lb: lbSg, app: appSg, db: dbSg };
  }

  /** The governed API's identity: the backend's instance role. Zone roles trust it (role chaining). */
  private workloadIdentity({ tier, name }: TierContext): { role: IamRole; profile: IamInstanceProfile } {
    const workload = new Construct(this, 'Workload');
    labelScope(workload, { policyLabel: 'internal', zone: 'published' });
    const workloadRole = new IamRole(workload, 'Role', {
      name: name('backend'),
      description: `KFM ${tier.name} governed API (backend instances)`,
      assumeRolePolicy: new DataAwsIamPolicyDocument(workload, 'TrustPolicy', {
        statement: [
          {
            effect: 'Allow',
            actions: ['sts:AssumeRole'],
            principals: [{ type: 'Service', identifiers: ['ec2.amazonaws.com'] }],
          },
        ],
      }).json,
    });
    new IamRolePolicy(workload, 'AssumeZoneRoles', {
      name: name('assume-zone-roles'),
      role: workloadRole.name,
      policy: new DataAwsIamPolicyDocument(workload, 'AssumeZoneRolesDocument', {
        statement: [
          {
            effect: 'Allow',
            actions: ['sts:AssumeRole'],
            resources: TIER_ZONES.filter((z) => z !== 'published')
              .flatMap((z) => [
                `arn:aws:iam::*:role/${name(`${z}-reader`)}`,
                `arn:aws:iam::*:role/${name(`${z}-writer`)}`,
              ])
              .concat([`arn:aws:iam::*:role/${name('published-writer')}`]),
          },
        ],
      }).json,
    });
    const profile = new IamInstanceProfile(workload, 'InstanceProfile', {
      name: name('backend'),
      role: workloadRole.name,
    });
    return { role: workloadRole, profile };
  }

  private storage(
    { tier, prefix, logBucket }: TierContext,
    key: CustomerKey | undefined,
    workloadRole: IamRole,
  ): { bucket: SecureBucket; zones: StorageZone[] } {
    const bucket = new SecureBucket(this, 'DataBucket', {
      bucketName: tierBucketName(prefix, tier.name),
      kmsKey: key,
      accessLogs: { bucketName: logBucket, prefix: `s3-access/${tier.name}/` },
      noncurrentVersionDays: tier.noncurrentVersionDays,
      protect: tier.protectState,
      forceDestroy: !tier.protectState,
    });
    labelScope(bucket, { policyLabel: 'restricted', zone: 'raw' });
    const zoneIds = {
      raw: 'RawZone',
      work: 'WorkZone',
      processed: 'ProcessedZone',
      catalog: 'CatalogZone',
      published: 'PublishedZone',
    };
    const zones = TIER_ZONES.map(
      (zone) =>
        new StorageZone(this, zoneIds[zone], {
          zone,
          tier,
          bucket,
          namePrefix: prefix,
          workloadRole,
          governedApiRole: workloadRole,
        }),
    );
    return { bucket, zones };
  }

  private databaseFor(
    { tier, prefix }: TierContext,
    key: CustomerKey | undefined,
    dbSg: GuardedSecurityGroup,
  ): Database {
    const subnetIds = this.network.subnets.map((s) => s.id);
    const database = new Database(this, 'Database', {
      tier,
      namePrefix: prefix,
      subnetIds,
      securityGroup: dbSg,
      kmsKey: key,
    });
    labelScope(database, { policyLabel: 'restricted', zone: 'catalog' });
    return database;
  }

  private backend(
    { tier, prefix, logBucket }: TierContext,
    key: CustomerKey | undefined,
    groups: TierSecurityGroups,
    profile: IamInstanceProfile,
    ami: TerraformVariable,
  ): BackendCompute {
    const common = {
      tier,
      namePrefix: prefix,
      subnetIds: this.network.subnets.map((s) => s.id),
      appSecurityGroup: groups.app,
      instanceProfileName: profile.name,
      amiId: ami.stringValue,
      kmsKey: key,
    };
    const compute =
      tier.compute === 'ha'
        ? new HaBackend(this, 'Backend', {
            ...common,
            lbSecurityGroup: this.loadBalancerGroup(groups),
            vpcId: this.network.vpc.id,
            logBucketName: logBucket,
          })
        : new SingleInstanceBackend(this, 'Backend', common);
    labelScope(compute, { policyLabel: 'internal', zone: 'published' });
    return compute;
  }

  /** The load balancer's group, which `securityGroups` makes for every `ha` tier. */
  private loadBalancerGroup(groups: TierSecurityGroups): GuardedSecurityGroup {
    if (!groups.lb) throw new TierError(`tier ${this.tier.name} has ha compute but no load balancer group`, this);
    return groups.lb;
  }

  /** Alarms to SNS: database always; instance health in single mode; targets, 5xx and capacity in HA. */
  private alarms({ tier, name }: TierContext): Monitoring {
    const monitoring = new Monitoring(this, 'Monitoring', { topicName: name('alarms'), alarmPrefix: name('alarm') });
    labelScope(monitoring, { policyLabel: 'internal', zone: 'audit' });
    const db = { DBInstanceIdentifier: this.database.instance.identifier };
    monitoring.addAlarm({
      id: 'DatabaseCpuHigh',
      namespace: 'AWS/RDS',
      metricName: 'CPUUtilization',
      dimensions: db,
      statistic: 'Average',
      comparison: 'GreaterThanThreshold',
      threshold: 80,
      evaluationPeriods: 5,
      description: 'Database CPU above 80% for 5 minutes',
    });
    monitoring.addAlarm({
      id: 'DatabaseStorageLow',
      namespace: 'AWS/RDS',
      metricName: 'FreeStorageSpace',
      dimensions: db,
      statistic: 'Minimum',
      comparison: 'LessThanThreshold',
      threshold: 2 * 1024 ** 3,
      description: 'Database free storage below 2 GiB',
    });
    const compute = this.compute;
    if (compute instanceof SingleInstanceBackend) {
      monitoring.addAlarm({
        id: 'BackendStatusCheckFailed',
        namespace: 'AWS/EC2',
        metricName: 'StatusCheckFailed',
        dimensions: { InstanceId: compute.instance.id },
        statistic: 'Maximum',
        comparison: 'GreaterThanOrEqualToThreshold',
        threshold: 1,
        description: 'Backend instance failed its health (status) checks',
      });
    }
    if (compute instanceof HaBackend) {
      monitoring.addAlarm({
        id: 'BackendUnhealthyHosts',
        namespace: 'AWS/ApplicationELB',
        metricName: 'UnHealthyHostCount',
        dimensions: { TargetGroup: compute.targetGroup.arnSuffix, LoadBalancer: compute.loadBalancer.arnSuffix },
        statistic: 'Maximum',
        comparison: 'GreaterThanThreshold',
        threshold: 0,
        description: 'A backend target fails the load balancer health check',
      });
      monitoring.addAlarm({
        id: 'Backend5xx',
        namespace: 'AWS/ApplicationELB',
        metricName: 'HTTPCode_Target_5XX_Count',
        dimensions: { LoadBalancer: compute.loadBalancer.arnSuffix },
        statistic: 'Sum',
        comparison: 'GreaterThanThreshold',
        threshold: 10,
        treatMissingData: 'notBreaching',
        description: 'More than 10 backend 5xx responses a minute',
      });
      monitoring.addAlarm({
        id: 'BackendCapacityLow',
        namespace: 'AWS/AutoScaling',
        metricName: 'GroupInServiceInstances',
        dimensions: { AutoScalingGroupName: compute.autoScalingGroup.name },
        statistic: 'Minimum',
        comparison: 'LessThanThreshold',
        threshold: tier.minInstances,
        description: `Fewer than ${tier.minInstances} backend instances in service`,
      });
    }
    return monitoring;
  }

  private auditTrail({ tier, name, logBucket }: TierContext): void {
    const trail = new AuditTrail(this, 'AuditTrail', {
      trailName: name('trail'),
      logBucketName: logBucket,
      keyPrefix: `cloudtrail/${tier.name}`,
      dataBucketArn: this.bucket.arn,
    });
    labelScope(trail, { policyLabel: 'internal', zone: 'audit' });
  }

  private outputs(monitoring: Monitoring): void {
    new TerraformOutput(this, 'DataBucketName', { value: this.bucket.bucket.bucket }).overrideLogicalId('data_bucket');
    new TerraformOutput(this, 'AlarmTopicArn', { value: monitoring.topic.arn }).overrideLogicalId('alarm_topic_arn');
  }
}

/** What every step of a tier stack reads. */
interface TierContext {
  readonly tier: Tier;
  readonly prefix: string;
  /** `<prefix>-<tier>-<what>`: every name in the tier. */
  readonly name: (what: string) => string;
  /** The audit stack's log bucket (by its deterministic name, never a cross-stack reference). */
  readonly logBucket: string;
}

interface TierSecurityGroups {
  /**
   * The load balancer's group.
   * @default - none: the tier's compute is `single`
   */
  readonly lb?: GuardedSecurityGroup;
  readonly app: GuardedSecurityGroup;
  readonly db: GuardedSecurityGroup;
}
