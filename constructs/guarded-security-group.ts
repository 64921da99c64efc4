/**
 * GuardedSecurityGroup: a security group whose rules are all declared here (inline, so Terraform
 * removes any rule added out of band) and which refuses, at synth time, any ingress from
 * 0.0.0.0/0 or ::/0. Ingress comes from other security groups, prefix lists or named CIDRs only.
 */
import { SecurityGroup, SecurityGroupEgress, SecurityGroupIngress } from '@cdktf/provider-aws/lib/security-group';
import { Construct } from 'constructs';
import { TierError, WORLD_CIDRS } from './tier';

/** One port opened to the listed sources (ingress) or destinations (egress); a rule lists at least one. */
export interface SecurityGroupRule {
  /** Why the rule exists; shown in the console and in plans. */
  readonly description: string;
  /** The one port opened (from and to). */
  readonly port: number;
  /**
   * IP protocol.
   * @default 'tcp'
   */
  readonly protocol?: string;
  /**
   * IPv4 ranges; never 0.0.0.0/0 for ingress.
   * @default - no IPv4 range
   */
  readonly cidrBlocks?: readonly string[];
  /**
   * IPv6 ranges; never ::/0 for ingress.
   * @default - no IPv6 range
   */
  readonly ipv6CidrBlocks?: readonly string[];
  /**
   * Security groups whose members are admitted or reached.
   * @default - no security group
   */
  readonly securityGroupIds?: readonly string[];
  /**
   * Managed prefix lists (e.g. the S3 gateway endpoint's).
   * @default - no prefix list
   */
  readonly prefixListIds?: readonly string[];
}

export interface GuardedSecurityGroupProps {
  readonly vpcId: string;
  /** Group name, unique in the VPC. */
  readonly name: string;
  /** What the group guards. */
  readonly description: string;
  /**
   * Ingress rules; a world-open range fails synth.
   * @default - no ingress at all
   */
  readonly ingress?: readonly SecurityGroupRule[];
  /**
   * Egress rules.
   * @default - no egress at all
   */
  readonly egress?: readonly SecurityGroupRule[];
}

function toRule(rule: SecurityGroupRule): SecurityGroupIngress & SecurityGroupEgress {
  return {
    description: rule.description,
    fromPort: rule.port,
    toPort: rule.port,
    protocol: rule.protocol ?? 'tcp',
    cidrBlocks: rule.cidrBlocks ? [...rule.cidrBlocks] : [],
    ipv6CidrBlocks: rule.ipv6CidrBlocks ? [...rule.ipv6CidrBlocks] : [],
    securityGroups: rule.securityGroupIds ? [...rule.securityGroupIds] : [],
    prefixListIds: rule.prefixListIds ? [...rule.prefixListIds] : [],
    selfAttribute: false,
  };
}

export class GuardedSecurityGroup extends Construct {
  readonly group: SecurityGroup;

  constructor(scope: Construct, id: string, props: GuardedSecurityGroupProps) {
    super(scope, id);
    for (const rule of props.ingress ?? []) {
      const open = [...(rule.cidrBlocks ?? []), ...(rule.ipv6CidrBlocks ?? [])].find((c) => WORLD_CIDRS.includes(c));
      if (open) {
        throw new TierError(
          `ingress rule "${rule.description}" allows ${open}; no security group may be open to the world, use a security group or a named CIDR`,
          this,
        );
      }
    }
    this.group = new SecurityGroup(this, 'Group', {
      vpcId: props.vpcId,
      name: props.name,
      description: props.description,
      ingress: (props.ingress ?? []).map(toRule),
      egress: (props.egress ?? []).map(toRule),
      revokeRulesOnDelete: true,
    });
  }

  get id(): string {
    return this.group.id;
  }
}
