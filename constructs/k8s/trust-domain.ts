/**
 * One trust domain of the cluster (seed 000: "Namespaces (separate trust domains)"), closed by default:
 * a `restricted` Pod Security namespace, a default-deny NetworkPolicy for ingress and egress, DNS egress,
 * a ResourceQuota and LimitRange sized by the tier, the namespace's `default` service account with its
 * token unmounted, and the workload's own least-privilege identity. Flows to other domains or to the
 * private network are added next to it (stacks/k8s.ts), each as its own named NetworkPolicy.
 */
import { Construct } from 'constructs';
import { DefaultServiceAccountV1 } from '@cdktf/provider-kubernetes/lib/default-service-account-v1';
import { PolicyLabel, Zone } from '../../core/vocabulary';
import { DefaultDenyNetworkPolicy } from './default-deny-network-policy';
import { DnsEgressPolicy } from './dns-egress-policy';
import { K8sTier } from './k8s-tier';
import { COMMON_LABELS } from './labels';
import { PolicyRule } from './least-privilege-role';
import { NamespaceBudget } from './namespace-budget';
import { RestrictedNamespace } from './restricted-namespace';
import { WorkloadIdentity } from './workload-identity';

export interface TrustDomainProps {
  /** Tier; sizes the budget and labels the namespace. */
  readonly tier: K8sTier;
  /** Namespace name, e.g. `kfm-api`. */
  readonly namespace: string;
  /** Most sensitive `policy_label` the domain may hold (controlled vocabulary). */
  readonly policyLabel: PolicyLabel;
  /**
   * Truth-path zone the domain serves or writes.
   * @default - no zone label
   */
  readonly zone?: Zone;
  /** The domain's workload: its service account name and Kubernetes API rules. */
  readonly workload: {
    readonly serviceAccountName: string;
    readonly rules: readonly PolicyRule[];
  };
}

export class TrustDomain extends Construct {
  public readonly namespace: RestrictedNamespace;
  public readonly workload: WorkloadIdentity;

  constructor(scope: Construct, id: string, props: TrustDomainProps) {
    super(scope, id);
    this.namespace = new RestrictedNamespace(this, 'Namespace', {
      name: props.namespace,
      tier: props.tier.name,
      policyLabel: props.policyLabel,
      zone: props.zone,
    });
    const ns = this.namespace.name;
    const dependsOn = [this.namespace.resource];
    new DefaultDenyNetworkPolicy(this, 'DefaultDeny', { namespace: ns, dependsOn });
    new DnsEgressPolicy(this, 'AllowDnsEgress', { namespace: ns, dependsOn });
    new NamespaceBudget(this, 'Budget', {
      namespace: ns,
      quota: props.tier.quota,
      containerLimits: props.tier.containerLimits,
      dependsOn,
    });
    new DefaultServiceAccountV1(this, 'DefaultServiceAccount', {
      metadata: { namespace: ns, labels: { ...COMMON_LABELS } },
      automountServiceAccountToken: false,
      dependsOn,
    });
    this.workload = new WorkloadIdentity(this, 'Workload', {
      name: props.workload.serviceAccountName,
      namespace: ns,
      rules: props.workload.rules,
      dependsOn,
    });
  }
}
