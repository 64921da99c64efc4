/**
 * A namespaced Role whose rules are checked at synth time for least privilege. Refused, with a one-line
 * error naming the rule: a `*` anywhere (verbs, resources, apiGroups, resourceNames), an empty verb or
 * resource list, the privilege-escalation verbs `escalate`, `bind` and `impersonate`, and any access to
 * `secrets` not pinned to named secrets with `resourceNames`. The baseline has no ClusterRole at all.
 */
import { Construct, IConstruct } from 'constructs';
import { ITerraformDependable } from 'cdktf';
import { RoleV1 } from '@cdktf/provider-kubernetes/lib/role-v1';
import { K8sBaselineError } from './errors';
import { assertDnsLabel, COMMON_LABELS } from './labels';

export interface PolicyRule {
  /** API groups; `''` is the core group. */
  readonly apiGroups: readonly string[];
  readonly resources: readonly string[];
  readonly verbs: readonly string[];
  /**
   * Restrict the rule to these object names.
   * @default - every object of the listed resources (refused for `secrets`)
   */
  readonly resourceNames?: readonly string[];
}

const ESCALATION_VERBS = ['escalate', 'bind', 'impersonate'];

/** Throws on the first rule that is not least-privilege; returns the rules unchanged otherwise. */
export function assertLeastPrivilegeRules(rules: readonly PolicyRule[], scope: IConstruct): readonly PolicyRule[] {
  if (rules.length === 0) {
    throw new K8sBaselineError('rules is empty; a workload that needs no API access should bind no Role', scope);
  }
  rules.forEach((r, i) => {
    const at = `rule[${i}]`;
    const fields: [string, readonly string[]][] = [
      ['apiGroups', r.apiGroups],
      ['resources', r.resources],
      ['verbs', r.verbs],
      ['resourceNames', r.resourceNames ?? []],
    ];
    for (const [field, values] of fields) {
      const wild = values.find((v) => v.includes('*'));
      if (wild !== undefined) {
        throw new K8sBaselineError(
          `${at}: ${field} contains wildcard "${wild}"; list each ${field.replace(/s$/, '')} explicitly`,
          scope,
        );
      }
    }
    if (r.verbs.length === 0 || r.resources.length === 0 || r.apiGroups.length === 0) {
      throw new K8sBaselineError(`${at}: apiGroups, resources and verbs must each list at least one entry`, scope);
    }
    const esc = r.verbs.find((v) => ESCALATION_VERBS.includes(v));
    if (esc !== undefined) {
      throw new K8sBaselineError(
        `${at}: verb "${esc}" allows privilege escalation; workloads never get ${ESCALATION_VERBS.join(', ')}`,
        scope,
      );
    }
    if (r.resources.includes('secrets') && (r.resourceNames ?? []).length === 0) {
      throw new K8sBaselineError(`${at}: access to secrets must name the secrets in resourceNames`, scope);
    }
  });
  return rules;
}

export interface LeastPrivilegeRoleProps {
  /** Role name. */
  readonly name: string;
  /** Namespace the Role grants access in. */
  readonly namespace: string;
  /** Rules; checked by `assertLeastPrivilegeRules`. */
  readonly rules: readonly PolicyRule[];
  /**
   * Objects that must exist first (the namespace).
   * @default - none
   */
  readonly dependsOn?: ITerraformDependable[];
}

export class LeastPrivilegeRole extends Construct {
  public readonly name: string;

  constructor(scope: Construct, id: string, props: LeastPrivilegeRoleProps) {
    super(scope, id);
    this.name = assertDnsLabel(props.name, this);
    const rules = assertLeastPrivilegeRules(props.rules, this);
    new RoleV1(this, 'Resource', {
      metadata: { name: this.name, namespace: props.namespace, labels: { ...COMMON_LABELS } },
      rule: rules.map((r) => ({
        apiGroups: [...r.apiGroups],
        resources: [...r.resources],
        verbs: [...r.verbs],
        ...(r.resourceNames ? { resourceNames: [...r.resourceNames] } : {}),
      })),
      dependsOn: props.dependsOn,
    });
  }
}
