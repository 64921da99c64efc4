/**
 * Deny all ingress and egress for every pod of a namespace (seed 000: "network policies (deny by default,
 * explicit egress)"). Allow policies are additive, so each needed flow is a separate, named NetworkPolicy.
 */
import { Construct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { NetworkPolicyV1 } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { COMMON_LABELS } from './labels';

export interface DefaultDenyNetworkPolicyProps {
  /** Namespace to close. */
  readonly namespace: string;
  /**
   * Objects that must exist first (the namespace).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

export class DefaultDenyNetworkPolicy extends Construct {
  public static readonly POLICY_NAME = 'default-deny-all';

  constructor(scope: Construct, id: string, props: DefaultDenyNetworkPolicyProps) {
    super(scope, id);
    new NetworkPolicyV1(this, 'Resource', {
      metadata: {
        name: DefaultDenyNetworkPolicy.POLICY_NAME,
        namespace: props.namespace,
        labels: { ...COMMON_LABELS },
      },
      spec: {
        // Empty selector: every pod in the namespace, including ones created later.
        podSelector: {},
        policyTypes: ['Ingress', 'Egress'],
      },
      dependsOn: props.dependsOn,
    });
  }
}
