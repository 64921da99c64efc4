/**
 * Allow traffic between a namespace's pods and listed private CIDRs, on listed ports only: egress to the
 * tier's database and private object-storage endpoints, or ingress from the tier's internal load balancer.
 * A world-open range (`0.0.0.0/0`, `::/0`, or any prefix shorter than /8) is refused: the trust membrane
 * keeps public clients away from workloads and workloads away from the internet.
 */
import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { K8sBaselineError } from './errors';
import { assertDnsLabel, COMMON_LABELS } from './labels';
import { NetworkPort, renderPorts } from './network-port';

export interface CidrPolicyProps {
  /** NetworkPolicy name, e.g. `allow-egress-private-network`. */
  readonly name: string;
  /** Namespace whose pods the rule applies to. */
  readonly namespace: string;
  /** `Egress`: pods may connect to the CIDRs. `Ingress`: the CIDRs may connect to the pods. */
  readonly direction: 'Ingress' | 'Egress';
  /** Private ranges; never empty, never world-open. */
  readonly cidrs: readonly string[];
  /** Ports opened; never empty. */
  readonly ports: readonly NetworkPort[];
  /**
   * Objects that must exist first (the namespace).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const MIN_PREFIX = 8;

/** Refuses anything but a well-formed IPv4 CIDR with a prefix of /8 or longer. */
export function assertPrivateCidr(cidr: string, where: string): string {
  if (/\/0+$/.test(cidr)) {
    throw new K8sBaselineError(
      `${where}: "${cidr}" is open to the world; allow only private ranges of /${MIN_PREFIX} or longer`,
    );
  }
  const m = IPV4_CIDR.exec(cidr);
  const octetsOk = m !== null && m.slice(1, 5).every((o) => Number(o) <= 255);
  const prefix = m === null ? NaN : Number(m[5]);
  if (!m || !octetsOk || prefix > 32) {
    throw new K8sBaselineError(`${where}: "${cidr}" is not an IPv4 CIDR; use a private range such as 10.10.0.0/16`);
  }
  if (prefix < MIN_PREFIX) {
    throw new K8sBaselineError(
      `${where}: "${cidr}" is open to the world (prefix /${prefix}); allow only private ranges of /${MIN_PREFIX} or longer`,
    );
  }
  return cidr;
}

export class CidrPolicy extends Construct {
  constructor(scope: Construct, id: string, props: CidrPolicyProps) {
    super(scope, id);
    const where = `network policy ${props.namespace}/${props.name}`;
    if (props.cidrs.length === 0) {
      throw new K8sBaselineError(`${where}: cidrs is empty; list the private ranges to allow or drop the policy`);
    }
    const peers = props.cidrs.map((c) => ({ ipBlock: { cidr: assertPrivateCidr(c, where) } }));
    const ports = renderPorts(props.ports, where);
    new NetworkPolicyV1(this, 'Resource', {
      metadata: { name: assertDnsLabel(props.name, where), namespace: props.namespace, labels: { ...COMMON_LABELS } },
      spec: {
        podSelector: {},
        policyTypes: [props.direction],
        ...(props.direction === 'Egress' ? { egress: [{ to: peers, ports }] } : { ingress: [{ from: peers, ports }] }),
      },
      dependsOn: props.dependsOn,
    });
  }
}
