/**
 * Allow egress from a namespace's pods to ONE other namespace, on listed ports only: the sending half of
 * a cross-namespace flow (both namespaces are default-deny, so a flow needs an egress AND an ingress allow).
 */
import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { assertDnsLabel, COMMON_LABELS, LABEL_NAMESPACE_NAME } from './labels';
import { NetworkPort, renderPorts } from './network-port';

export interface NamespaceEgressPolicyProps {
  /** NetworkPolicy name, e.g. `allow-egress-to-api`. */
  readonly name: string;
  /** Namespace sending the traffic. */
  readonly namespace: string;
  /** The only namespace traffic may go to. */
  readonly toNamespace: string;
  /** Ports opened; never empty. */
  readonly ports: readonly NetworkPort[];
  /**
   * Objects that must exist first (the namespace).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

export class NamespaceEgressPolicy extends Construct {
  constructor(scope: Construct, id: string, props: NamespaceEgressPolicyProps) {
    super(scope, id);
    const where = `network policy ${props.namespace}/${props.name}`;
    new NetworkPolicyV1(this, 'Resource', {
      metadata: { name: assertDnsLabel(props.name, where), namespace: props.namespace, labels: { ...COMMON_LABELS } },
      spec: {
        podSelector: {},
        policyTypes: ['Egress'],
        egress: [
          {
            to: [
              {
                namespaceSelector: {
                  matchLabels: { [LABEL_NAMESPACE_NAME]: assertDnsLabel(props.toNamespace, `${where} toNamespace`) },
                },
              },
            ],
            ports: renderPorts(props.ports, where),
          },
        ],
      },
      dependsOn: props.dependsOn,
    });
  }
}
