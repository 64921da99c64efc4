/**
 * What every NetworkPolicy construct of the baseline shares: the props naming the namespace and what
 * must exist first, the peer that selects one namespace by its unforgeable name label, and the one
 * `Resource` each construct makes (its name, the baseline labels, its spec).
 */
import { ITerraformDependable } from 'cdktf';
import { Construct } from 'constructs';
import { NetworkPolicyV1, NetworkPolicyV1Spec } from '@cdktf/provider-kubernetes/lib/network-policy-v1';
import { assertDnsLabel, COMMON_LABELS, LABEL_NAMESPACE_NAME } from './labels';
import { NetworkPort } from './network-port';

export interface NamespacedPolicyProps {
  /** Namespace whose pods the policy applies to. */
  readonly namespace: string;
  /**
   * Objects that must exist first (the namespace).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

/** An allow policy the caller names, opening listed ports only. */
export interface AllowPolicyProps extends NamespacedPolicyProps {
  /** NetworkPolicy name (a DNS label), e.g. `allow-api-from-ingress`. */
  readonly name: string;
  /** Ports opened; never empty. */
  readonly ports: readonly NetworkPort[];
}

/** Makes the construct's NetworkPolicy, id `Resource` (ids are contract). */
export function networkPolicyResource(
  scope: Construct,
  name: string,
  props: NamespacedPolicyProps,
  spec: NetworkPolicyV1Spec,
): NetworkPolicyV1 {
  return new NetworkPolicyV1(scope, 'Resource', {
    metadata: { name, namespace: props.namespace, labels: { ...COMMON_LABELS } },
    spec,
    dependsOn: props.dependsOn,
  });
}

/** A peer matching every pod of one namespace, by `kubernetes.io/metadata.name` (set by the API server). */
export function namespacePeer(namespace: string, scope: Construct, field: string): NamespacePeer {
  return { namespaceSelector: { matchLabels: { [LABEL_NAMESPACE_NAME]: assertDnsLabel(namespace, scope, field) } } };
}

/** A `from` (ingress) or `to` (egress) peer that selects a namespace by name. */
export interface NamespacePeer {
  readonly namespaceSelector: { readonly matchLabels: Record<string, string> };
}
