/**
 * PrivateNetwork: one isolated network segment per tier (plan 21.03): a VPC with private subnets
 * only (no internet gateway, no NAT, no public IPs), a route table with the local route and the S3
 * gateway endpoint only, the VPC's default security group stripped of every rule, and VPC flow
 * logs (all traffic) delivered to the audit stack's log bucket.
 */
import { DefaultSecurityGroup } from '@cdktf/provider-aws/lib/default-security-group';
import { FlowLog } from '@cdktf/provider-aws/lib/flow-log';
import { RouteTable } from '@cdktf/provider-aws/lib/route-table';
import { RouteTableAssociation } from '@cdktf/provider-aws/lib/route-table-association';
import { Subnet } from '@cdktf/provider-aws/lib/subnet';
import { Vpc } from '@cdktf/provider-aws/lib/vpc';
import { VpcEndpoint } from '@cdktf/provider-aws/lib/vpc-endpoint';
import { Construct } from 'constructs';
import { Tier } from './tier';

export interface PrivateNetworkProps {
  /** The tier; its VPC CIDR and one private subnet per AZ suffix. */
  readonly tier: Tier;
  /** Region; a subnet's AZ is `<region><azSuffix>`. */
  readonly region: string;
  readonly namePrefix: string;
  /** Bucket (name) that receives flow logs, under `flow-logs/<tier>/`. */
  readonly flowLogBucketName: string;
}

export class PrivateNetwork extends Construct {
  readonly vpc: Vpc;
  readonly subnets: Subnet[];
  readonly routeTable: RouteTable;
  readonly s3Endpoint: VpcEndpoint;

  constructor(scope: Construct, id: string, props: PrivateNetworkProps) {
    super(scope, id);
    const { tier } = props;
    const name = (what: string) => `${props.namePrefix}-${tier.name}-${what}`;
    this.vpc = new Vpc(this, 'Vpc', {
      cidrBlock: tier.vpcCidr,
      enableDnsSupport: true,
      enableDnsHostnames: true,
      tags: { Name: name('vpc') },
    });
    new DefaultSecurityGroup(this, 'DefaultSecurityGroup', { vpcId: this.vpc.id, ingress: [], egress: [] });
    this.routeTable = new RouteTable(this, 'PrivateRouteTable', {
      vpcId: this.vpc.id,
      tags: { Name: name('private') },
    });
    this.subnets = tier.subnets.map((s, i) => {
      const az = `${props.region}${s.azSuffix}`;
      const subnet = new Subnet(this, `PrivateSubnet${i + 1}`, {
        vpcId: this.vpc.id,
        cidrBlock: s.cidr,
        availabilityZone: az,
        mapPublicIpOnLaunch: false,
        tags: { Name: name(`private-${az}`) },
      });
      new RouteTableAssociation(this, `PrivateSubnet${i + 1}Routes`, {
        subnetId: subnet.id,
        routeTableId: this.routeTable.id,
      });
      return subnet;
    });
    this.s3Endpoint = new VpcEndpoint(this, 'S3Endpoint', {
      vpcId: this.vpc.id,
      serviceName: `com.amazonaws.${props.region}.s3`,
      vpcEndpointType: 'Gateway',
      routeTableIds: [this.routeTable.id],
    });
    new FlowLog(this, 'FlowLog', {
      vpcId: this.vpc.id,
      trafficType: 'ALL',
      logDestinationType: 's3',
      logDestination: `arn:aws:s3:::${props.flowLogBucketName}/flow-logs/${tier.name}/`,
      maxAggregationInterval: 60,
    });
  }
}
