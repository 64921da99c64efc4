/**
 * The Kubernetes API object a kubernetes provider resource block creates, read from synthesized
 * Terraform JSON (`resource.kubernetes_namespace_v1.<id>` → `{apiVersion: v1, kind: Namespace, ...}`).
 *
 * The provider's schema is the API's in snake_case, with three differences undone here:
 * - repeated blocks are singular (`rule`, `subject`, `limit`, `container`, `volume`, ...): they become
 *   the API's plural list (`rules`, `subjects`, `limits`, `containers`, `volumes`, ...);
 * - int-or-string ports are strings (`"8080"`): the provider parses them, so a numeric string is the
 *   number 8080 (a string port is a named port in the API);
 * - Terraform-only arguments (`depends_on`, `wait_for_*`, `timeouts`, ...) are not part of the object.
 * Keys of maps (labels, annotations, selectors, quota and limit quantities) are data and stay as written.
 */
import { isObject } from '../../../core/json';

type Json = Record<string, unknown>;

/** One API object with where it came from: the stack and the resource address in it. */
export interface ApiObject {
  readonly stack: string;
  /** `<resource type>.<logical id>` in the synthesized JSON. */
  readonly address: string;
  readonly object: Json & { apiVersion: string; kind: string; metadata?: Json };
}

interface Target {
  readonly apiVersion: string;
  readonly kind: string;
  /** A fixed metadata.name (the default service account has no name argument). */
  readonly name?: string;
}

/** Resource types of the kubernetes provider and the API object each creates. */
export const API_TARGETS: Readonly<Record<string, Target>> = {
  kubernetes_namespace_v1: { apiVersion: 'v1', kind: 'Namespace' },
  kubernetes_service_account_v1: { apiVersion: 'v1', kind: 'ServiceAccount' },
  kubernetes_default_service_account_v1: { apiVersion: 'v1', kind: 'ServiceAccount', name: 'default' },
  kubernetes_resource_quota_v1: { apiVersion: 'v1', kind: 'ResourceQuota' },
  kubernetes_limit_range_v1: { apiVersion: 'v1', kind: 'LimitRange' },
  kubernetes_config_map_v1: { apiVersion: 'v1', kind: 'ConfigMap' },
  kubernetes_pod_v1: { apiVersion: 'v1', kind: 'Pod' },
  kubernetes_deployment_v1: { apiVersion: 'apps/v1', kind: 'Deployment' },
  kubernetes_network_policy_v1: { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  kubernetes_role_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  kubernetes_role_binding_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
  kubernetes_cluster_role_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole' },
  kubernetes_cluster_role_binding_v1: { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding' },
};

/** Arguments of the provider that configure Terraform, not the object. */
const TERRAFORM_ONLY = new Set([
  'depends_on',
  'provider',
  'lifecycle',
  'count',
  'for_each',
  'timeouts',
  'wait_for_default_service_account',
  'wait_for_rollout',
  'target_state',
  'connection',
  'provisioner',
]);

/** Fields whose value is a map: its keys are data, never renamed. */
const MAP_FIELDS = new Set([
  'labels',
  'annotations',
  'match_labels',
  'node_selector',
  'hard',
  'limits',
  'requests',
  'default',
  'default_request',
  'max',
  'min',
  'max_limit_request_ratio',
  'data',
  'binary_data',
]);

/** Repeated blocks of the provider and the API's name for the list. */
const LIST_NAMES: Readonly<Record<string, string>> = {
  rule: 'rules',
  subject: 'subjects',
  limit: 'limits',
  container: 'containers',
  init_container: 'initContainers',
  volume: 'volumes',
  volume_mount: 'volumeMounts',
  port: 'ports',
  secret: 'secrets',
  image_pull_secret: 'imagePullSecrets',
  toleration: 'tolerations',
};

/** Int-or-string fields: the provider's numeric strings are numbers in the API. */
const INT_OR_STRING = new Set(['port', 'target_port']);

const camel = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function apiKey(key: string, value: unknown): string {
  if (Array.isArray(value) && value.every(isObject) && LIST_NAMES[key]) return LIST_NAMES[key]!;
  return camel(key);
}

function apiValue(key: string, value: unknown): unknown {
  if (MAP_FIELDS.has(key) && isObject(value)) return { ...value };
  if (INT_OR_STRING.has(key) && typeof value === 'string' && /^\d+$/.test(value)) return Number(value);
  if (Array.isArray(value)) return value.map((v) => (isObject(v) ? apiFields(v) : v));
  if (isObject(value)) return apiFields(value);
  return value;
}

function apiFields(block: Json): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(block)) out[apiKey(key, value)] = apiValue(key, value);
  return out;
}

/** The API object of one provider resource block; undefined for a type that creates none known here. */
export function apiObjectOf(type: string, block: Json): ApiObject['object'] | undefined {
  const target = API_TARGETS[type];
  if (!target) return undefined;
  const fields: Json = {};
  for (const [key, value] of Object.entries(block)) if (!TERRAFORM_ONLY.has(key)) fields[key] = value;
  const body = apiFields(fields);
  const metadata = isObject(body.metadata) ? body.metadata : {};
  return {
    apiVersion: target.apiVersion,
    kind: target.kind,
    ...body,
    metadata: target.name ? { ...metadata, name: target.name } : metadata,
  };
}

/** Every kubernetes provider resource of a synthesized stack, as the API object it creates, in address order. */
export function apiObjectsOf(stack: string, synth: Json): ApiObject[] {
  const resources = isObject(synth.resource) ? synth.resource : {};
  const out: ApiObject[] = [];
  for (const type of Object.keys(resources).sort()) {
    if (!type.startsWith('kubernetes_')) continue;
    const blocks = resources[type];
    if (!isObject(blocks)) continue;
    for (const id of Object.keys(blocks).sort()) {
      const block = blocks[id];
      const object = isObject(block) ? apiObjectOf(type, block) : undefined;
      if (object) out.push({ stack, address: `${type}.${id}`, object });
    }
  }
  return out;
}

/** Kubernetes resource types a stack uses that this converter does not know (a finding, never skipped). */
export function unknownTypesOf(synth: Json): string[] {
  const resources = isObject(synth.resource) ? synth.resource : {};
  return Object.keys(resources).filter((t) => t.startsWith('kubernetes_') && !API_TARGETS[t]);
}

/** `k8s-prod kubernetes_role_v1.X (Role kfm-api/kfm-api)`: how a finding names its object. */
export function describe(o: ApiObject): string {
  const m = o.object.metadata ?? {};
  const name = [m.namespace, m.name].filter((s) => typeof s === 'string').join('/');
  return `${o.stack} ${o.address} (${o.object.kind} ${name || '?'})`;
}
