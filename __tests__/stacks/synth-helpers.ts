/** Shared helpers for the AWS stack tests: build the stacks in a Testing app and parse their JSON. */
import { App, Testing, TerraformResource } from 'cdktf';
import { TerraformStack } from 'cdktf';
import { isTaggable } from '../../constructs/labels';
import { AwsStacks, AwsStacksOptions, buildAwsStacks } from '../../stacks/aws';

export type Json = Record<string, any>;

export function buildStacks(options: AwsStacksOptions = {}, context: Record<string, unknown> = {}): AwsStacks {
  const app: App = Testing.app({ context });
  return buildAwsStacks(app, { offline: false, prodRollback: false, ...options });
}

export function synthJson(stack: TerraformStack): { text: string; json: Json } {
  const text = Testing.synth(stack);
  return { text, json: JSON.parse(text) };
}

/** Every resource of a type, keyed by logical id. */
export function resources(json: Json, type: string): Record<string, Json> {
  return json.resource?.[type] ?? {};
}

/** Logical ids of the replica-region copies (constructs/bucket-replica.ts) of a stack's stores. */
export const REPLICA_ID = /^(?:DataReplica|ReceiptsReplica)_/;

/** Every resource of a type but the replica-region copies, keyed by logical id. */
export function primaryResources(json: Json, type: string): Record<string, Json> {
  return Object.fromEntries(Object.entries(resources(json, type)).filter(([id]) => !REPLICA_ID.test(id)));
}

/** The one resource of a type, replica-region copies aside (they are asserted on their own). */
export function only(json: Json, type: string): Json {
  const all = Object.values(primaryResources(json, type));
  if (all.length !== 1) throw new Error(`expected exactly one ${type} (replicas aside), got ${all.length}`);
  return all[0];
}

/** Resource types in the stack whose binding has a `tags` argument. */
export function taggableTypes(stack: TerraformStack): Set<string> {
  return new Set(
    stack.node
      .findAll()
      .filter((n): n is TerraformResource => isTaggable(n))
      .map((n) => n.terraformResourceType),
  );
}

/** Statements of the aws_iam_policy_document data source at `path` (a synthesized policy). */
export function policyStatements(json: Json, idFragment: string): Json[] {
  const docs = json.data?.aws_iam_policy_document ?? {};
  const key = Object.keys(docs).find((k) => k.startsWith(idFragment));
  if (!key) throw new Error(`no aws_iam_policy_document starting with ${idFragment}`);
  return docs[key].statement;
}

/** `${type.<logical id>.attr}` for the one resource of `type` whose logical id starts with `idPrefix`. */
export function ref(json: Json, type: string, idPrefix: string, attr: string): string {
  const ids = Object.keys(resources(json, type)).filter((k) => k.startsWith(`${idPrefix}_`));
  if (ids.length !== 1) throw new Error(`expected one ${type} with id ${idPrefix}_*, got ${ids.join(', ') || 'none'}`);
  return `\${${type}.${ids[0]}.${attr}}`;
}
