/**
 * BackendCompute: the tier's backend (the governed API). `single` (dev, stage): one instance in a
 * private subnet. `ha` (prod): a launch template and an auto scaling group across every private
 * subnet (one per AZ, min_size >= 2) behind an INTERNAL application load balancer.
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

export interface BackendComputeProps {
  readonly tier: Tier;
  readonly namePrefix: string;
  readonly subnetIds: readonly string[];
  readonly appSecurityGroup: GuardedSecurityGroup;
  /** Required for `ha`: the load balancer's group. */
  readonly lbSecurityGroup?: GuardedSecurityGroup;
  readonly vpcId: string;
  readonly instanceProfileName: string;
  readonly amiId: string;
  /** @default - the AWS-managed EBS key */
  readonly kmsKey?: CustomerKey;
  /** Bucket (name) for load balancer access logs, under `alb/<tier>/`. */
  readonly logBucketName: string;
}

export class BackendCompute extends Construct {
  readonly instance?: Instance;
  readonly autoScalingGroup?: AutoscalingGroup;
  readonly loadBalancer?: Lb;
  readonly targetGroup?: LbTargetGroup;
  readonly listener?: LbListener;

  constructor(scope: Construct, id: string, props: BackendComputeProps) {
    super(scope, id);
    const { tier } = props;
    const name = (what: string) => `${props.namePrefix}-${tier.name}-${what}`;
    const metadata = { httpTokens: 'required', httpEndpoint: 'enabled', httpPutResponseHopLimit: 1 };

    if (tier.compute === 'single') {
      this.instance = new Instance(this, 'Instance', {
        ami: props.amiId,
        instanceType: tier.instanceType,
        subnetId: props.subnetIds[0],
        vpcSecurityGroupIds: [props.appSecurityGroup.id],
        associatePublicIpAddress: false,
        iamInstanceProfile: props.instanceProfileName,
        monitoring: true,
        metadataOptions: metadata,
        rootBlockDevice: { encrypted: true, kmsKeyId: props.kmsKey?.arn, volumeType: 'gp3' },
        tags: { Name: name('backend') },
      });
      return;
    }

    if (!props.lbSecurityGroup) throw new TierError('ha compute needs lbSecurityGroup', this.node.path);
    if (props.subnetIds.length < 2) throw new TierError('ha compute needs at least two subnets', this.node.path);
    const labels = labelsOf(this);
    const specTags = { Name: name('backend'), ...(labels ? labelTags(labels) : {}) };
    const template = new LaunchTemplate(this, 'LaunchTemplate', {
      name: name('backend'),
      imageId: props.amiId,
      instanceType: tier.instanceType,
      updateDefaultVersion: true,
      iamInstanceProfile: { name: props.instanceProfileName },
      metadataOptions: metadata,
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
    this.loadBalancer = new Lb(this, 'LoadBalancer', {
      name: name('backend'),
      internal: true,
      loadBalancerType: 'application',
      subnets: [...props.subnetIds],
      securityGroups: [props.lbSecurityGroup.id],
      dropInvalidHeaderFields: true,
      accessLogs: { bucket: props.logBucketName, prefix: `alb/${tier.name}`, enabled: true },
    });
    this.targetGroup = new LbTargetGroup(this, 'TargetGroup', {
      name: name('backend'),
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
    this.autoScalingGroup = new AutoscalingGroup(this, 'AutoScalingGroup', {
      name: name('backend'),
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
    if (tier.publicIngressValidated) {
      if (!tier.certificateArn) throw new TierError('publicIngressValidated needs certificateArn', this.node.path);
      this.listener = new LbListener(this, 'HttpsListener', {
        loadBalancerArn: this.loadBalancer.arn,
        port: 443,
        protocol: 'HTTPS',
        sslPolicy: 'ELBSecurityPolicy-TLS13-1-2-2021-06',
        certificateArn: tier.certificateArn,
        defaultAction: [{ type: 'forward', targetGroupArn: this.targetGroup.arn }],
      });
    }
  }
}
