/**
 * A namespace for one trust domain, admitted only under the Pod Security `restricted` profile and labelled
 * with its policy_label / zone from the controlled vocabularies (seed 000, "Cluster/runtime hygiene").
 */
import { Construct } from 'constructs';
import { NamespaceV1 } from '@cdktf/provider-kubernetes/lib/namespace-v1';
import { assertPolicyLabel, assertZone, PolicyLabel, TierName, Zone } from '../../core/vocabulary';
import {
  assertDnsLabel,
  COMMON_LABELS,
  LABEL_POLICY,
  LABEL_TIER,
  LABEL_TRUST_DOMAIN,
  LABEL_ZONE,
  POD_SECURITY_RESTRICTED,
} from './labels';

export interface RestrictedNamespaceProps {
  /** Namespace name; an RFC 1123 DNS label, e.g. `kfm-api`. */
  readonly name: string;
  /** Tier the namespace belongs to; becomes the `kfm.io/tier` label. */
  readonly tier: TierName;
  /**
   * The most sensitive `policy_label` of data the namespace's workloads may hold. Checked against the
   * controlled vocabulary again at synth: an unknown label (from JavaScript or context) fails synth.
   */
  readonly policyLabel: PolicyLabel;
  /**
   * Truth-path zone the namespace's workloads serve or write.
   * @default - no `kfm.io/zone` label (the namespace holds no zone data, e.g. the ingress proxy)
   */
  readonly zone?: Zone;
}

export class RestrictedNamespace extends Construct {
  /** The namespace name, for other objects' `metadata.namespace`. */
  public readonly name: string;
  public readonly resource: NamespaceV1;

  constructor(scope: Construct, id: string, props: RestrictedNamespaceProps) {
    super(scope, id);
    this.name = assertDnsLabel(props.name, this);
    const labels: Record<string, string> = {
      ...COMMON_LABELS,
      ...POD_SECURITY_RESTRICTED,
      [LABEL_TIER]: props.tier,
      [LABEL_TRUST_DOMAIN]: this.name,
      [LABEL_POLICY]: assertPolicyLabel(props.policyLabel, this),
    };
    if (props.zone !== undefined) labels[LABEL_ZONE] = assertZone(props.zone, this);
    this.resource = new NamespaceV1(this, 'Resource', {
      metadata: { name: this.name, labels },
      // The default service account must exist before DefaultServiceAccountV1 can lock it down.
      waitForDefaultServiceAccount: true,
    });
  }
}
