/**
 * Allow traffic between a namespace's pods and listed private CIDRs, on listed ports only: egress to the
 * tier's database and private object-storage endpoints, or ingress from the tier's internal load balancer.
 * A world-open range (`0.0.0.0/0`, `::/0`, or any prefix shorter than /8) is refused: the trust membrane
 * keeps public clients away from workloads and workloads away from the internet.
 */
import { Construct, IConstruct } from 'constructs';
import { K8sBaselineError } from './errors';
import { assertDnsLabel } from './labels';
import { AllowPolicyProps, networkPolicyResource } from './network-policy';
import { renderPorts } from './network-port';

export interface CidrPolicyProps extends AllowPolicyProps {
  /** `Egress`: pods may connect to the CIDRs. `Ingress`: the CIDRs may connect to the pods. */
  readonly direction: 'Ingress' | 'Egress';
  /** Private ranges; never empty, never world-open. */
  readonly cidrs: readonly string[];
}

const IPV4_CIDR = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;
const MIN_PREFIX = 8;

/** Refuses anything but a well-formed IPv4 CIDR with a prefix of /8 or longer. */
export function assertPrivateCidr(cidr: string, scope: IConstruct): string {
  if (/\/0+$/.test(cidr)) {
    throw new K8sBaselineError(
      `cidr "${cidr}" is open to the world; allow only private ranges of /${MIN_PREFIX} or longer`,
      scope,
    );
  }
  const m = IPV4_CIDR.exec(cidr);
  const octetsOk = m !== null && m.slice(1, 5).every((o) => Number(o) <= 255);
  const prefix = m === null ? NaN : Number(m[5]);
  if (!m || !octetsOk || prefix > 32) {
    throw new K8sBaselineError(`cidr "${cidr}" is not an IPv4 CIDR; use a private range such as 10.10.0.0/16`, scope);
  }
  if (prefix < MIN_PREFIX) {
    throw new K8sBaselineError(
      `cidr "${cidr}" is open to the world (prefix /${prefix}); allow only private ranges of /${MIN_PREFIX} or longer`,
      scope,
    );
  }
  return cidr;
}

export class CidrPolicy extends Construct {
  constructor(scope: Construct, id: string, props: CidrPolicyProps) {
    super(scope, id);
    if (props.cidrs.length === 0) {
      throw new K8sBaselineError('cidrs is empty; list the private ranges to allow or drop the policy', this);
    }
    const peers = props.cidrs.map((c) => ({ ipBlock: { cidr: assertPrivateCidr(c, this) } }));
    const ports = renderPorts(props.ports, this);
    networkPolicyResource(this, assertDnsLabel(props.name, this), props, {
      podSelector: {},
      policyTypes: [props.direction],
      ...(props.direction === 'Egress' ? { egress: [{ to: peers, ports }] } : { ingress: [{ from: peers, ports }] }),
    });
  }
}
