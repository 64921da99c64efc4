/**
 * Allow egress from a namespace's pods to ONE other namespace, on listed ports only: the sending half of
 * a cross-namespace flow (both namespaces are default-deny, so a flow needs an egress AND an ingress allow).
 */
import { Construct } from 'constructs';
import { assertDnsLabel } from './labels';
import { AllowPolicyProps, namespacePeer, networkPolicyResource } from './network-policy';
import { renderPorts } from './network-port';

export interface NamespaceEgressPolicyProps extends AllowPolicyProps {
  /** The only namespace traffic may go to. */
  readonly toNamespace: string;
}

export class NamespaceEgressPolicy extends Construct {
  constructor(scope: Construct, id: string, props: NamespaceEgressPolicyProps) {
    super(scope, id);
    networkPolicyResource(this, assertDnsLabel(props.name, this), props, {
      podSelector: {},
      policyTypes: ['Egress'],
      egress: [{ to: [namespacePeer(props.toNamespace, this, 'toNamespace')], ports: renderPorts(props.ports, this) }],
    });
  }
}
