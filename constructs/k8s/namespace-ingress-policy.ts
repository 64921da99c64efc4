/**
 * Allow ingress into a namespace's pods from ONE other namespace, on listed ports only. The source is
 * matched on `kubernetes.io/metadata.name`, which the API server sets and a namespace owner cannot forge.
 */
import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { assertDnsLabel, COMMON_LABELS, LABEL_NAMESPACE_NAME } from './labels';
import { NetworkPort, renderPorts } from './network-port';

export interface NamespaceIngressPolicyProps {
  /** NetworkPolicy name, e.g. `allow-api-from-ingress`. */
  readonly name: string;
  /** Namespace receiving the traffic. */
  readonly namespace: string;
  /** The only namespace traffic may come from. */
  readonly fromNamespace: string;
  /** Ports opened; never empty. */
  readonly ports: readonly NetworkPort[];
  /**
   * Pods of `namespace` the rule applies to.
   * @default - every pod in the namespace
   */
  readonly podLabels?: Record<string, string>;
  /**
   * Objects that must exist first (the namespace).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

export class NamespaceIngressPolicy extends Construct {
  constructor(scope: Construct, id: string, props: NamespaceIngressPolicyProps) {
    super(scope, id);
    const where = `network policy ${props.namespace}/${props.name}`;
    new NetworkPolicyV1(this, 'Resource', {
      metadata: { name: assertDnsLabel(props.name, where), namespace: props.namespace, labels: { ...COMMON_LABELS } },
      spec: {
        podSelector: props.podLabels ? { matchLabels: props.podLabels } : {},
        policyTypes: ['Ingress'],
        ingress: [
          {
            from: [
              {
                namespaceSelector: {
                  matchLabels: {
                    [LABEL_NAMESPACE_NAME]: assertDnsLabel(props.fromNamespace, `${where} fromNamespace`),
                  },
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
