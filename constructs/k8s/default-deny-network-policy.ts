/**
 * Deny all ingress and egress for every pod of a namespace (seed 000: "network policies (deny by default,
 * explicit egress)"). Allow policies are additive, so each needed flow is a separate, named NetworkPolicy.
 */
import { Construct } from 'constructs';
import { NamespacedPolicyProps, networkPolicyResource } from './network-policy';

export type DefaultDenyNetworkPolicyProps = NamespacedPolicyProps;

export class DefaultDenyNetworkPolicy extends Construct {
  public static readonly POLICY_NAME = 'default-deny-all';

  constructor(scope: Construct, id: string, props: DefaultDenyNetworkPolicyProps) {
    super(scope, id);
    networkPolicyResource(this, DefaultDenyNetworkPolicy.POLICY_NAME, props, {
      // Empty selector: every pod in the namespace, including ones created later.
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
  }
}
