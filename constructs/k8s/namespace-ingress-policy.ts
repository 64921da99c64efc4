/**
 * Allow ingress into a namespace's pods from ONE other namespace, on listed ports only. The source is
 * matched on `kubernetes.io/metadata.name`, which the API server sets and a namespace owner cannot forge.
 */
import { Construct } from 'constructs';
import { assertDnsLabel } from './labels';
import { AllowPolicyProps, namespacePeer, networkPolicyResource } from './network-policy';
import { renderPorts } from './network-port';

export interface NamespaceIngressPolicyProps extends AllowPolicyProps {
  /** The only namespace traffic may come from. */
  readonly fromNamespace: string;
  /**
   * Pods of `namespace` the rule applies to.
   * @default - every pod in the namespace
   */
  readonly podLabels?: Record<string, string>;
}

export class NamespaceIngressPolicy extends Construct {
  constructor(scope: Construct, id: string, props: NamespaceIngressPolicyProps) {
    super(scope, id);
    networkPolicyResource(this, assertDnsLabel(props.name, this), props, {
      podSelector: props.podLabels ? { matchLabels: props.podLabels } : {},
      policyTypes: ['Ingress'],
      ingress: [
        { from: [namespacePeer(props.fromNamespace, this, 'fromNamespace')], ports: renderPorts(props.ports, this) },
      ],
    });
  }
}
