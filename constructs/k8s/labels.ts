/**
 * Label keys and values the Kubernetes baseline puts on every object it creates.
 *
 * The vocabulary terms `policy_label` and `zone` (core/vocabulary.ts) are carried as prefixed keys,
 * `kfm.io/policy-label` and `kfm.io/zone`: Kubernetes convention reserves unprefixed keys for end users and
 * dashes read better than underscores in selectors. The VALUES are the vocabulary terms unchanged
 * (`restricted_sensitive_location` is a valid label value), so the policy pack can compare them verbatim.
 */
import { IConstruct } from 'constructs';
import { K8sBaselineError } from './errors';

export const LABEL_POLICY = 'kfm.io/policy-label';
export const LABEL_ZONE = 'kfm.io/zone';
export const LABEL_TIER = 'kfm.io/tier';
export const LABEL_TRUST_DOMAIN = 'kfm.io/trust-domain';
export const LABEL_PART_OF = 'app.kubernetes.io/part-of';
export const LABEL_MANAGED_BY = 'app.kubernetes.io/managed-by';

/** Set by the API server on every namespace (Kubernetes >= 1.21) and not editable by namespace owners. */
export const LABEL_NAMESPACE_NAME = 'kubernetes.io/metadata.name';

/**
 * Pod Security Admission labels for the `restricted` profile: enforced, and also audited and warned so a
 * violation shows in the audit log and in `kubectl` output, pinned to the cluster's latest profile version.
 */
export const POD_SECURITY_RESTRICTED: Readonly<Record<string, string>> = Object.freeze({
  'pod-security.kubernetes.io/enforce': 'restricted',
  'pod-security.kubernetes.io/enforce-version': 'latest',
  'pod-security.kubernetes.io/audit': 'restricted',
  'pod-security.kubernetes.io/audit-version': 'latest',
  'pod-security.kubernetes.io/warn': 'restricted',
  'pod-security.kubernetes.io/warn-version': 'latest',
});

const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Refuses a value Kubernetes would reject as a label value (max 63 chars, alphanumeric at both ends). */
export function assertLabelValue(value: string, scope: IConstruct): string {
  if (value.length > 63 || !LABEL_VALUE.test(value)) {
    throw new K8sBaselineError(
      `label value "${value}" is invalid; use at most 63 characters [A-Za-z0-9-_.] starting and ending alphanumeric`,
      scope,
    );
  }
  return value;
}

/**
 * Refuses a name that is not an RFC 1123 DNS label (namespaces, service accounts, roles, policies).
 * `field` is the prop that gave it, for the message.
 */
export function assertDnsLabel(value: string, scope: IConstruct, field = 'name'): string {
  if (value.length > 63 || !DNS_LABEL.test(value)) {
    throw new K8sBaselineError(
      `${field} "${value}" is not a DNS label; use at most 63 characters [a-z0-9-], starting and ending alphanumeric`,
      scope,
    );
  }
  return value;
}

/** Labels every baseline object carries besides its own: part-of kfm, managed by cdktf. */
export const COMMON_LABELS: Readonly<Record<string, string>> = Object.freeze({
  [LABEL_PART_OF]: 'kfm',
  [LABEL_MANAGED_BY]: 'cdktf',
});
