/** A Kubernetes rule: a pure function of a stack's API objects, judged after the schemas pass. */
import { ApiObject } from '../objects/api-object';

/** One non-compliant object and why. */
export interface KubernetesFinding {
  readonly object: ApiObject;
  readonly message: string;
}

export interface KubernetesRule {
  /** The file name: the compliant state. */
  readonly id: string;
  /** One line: the compliant state. */
  readonly description: string;
  evaluate(objects: readonly ApiObject[]): KubernetesFinding[];
}

export type Json = Record<string, unknown>;

export const asObject = (v: unknown): Json =>
  v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : {};
export const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
export const ofKind = (objects: readonly ApiObject[], ...kinds: string[]) =>
  objects.filter((o) => kinds.includes(o.object.kind));
export const namespaceOf = (o: ApiObject) => asObject(o.object.metadata).namespace;
export const nameOf = (o: ApiObject) => asObject(o.object.metadata).name;
