/**
 * Least privilege: roles name their verbs, resources and API groups (no `*`), never grant the verbs
 * that hand out more privilege (escalate, bind, impersonate) or read secrets; bindings grant a Role of
 * their own namespace to a service account, never a ClusterRole; service accounts do not mount a token.
 */
import { asList, asObject, KubernetesFinding, KubernetesRule, namespaceOf, ofKind } from './rule';

const ESCALATING_VERBS = ['escalate', 'bind', 'impersonate'];

function ruleProblems(rule: Record<string, unknown>): string[] {
  const out: string[] = [];
  for (const field of ['verbs', 'resources', 'apiGroups'] as const)
    if (asList(rule[field]).includes('*')) out.push(`grants * in ${field}`);
  const escalating = asList(rule.verbs).filter((v) => ESCALATING_VERBS.includes(String(v)));
  if (escalating.length > 0) out.push(`grants ${escalating.join(', ')}`);
  if (asList(rule.resources).includes('secrets')) out.push('grants access to secrets');
  if (asList(rule.nonResourceURLs).length > 0) out.push('grants non-resource URLs');
  return out;
}

export const rbacLeastPrivilege: KubernetesRule = {
  id: 'rbac-least-privilege',
  description: 'Roles name verbs and resources, bindings stay in their namespace, tokens are not mounted.',
  evaluate(objects) {
    const out: KubernetesFinding[] = [];
    for (const role of ofKind(objects, 'Role', 'ClusterRole')) {
      const problems = asList(role.object.rules).flatMap((r) => ruleProblems(asObject(r)));
      if (role.object.kind === 'ClusterRole') problems.unshift('is cluster-wide');
      if (problems.length > 0) out.push({ object: role, message: problems.join('; ') });
    }
    for (const b of ofKind(objects, 'RoleBinding', 'ClusterRoleBinding')) {
      const ref = asObject(b.object.roleRef);
      if (b.object.kind === 'ClusterRoleBinding' || ref.kind !== 'Role') {
        out.push({
          object: b,
          message: `grants ${String(ref.kind)} ${String(ref.name)}; only a Role of its namespace`,
        });
      }
      const foreign = asList(b.object.subjects)
        .map(asObject)
        .filter((s) => s.kind !== 'ServiceAccount' || s.namespace !== namespaceOf(b));
      if (foreign.length > 0)
        out.push({ object: b, message: 'binds a subject that is not a service account of its namespace' });
    }
    for (const sa of ofKind(objects, 'ServiceAccount')) {
      if (sa.object.automountServiceAccountToken !== false)
        out.push({ object: sa, message: 'mounts its token (set automountServiceAccountToken: false)' });
    }
    return out;
  },
};
