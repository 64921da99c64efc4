/**
 * `checkKubernetesStacks`: every resource of synthesized Kubernetes stacks as the API object it
 * creates, validated against the Kubernetes OpenAPI schemas, then judged by the rules. Four named
 * steps; each problem is one line naming the stack and the object.
 */
import { ApiObject, apiObjectsOf, describe, unknownTypesOf } from './objects/api-object';
import { validateAgainstSchemas } from './objects/schema';
import { KubernetesRule } from './rules/rule';
import { podSecurityRestricted } from './rules/pod-security-restricted';
import { namespaceDefaultDeny } from './rules/namespace-default-deny';
import { rbacLeastPrivilege } from './rules/rbac-least-privilege';

type Json = Record<string, unknown>;

export const KUBERNETES_RULES: readonly KubernetesRule[] = [
  podSecurityRestricted,
  namespaceDefaultDeny,
  rbacLeastPrivilege,
];

export interface KubernetesCheck {
  /** API objects checked, per stack. */
  readonly objects: Readonly<Record<string, number>>;
  /** One line per problem; empty when every stack passes. */
  readonly problems: string[];
}

/** Step 1: a kubernetes resource type with no known API object is a problem, never skipped. */
function unconvertible(stack: string, synth: Json): string[] {
  return unknownTypesOf(synth).map((t) => `${stack} ${t}: no API object known for this resource type`);
}

/** Step 3: the schemas, one line per object (its first problems joined). */
async function schemaProblems(objects: readonly ApiObject[]): Promise<string[]> {
  const errors = await validateAgainstSchemas(objects);
  return objects.flatMap((o, i) =>
    errors[i]!.length === 0
      ? []
      : [`${describe(o)}: schema: ${errors[i]!.map((e) => `${e.path} ${e.message}`).join('; ')}`],
  );
}

/** Step 4: the rules, one line per finding. */
function ruleProblems(objects: readonly ApiObject[]): string[] {
  return KUBERNETES_RULES.flatMap((r) =>
    r.evaluate(objects).map((f) => `${describe(f.object)}: ${r.id}: ${f.message}`),
  );
}

export async function checkKubernetesStacks(stacks: Readonly<Record<string, Json>>): Promise<KubernetesCheck> {
  const problems: string[] = [];
  const counts: Record<string, number> = {};
  for (const [stack, synth] of Object.entries(stacks)) {
    problems.push(...unconvertible(stack, synth));
    const objects = apiObjectsOf(stack, synth); // step 2
    counts[stack] = objects.length;
    problems.push(...(await schemaProblems(objects)), ...ruleProblems(objects));
  }
  return { objects: counts, problems };
}
