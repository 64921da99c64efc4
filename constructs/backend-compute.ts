/**
 * The tier's backend (the governed API), as two constructs: `SingleInstanceBackend` (dev, stage):
 * one instance in a private subnet; `HaBackend` (prod): a launch template and an auto scaling group
 * across every private subnet (one per AZ, min_size >= 2) behind an INTERNAL application load
 * balancer. Both take the construct id `Backend` in a tier stack (ids are contract).
 *
 * Every instance: no public IP, IMDSv2 only, encrypted root volume (the customer key when given),
 * detailed monitoring. The load balancer gets a listener only when the tier's
 * `publicIngressValidated` switch is on (plan 21.03: no production traffic before validation);
 * until then nothing can reach it.
 */
import { AutoscalingGroup } from '@cdktf/provider-aws/lib/autoscaling-group';
import { Instance } from '@cdktf/provider-aws/lib/instance';
import { LaunchTemplate } from '@cdktf/provider-aws/lib/launch-template';
import { Lb } from '@cdktf/provider-aws/lib/lb';
import { LbListener } from '@cdktf/provider-aws/lib/lb-listener';
import { LbTargetGroup } from '@cdktf/provider-aws/lib/lb-target-group';
import { Construct } from 'constructs';
import { CustomerKey } from './customer-key';
import { GuardedSecurityGroup } from './guarded-security-group';
import { labelsOf, labelTags } from './labels';
import { Tier, TierError } from './tier';

/** Port the backend listens on; health checks hit `HEALTH_CHECK_PATH` there. */
export const BACKEND_PORT = 8080;
export const HEALTH_CHECK_PATH = '/healthz';

/** IMDSv2 only, not reachable from a container behind the instance (hop limit 1). */
const INSTANCE_METADATA = { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 };

/** What both backends need. */
export interface BackendProps {
  /** The tier; sizes the instances and names every resource `<prefix>-<tier>-backend`. */
  readonly tier: Tier;
  readonly namePrefix: string;
  /** Private subnets, one per AZ: the single instance uses the first; `ha` spreads over all (at least two). */
  readonly subnetIds: readonly string[];
  /** The instances' security group. */
  readonly appSecurityGroup: GuardedSecurityGroup;
  readonly instanceProfileName: string;
  readonly amiId: string;
  /**
   * Customer key for the root volumes.
   * @default - the AWS-managed EBS key
   */
  readonly kmsKey?: CustomerKey;
}

/** The single-instance backend (dev, stage): one instance in the first private subnet. */
export class SingleInstanceBackend extends Construct {
  readonly instance: Instance;

  constructor(scope: Construct, id: string, props: BackendProps) {
    super(scope, id);
    this.instance = new Instance(this, 'Instance', {
      ami: props.amiId,
      instanceType: props.tier.instanceType,
      subnetId: props.subnetIds[0],
      vpcSecurityGroupIds: [props.appSecurityGroup.id],
      associatePublicIpAddress: false,
      iamInstanceProfile: props.instanceProfileName,
      monitoring: true,
      metadataOptions: INSTANCE_METADATA,
      rootBlockDevice: { encrypted: true, kmsKeyId: props.kmsKey?.arn, volumeType: 'gp3' },
      tags: { Name: backendName(props) },
    });
  }
}

export interface HaBackendProps extends BackendProps {
  /** The load balancer's security group. */
  readonly lbSecurityGroup: GuardedSecurityGroup;
  readonly vpcId: string;
  /** Bucket (name) for load balancer access logs, under `alb/<tier>/`. */
  readonly logBucketName: string;
}

/**
 * The HA backend (prod): a launch template and an auto scaling group across every private subnet
 * behind an internal load balancer, with an HTTPS listener only once `publicIngressValidated`.
 */
export class HaBackend extends Construct {
  readonly autoScalingGroup: AutoscalingGroup;
  readonly loadBalancer: Lb;
  readonly targetGroup: LbTargetGroup;
  /** Undefined until the tier's `publicIngressValidated` switch is on. */
  readonly listener?: LbListener;

  constructor(scope: Construct, id: string, props: HaBackendProps) {
    super(scope, id);
    const { tier } = props;
    if (props.subnetIds.length < 2) {
      throw new TierError(`subnetIds has ${props.subnetIds.length} subnet(s); ha compute needs at least two`, this);
    }
    const template = this.launchTemplate(props);
    this.loadBalancer = new Lb(this, 'LoadBalancer', {
      name: backendName(props),
      internal: true,
      loadBalancerType: 'application',
      subnets: [...props.subnetIds],
      securityGroups: [props.lbSecurityGroup.id],
      dropInvalidHeaderFields: true,
      accessLogs: { bucket: props.logBucketName, prefix: `alb/${tier.name}`, enabled: true },
    });
    this.targetGroup = this.healthCheckedTargets(props);
    this.autoScalingGroup = new AutoscalingGroup(this, 'AutoScalingGroup', {
      name: backendName(props),
      minSize: tier.minInstances,
      maxSize: tier.maxInstances,
      desiredCapacity: tier.minInstances,
      vpcZoneIdentifier: [...props.subnetIds],
      targetGroupArns: [this.targetGroup.arn],
      healthCheckType: 'ELB',
      healthCheckGracePeriod: 300,
      enabledMetrics: ['GroupInServiceInstances', 'GroupDesiredCapacity', 'GroupMinSize'],
      launchTemplate: { id: template.id, version: '$Latest' },
    });
    if (tier.publicIngressValidated) this.listener = this.httpsListener(tier.certificateArn);
  }

  /** Instances and volumes carry the scope's labels through tag specifications (the label aspect cannot). */
  private launchTemplate(props: HaBackendProps): LaunchTemplate {
    const labels = labelsOf(this);
    const specTags = { Name: backendName(props), ...(labels ? labelTags(labels) : {}) };
    return new LaunchTemplate(this, 'LaunchTemplate', {
      name: backendName(props),
      imageId: props.amiId,
      instanceType: props.tier.instanceType,
      updateDefaultVersion: true,
      iamInstanceProfile: { name: props.instanceProfileName },
      metadataOptions: INSTANCE_METADATA,
      monitoring: { enabled: true },
      networkInterfaces: [{ associatePublicIpAddress: 'false', securityGroups: [props.appSecurityGroup.id] }],
      blockDeviceMappings: [
        {
          deviceName: '/dev/xvda',
          ebs: { encrypted: 'true', kmsKeyId: props.kmsKey?.arn, volumeType: 'gp3', deleteOnTermination: 'true' },
        },
      ],
      tagSpecifications: [
        { resourceType: 'instance', tags: specTags },
        { resourceType: 'volume', tags: specTags },
      ],
    });
  }

  private healthCheckedTargets(props: HaBackendProps): LbTargetGroup {
    return new LbTargetGroup(this, 'TargetGroup', {
      name: backendName(props),
      port: BACKEND_PORT,
      protocol: 'HTTP',
      vpcId: props.vpcId,
      targetType: 'instance',
      healthCheck: {
        enabled: true,
        path: HEALTH_CHECK_PATH,
        protocol: 'HTTP',
        healthyThreshold: 2,
        unhealthyThreshold: 3,
        interval: 15,
        matcher: '200',
      },
    });
  }

  private httpsListener(certificateArn: string | undefined): LbListener {
    if (!certificateArn) {
      throw new TierError('publicIngressValidated is true but certificateArn is unset; give the certificate', this);
    }
    return new LbListener(this, 'HttpsListener', {
      loadBalancerArn: this.loadBalancer.arn,
      port: 443,
      protocol: 'HTTPS',
      sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
      certificateArn,
      defaultAction: [{ type: 'forward', targetGroupArn: this.targetGroup.arn }],
    });
  }
}

/** Either backend; a tier stack builds the one its tier's `compute` names. */
export type BackendCompute = SingleInstanceBackend | HaBackend;

function backendName({ namePrefix, tier }: BackendProps): string {
  return `${namePrefix}-${tier.name}-backend`;
}
