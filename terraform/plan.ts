import { ReceiptError } from '../core/errors';
import { readDigestedInput } from '../core/files';
import { isObject, syntaxKind } from '../core/json';
import { isUtf8 } from 'node:buffer';
import { ExactJsonSyntaxError, parseJsonNumbersExact } from '../core/exact-json';
import { checkJsonShapeOf } from '../core/json-shape';

/**
 * The one model of a plan document (`terraform show -json PLANFILE`) that receipts, drift reports
 * and policy read: parsed once by `parsePlanDocument`, checked once, walked once by each consumer.
 * Field comments give the JSON name and when Terraform leaves it out (after Terraform's
 * `internal/command/jsonplan` and hashicorp/terraform-json `plan.go`). Values (`before`, `after`,
 * `values`, `variables`, `configuration` expressions) stay `unknown`: this module never copies,
 * prints or quotes them.
 */
export interface PlanDocument {
  /** `format_version`: "MAJOR.MINOR"; 0.1 (Terraform 0.12–0.15), 0.2 (1.0), 1.0–1.2 (1.1 onwards). */
  readonly format_version: string;
  /** `terraform_version`: absent in hand-trimmed or normalised plans. */
  readonly terraform_version?: string;
  /** `timestamp`: RFC 3339, Terraform >= 1.5. */
  readonly timestamp?: string;
  /** `errored`: Terraform >= 1.2 (absent means the plan did not record it). */
  readonly errored?: boolean;
  /** `applyable`: Terraform >= 1.2; false when the plan errored or has nothing to apply. */
  readonly applyable?: boolean;
  /** `complete`: Terraform >= 1.8; false when deferred changes need another plan/apply round. */
  readonly complete?: boolean;
  /** `resource_changes`: absent when nothing is planned (older versions) → []. */
  readonly resource_changes: readonly RawResourceChange[];
  /** `resource_drift`: Terraform >= 0.15.4; entries lacked `address` up to 1.0.0 (derived here). */
  readonly resource_drift: readonly RawResourceChange[];
  /** `deferred_changes`: Terraform >= 1.8 with deferrals; counted only. */
  readonly deferred_changes: readonly unknown[];
  /** `output_changes`: name → change. A Map: an output may be named `__proto__` or `constructor`. */
  readonly output_changes: ReadonlyMap<string, RawChange>;
  /** `checks`: Terraform >= 1.5; statuses counted only. */
  readonly checks: readonly unknown[];
  /** `planned_values`: the state after apply, as far as known; absent in trimmed plans. */
  readonly planned_values?: StateValues;
  /** `prior_state.values`: the refreshed state before apply; absent on a first plan. */
  readonly prior_state?: StateValues;
  /** `configuration`: the configuration as written (expressions, provider blocks); absent in trimmed plans. */
  readonly configuration?: Configuration;
}

/** `configuration`: what the configuration says, before evaluation. */
export interface Configuration {
  /** `provider_config`: key (`aws`, `aws.west`, `module.m:aws`) → provider block; absent when none. */
  readonly provider_config: ReadonlyMap<string, ProviderConfig>;
  /** `root_module`: absent in trimmed plans. */
  readonly root_module?: ConfigModule;
}

export interface ProviderConfig {
  /** `name`: the local name (`aws`). */
  readonly name?: string;
  /** `full_name`: the source address (`registry.terraform.io/hashicorp/aws`); 0.13+. */
  readonly full_name?: string;
  readonly alias?: string;
  /** `version_constraint`: absent when the configuration states none. */
  readonly version_constraint?: string;
  /** `module_address`: absent for the root module's providers. */
  readonly module_address?: string;
  /** `expressions`: attribute → expression (`{constant_value?, references?}`) or nested blocks. */
  readonly expressions: Readonly<Record<string, unknown>>;
}

export interface ConfigModule {
  /** `resources`: absent when the module declares none → []. */
  readonly resources: readonly ConfigResource[];
  /** `module_calls`: name → the call (its `module` absent when Terraform could not load it). */
  readonly module_calls: ReadonlyMap<string, ModuleCall>;
  /** `variables`: name → {default?, description?, sensitive?}; defaults may hold secrets. */
  readonly variables?: unknown;
  /** `outputs`: name → {expression, sensitive?}. */
  readonly outputs?: unknown;
}

export interface ModuleCall {
  /** `module`: the called module's configuration; absent when Terraform could not load it. */
  readonly module?: ConfigModule;
  /** `expressions`: argument name → expression passed to the module; absent when none. */
  readonly expressions: Readonly<Record<string, unknown>>;
}

export interface ConfigResource {
  /** `address`: without instance key and without the module path (`aws_s3_bucket.b`). */
  readonly address: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  /** `provider_config_key`: the provider_config key; absent in some 0.12 plans (then the type's prefix). */
  readonly provider_config_key?: string;
  /** `expressions`: attribute → expression, as written. */
  readonly expressions: Readonly<Record<string, unknown>>;
  /** `count_expression` / `for_each_expression`: only when the resource uses count or for_each. */
  readonly count_expression?: unknown;
  readonly for_each_expression?: unknown;
  /** `provisioners`: `[{type, expressions}]`, only when the resource declares provisioners (raw). */
  readonly provisioners?: unknown;
}

/** A `change` object (resource, drift and output changes alike). */
export interface RawChange {
  /** `actions`: one of Terraform's action lists; see ACTION_LISTS. Always present. */
  readonly actions: readonly string[];
  /** `before`: the prior value; null for a create. */
  readonly before?: unknown;
  /** `after`: the planned value, known parts only; null for a delete. */
  readonly after?: unknown;
  /** `after_unknown`: mask (or `true`) of values known only after apply. */
  readonly after_unknown?: unknown;
  /** `before_sensitive` / `after_sensitive`: masks (or `true`) of sensitive values; 0.15+. */
  readonly before_sensitive?: unknown;
  readonly after_sensitive?: unknown;
  /** `replace_paths`: attribute paths that force replacement; 1.0.1+. */
  readonly replace_paths?: unknown;
  /** `importing`: `{id?, unknown?, identity?}` when the change imports; 1.5+. */
  readonly importing?: unknown;
}

export interface RawResourceChange {
  /**
   * `address`: always written, except in `resource_drift` up to Terraform 1.0.0 (fixed in 1.0.1);
   * then derived from module_address, mode, type, name and index, or `(unaddressed)` if those lack.
   */
  readonly address: string;
  /** True when `address` was not in the plan and was derived or left unaddressed. */
  readonly address_derived?: true;
  /** `previous_address`: Terraform >= 1.1, only when a `moved` block applies. */
  readonly previous_address?: string;
  /** `module_address`: absent in the root module. */
  readonly module_address?: string;
  /** `mode`: "managed" or "data". */
  readonly mode?: string;
  readonly type: string;
  readonly name: string;
  /** `index`: count (number) or for_each (string) key; absent for a single instance. */
  readonly index?: unknown;
  /** `provider_name`: the provider's source address (0.13+; the bare local name before). */
  readonly provider_name?: string;
  /** `deposed`: the deposed object's key, for a create_before_destroy object left behind. */
  readonly deposed?: string;
  /** `action_reason`: Terraform >= 1.0.1, only when Terraform gives a reason. */
  readonly action_reason?: string;
  readonly change: RawChange;
  /** The label of `change.actions`, or null when the list is not one Terraform writes. */
  readonly action: ActionLabel | null;
}

/** A `values` tree (`planned_values`, `prior_state.values`). */
export interface StateValues {
  /** `outputs`: name → {sensitive, value?}; values never read by kfm. */
  readonly outputs?: unknown;
  /** `root_module`: absent when the state is empty. */
  readonly root_module?: StateModule;
}

export interface StateModule {
  /** `address`: absent for the root module. */
  readonly address?: string;
  /** `resources`: absent when the module has none → []. */
  readonly resources: readonly StateResource[];
  /** `child_modules`: absent when there are none → []. */
  readonly child_modules: readonly StateModule[];
}

export interface StateResource {
  readonly address: string;
  /** `mode`: "managed" or "data" (absent in some trimmed plans: managed). */
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  readonly index?: unknown;
  readonly provider_name?: string;
  /** `values`: attribute values known before apply (may hold secrets: never printed). */
  readonly values: Readonly<Record<string, unknown>>;
  /** `sensitive_values`: mask of sensitive attributes; 0.15+. */
  readonly sensitive_values?: unknown;
}

/** One label per plan `change.actions` list (Terraform's jsonplan vocabulary, not the UI stream's). */
export type ActionLabel = 'no-op' | 'create' | 'read' | 'update' | 'replace' | 'delete' | 'forget' | 'create-forget';

/** Every action list Terraform's jsonplan writes (plans.Action → jsonplan actions), and its label. */
export const ACTION_LISTS: Readonly<Record<string, ActionLabel>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, ActionLabel>, {
    'no-op': 'no-op',
    create: 'create',
    read: 'read',
    update: 'update',
    'delete,create': 'replace',
    'create,delete': 'replace',
    delete: 'delete',
    forget: 'forget',
    'create,forget': 'create-forget',
  }),
);

/** The single actions an action list is made of. */
const ACTION_WORDS: ReadonlySet<string> = new Set(['no-op', 'create', 'read', 'update', 'delete', 'forget']);

/**
 * The label of an action list, or null when Terraform does not write that list. Each element must
 * be one action: `["delete,create"]` is not `["delete", "create"]`, though both join to one key.
 */
export function actionLabel(actions: readonly string[]): ActionLabel | null {
  for (let i = 0; i < actions.length; i++) if (!ACTION_WORDS.has(actions[i]!)) return null;
  // A one-word list is labelled by its word (ACTION_LISTS maps each word to itself).
  return ACTION_LISTS[actions.length === 1 ? actions[0]! : actions.join(',')] ?? null;
}

/** The one-line reason an action list is refused (receipts) or distrusted (policy). No value quoted. */
export function unknownActionMessage(source: string, at: string, address: string, actions: readonly string[]): string {
  return `${source}: ${at} of ${address} is not a Terraform plan action list (got ${actions.length} value(s), not shown) (no-op, create, read, update, delete, forget, delete+create, create+delete, create+forget); upgrade kfm if Terraform added one`;
}

/** The label, or PLAN_ACTION_UNKNOWN: a receipt never records a change it cannot name. */
export function classifyActions(actions: readonly string[], at: string, address: string, source: string): ActionLabel {
  const label = actionLabel(actions);
  if (label === null) throw new ReceiptError('PLAN_ACTION_UNKNOWN', unknownActionMessage(source, at, address, actions));
  return label;
}

/** Plan JSON majors read: 0.x (Terraform 0.12–1.0) and 1.x (1.1 onwards; minors are additive). */
export const SUPPORTED_FORMAT = '>=0.1 <2.0';

const PLAN_KEYS = [
  'planned_values',
  'resource_changes',
  'configuration',
  'output_changes',
  'resource_drift',
  'prior_state',
  'variables',
  'errored',
  'applyable',
];

function isStreamMessage(o: unknown): boolean {
  return isObject(o) && typeof o.type === 'string' && ('@level' in o || '@message' in o);
}

function looksLikeStreamLine(text: string): boolean {
  const first = text.split('\n', 1)[0]!.trim();
  if (!first.startsWith('{')) return false;
  try {
    return isStreamMessage(JSON.parse(first));
  } catch {
    return false;
  }
}

/** Check `format_version` (string, major 0 or 1). Shared by plan, drift and policy. */
export function checkFormatVersion(doc: Record<string, unknown>, source: string): string {
  const fv = doc.format_version;
  if (fv === undefined) {
    if ('plan_format_version' in doc) {
      throw new ReceiptError(
        'PLAN_FORMAT_UNSUPPORTED',
        `${source}: format_version missing (this is an HCP Terraform redacted renderer payload with plan_format_version); pass the output of "terraform show -json PLANFILE"`,
      );
    }
    throw new ReceiptError(
      'PLAN_FORMAT_UNSUPPORTED',
      `${source}: format_version missing; expected ${SUPPORTED_FORMAT} from "terraform show -json PLANFILE" (for cdk.tf.json use "kfm policy check --synth")`,
    );
  }
  if (typeof fv !== 'string' || !/^\d+\.\d+(\.\d+)?$/.test(fv)) {
    throw new ReceiptError(
      'PLAN_FORMAT_UNSUPPORTED',
      `${source}: format_version is not a "MAJOR.MINOR" string (value not shown); expected ${SUPPORTED_FORMAT}`,
    );
  }
  const major = Number(fv.split('.')[0]);
  if (major !== 0 && major !== 1) {
    throw new ReceiptError(
      'PLAN_FORMAT_UNSUPPORTED',
      `${source}: format_version major ${major} unsupported; expected ${SUPPORTED_FORMAT} (upgrade kfm for a newer plan format)`,
    );
  }
  return fv;
}

/** A non-empty list of strings: what `checkActions` accepts, without building its error label. */
function isActionList(actions: unknown): boolean {
  if (!Array.isArray(actions) || actions.length === 0) return false;
  for (let i = 0; i < actions.length; i++) if (typeof actions[i] !== 'string') return false;
  return true;
}

export function checkActions(actions: unknown, at: string, address: string, source: string): void {
  if (!isActionList(actions)) {
    throw new ReceiptError(
      'PLAN_FIELD_INVALID',
      `${source}: ${at} (${address}) missing or not a non-empty list of strings`,
    );
  }
}

/** Fields every resource change names (a drift entry of Terraform <= 1.0.0 may lack them). */
const NAME_STRINGS = ['type', 'name'] as const;

const OPTIONAL_STRINGS = [
  'previous_address',
  'module_address',
  'mode',
  'provider_name',
  'deposed',
  'action_reason',
] as const;

/** `module.m.aws_s3_bucket.b["k"]` from the parts (Terraform's own address syntax). */
function deriveAddress(rc: Record<string, unknown>): string | null {
  if (typeof rc.type !== 'string' || rc.type === '' || typeof rc.name !== 'string' || rc.name === '') return null;
  const mod = typeof rc.module_address === 'string' && rc.module_address !== '' ? `${rc.module_address}.` : '';
  const data = rc.mode === 'data' ? 'data.' : '';
  const idx =
    typeof rc.index === 'number' && Number.isInteger(rc.index)
      ? `[${rc.index}]`
      : typeof rc.index === 'string'
        ? `[${JSON.stringify(rc.index)}]`
        : '';
  return `${mod}${data}${rc.type}.${rc.name}${idx}`;
}

function checkResourceChange(
  rc: unknown,
  field: 'resource_changes' | 'resource_drift',
  i: number,
  source: string,
): RawResourceChange {
  // Where, for an error only: a 10,000-change plan builds no label it does not print.
  const at = (): string => `${field}[${i}]`;
  if (!isObject(rc)) throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${at()} is not an object`);
  let address = rc.address;
  let derived = false;
  if (address === undefined && field === 'resource_drift') {
    // Terraform <= 1.0.0 wrote drift entries without `address` (hashicorp/terraform#28975).
    address = deriveAddress(rc) ?? `(unaddressed ${at()})`;
    derived = true;
  }
  if (typeof address !== 'string' || address === '')
    throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${at()}.address missing or not a string`);
  for (let j = 0; j < NAME_STRINGS.length; j++) {
    const f = NAME_STRINGS[j]!;
    if (derived && rc[f] === undefined) continue;
    if (typeof rc[f] !== 'string' || rc[f] === '')
      throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${at()}.${f} missing or not a string`);
  }
  for (let j = 0; j < OPTIONAL_STRINGS.length; j++) {
    const f = OPTIONAL_STRINGS[j]!;
    if (rc[f] !== undefined && typeof rc[f] !== 'string')
      throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${at()}.${f} (${address}) is not a string`);
  }
  const ch = rc.change;
  if (!isObject(ch))
    throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${at()}.change (${address}) missing or not an object`);
  const actions = ch.actions;
  if (!isActionList(actions)) checkActions(actions, `${at()}.change.actions`, address, source);
  const r: RawResourceChange = {
    address,
    previous_address: rc.previous_address as string | undefined,
    module_address: rc.module_address as string | undefined,
    mode: rc.mode as string | undefined,
    type: (rc.type as string | undefined) ?? '(unknown)',
    name: (rc.name as string | undefined) ?? '(unknown)',
    index: rc.index,
    provider_name: rc.provider_name as string | undefined,
    deposed: rc.deposed as string | undefined,
    action_reason: rc.action_reason as string | undefined,
    change: ch as unknown as RawChange,
    action: actionLabel(actions as string[]),
  };
  return derived ? { ...r, address_derived: true } : r;
}

function resourceChanges(
  doc: Record<string, unknown>,
  field: 'resource_changes' | 'resource_drift',
  source: string,
): RawResourceChange[] {
  const v = doc[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${field} is not an array`);
  const out = new Array<RawResourceChange>(v.length);
  for (let i = 0; i < v.length; i++) out[i] = checkResourceChange(v[i], field, i, source);
  return out;
}

/** What state and configuration resources both carry: address, mode, type and name. */
interface ResourceHead {
  readonly address: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
}

/**
 * A module object's resources: each must be an object with string address, type and name (state
 * and configuration alike); `read` makes the resource of its kind from the head and the raw object.
 * (`read` writes the head's fields itself: spreading the head and the rest into a new object cost
 * about 200 ms of CPU, cold, on a 10,000-resource plan's planned values and prior state.)
 */
function moduleResources<T extends ResourceHead>(
  m: unknown,
  field: string,
  source: string,
  read: (head: ResourceHead, r: Record<string, unknown>) => T,
): { module: Record<string, unknown>; resources: T[] } {
  if (!isObject(m)) throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${field} is not an object`);
  const rs = m.resources ?? [];
  if (!Array.isArray(rs)) throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${field}.resources is not an array`);
  const resources = rs.map((r, i) => {
    if (!isObject(r) || typeof r.address !== 'string' || typeof r.type !== 'string' || typeof r.name !== 'string')
      throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${field}.resources[${i}] lacks address/type/name`);
    const head: ResourceHead = {
      address: r.address,
      mode: r.mode === 'data' ? 'data' : 'managed',
      type: r.type,
      name: r.name,
    };
    return read(head, r);
  });
  return { module: m, resources };
}

function stateModule(raw: unknown, field: string, source: string): StateModule {
  const { module: m, resources } = moduleResources<StateResource>(raw, field, source, (h, r) => ({
    address: h.address,
    mode: h.mode,
    type: h.type,
    name: h.name,
    index: r.index,
    provider_name: typeof r.provider_name === 'string' ? r.provider_name : undefined,
    values: isObject(r.values) ? r.values : {},
    sensitive_values: r.sensitive_values,
  }));
  const cs = m.child_modules ?? [];
  if (!Array.isArray(cs))
    throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${field}.child_modules is not an array`);
  return {
    address: typeof m.address === 'string' ? m.address : undefined,
    resources,
    child_modules: cs.map((c, i) => stateModule(c, `${field}.child_modules[${i}]`, source)),
  };
}

function stateValues(v: unknown, field: string, source: string): StateValues | undefined {
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${field} is not an object`);
  const rm = v.root_module;
  return {
    outputs: v.outputs,
    root_module: rm === undefined || rm === null ? undefined : stateModule(rm, `${field}.root_module`, source),
  };
}

function configModule(raw: unknown, field: string, source: string): ConfigModule {
  const { module: m, resources } = moduleResources<ConfigResource>(raw, field, source, (h, r) => ({
    address: h.address,
    mode: h.mode,
    type: h.type,
    name: h.name,
    provider_config_key: typeof r.provider_config_key === 'string' ? r.provider_config_key : undefined,
    expressions: isObject(r.expressions) ? r.expressions : {},
    count_expression: r.count_expression,
    for_each_expression: r.for_each_expression,
    provisioners: r.provisioners,
  }));
  const module_calls = new Map<string, ModuleCall>();
  if (isObject(m.module_calls)) {
    for (const name of Object.keys(m.module_calls)) {
      const call = m.module_calls[name];
      if (!isObject(call)) continue;
      module_calls.set(name, {
        module:
          call.module === undefined
            ? undefined
            : configModule(call.module, `${field}.module_calls.${name}.module`, source),
        expressions: isObject(call.expressions) ? call.expressions : {},
      });
    }
  }
  return { resources, module_calls, variables: m.variables, outputs: m.outputs };
}

function configuration(cfg: Record<string, unknown>, source: string): Configuration {
  const pc = cfg.provider_config ?? {};
  if (!isObject(pc))
    throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: configuration.provider_config is not an object`);
  const provider_config = new Map<string, ProviderConfig>();
  for (const key of Object.keys(pc)) {
    const p = pc[key];
    if (!isObject(p)) continue;
    const str = (k: string): string | undefined => (typeof p[k] === 'string' ? (p[k] as string) : undefined);
    provider_config.set(key, {
      name: str('name'),
      full_name: str('full_name'),
      alias: str('alias'),
      version_constraint: str('version_constraint'),
      module_address: str('module_address'),
      expressions: isObject(p.expressions) ? p.expressions : {},
    });
  }
  return {
    provider_config,
    root_module:
      cfg.root_module === undefined ? undefined : configModule(cfg.root_module, 'configuration.root_module', source),
  };
}

/** Marks objects made by planFromValue, so a consumer given one does not check it again. */
const MODEL = new WeakSet<object>();

export function isPlanDocument(v: unknown): v is PlanDocument {
  return typeof v === 'object' && v !== null && MODEL.has(v);
}

/** Refuse what is not a plan object at all: a UI stream, an apply log, a scalar, a raw state file. */
function checkIsPlanObject(raw: unknown, source: string): asserts raw is Record<string, unknown> {
  if (isStreamMessage(raw))
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: type: this is a Terraform UI stream (plan/apply -json), not a plan JSON; pass the output of "terraform show -json PLANFILE"`,
    );
  if (Array.isArray(raw)) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: top level is a JSON array (an apply log?), expected the plan object from "terraform show -json PLANFILE"`,
    );
  }
  if (!isObject(raw))
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: top level is not an object; expected a plan from "terraform show -json PLANFILE"`,
    );
  if ('resources' in raw && 'lineage' in raw && 'serial' in raw)
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: this is a raw state file (terraform.tfstate), not a plan; pass the output of "terraform show -json PLANFILE"`,
    );
}

/** A plan names at least one of its own keys (a state does not), and its flags have their JSON types. */
function checkPlanFields(raw: Record<string, unknown>, source: string): void {
  if (!PLAN_KEYS.some((k) => k in raw)) {
    const state = 'values' in raw || Object.keys(raw).every((k) => k === 'format_version' || k === 'terraform_version');
    throw new ReceiptError(
      'PLAN_FIELD_INVALID',
      state
        ? `${source}: this looks like a state ("terraform show -json" without a plan file): resource_changes/planned_values/configuration missing; pass "terraform show -json PLANFILE"`
        : `${source}: resource_changes/planned_values/configuration missing; pass "terraform show -json PLANFILE"`,
    );
  }
  for (const f of ['terraform_version', 'timestamp'] as const) {
    if (raw[f] !== undefined && typeof raw[f] !== 'string')
      throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${f} is not a string`);
  }
  for (const f of ['errored', 'applyable', 'complete'] as const) {
    if (raw[f] !== undefined && typeof raw[f] !== 'boolean')
      throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${f} is not a boolean`);
  }
}

/** `output_changes` by name, each with actions Terraform writes. */
function outputChanges(raw: Record<string, unknown>, source: string): Map<string, RawChange> {
  const oc = raw.output_changes;
  if (oc !== undefined && oc !== null && !isObject(oc))
    throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: output_changes is not an object`);
  const out = new Map<string, RawChange>();
  if (!isObject(oc)) return out;
  for (const name of Object.keys(oc)) {
    const c = oc[name];
    if (!isObject(c))
      throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: output_changes.${name} is not an object`);
    checkActions(c.actions, `output_changes.${name}.actions`, `output.${name}`, source);
    out.set(name, c as unknown as RawChange);
  }
  return out;
}

/** A top-level list the model keeps raw (`deferred_changes`, `checks`); absent or null is empty. */
function arrayField(raw: Record<string, unknown>, f: string, source: string): unknown[] {
  const v = raw[f];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${f} is not an array`);
  return v;
}

/**
 * Check an already parsed plan value and build the model. Throws one-line ReceiptErrors naming
 * `source` and the field; never echoes plan values.
 */
export function planFromValue(raw: unknown, source: string): PlanDocument {
  if (isPlanDocument(raw)) return raw;
  checkIsPlanObject(raw, source);
  const format_version = checkFormatVersion(raw, source);
  checkPlanFields(raw, source);
  const output_changes = outputChanges(raw, source);
  const { prior_state: ps, configuration: cfg } = raw;
  for (const [f, v] of [
    ['prior_state', ps],
    ['configuration', cfg],
  ] as const) {
    if (v !== undefined && v !== null && !isObject(v))
      throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${f} is not an object`);
  }
  const doc: PlanDocument = {
    format_version,
    terraform_version: raw.terraform_version as string | undefined,
    timestamp: raw.timestamp as string | undefined,
    errored: raw.errored as boolean | undefined,
    applyable: raw.applyable as boolean | undefined,
    complete: raw.complete as boolean | undefined,
    resource_changes: resourceChanges(raw, 'resource_changes', source),
    resource_drift: resourceChanges(raw, 'resource_drift', source),
    deferred_changes: arrayField(raw, 'deferred_changes', source),
    output_changes,
    checks: arrayField(raw, 'checks', source),
    planned_values: stateValues(raw.planned_values, 'planned_values', source),
    prior_state: isObject(ps) ? stateValues(ps.values, 'prior_state.values', source) : undefined,
    configuration: isObject(cfg) ? configuration(cfg, source) : undefined,
  };
  MODEL.add(doc);
  return doc;
}

/** UTF-16 as PowerShell's `>` writes it: a byte-order mark, or NUL bytes between ASCII ones. */
function isUtf16(b: Buffer): boolean {
  if (b.length >= 2 && ((b[0] === 0xff && b[1] === 0xfe) || (b[0] === 0xfe && b[1] === 0xff))) return true;
  return b.length >= 4 && ((b[0] !== 0 && b[1] === 0 && b[3] === 0) || (b[0] === 0 && b[2] === 0 && b[1] !== 0));
}

/**
 * Decode plan bytes to text, refusing what is not UTF-8 JSON with the reason. A UTF-8 byte-order
 * mark is accepted and skipped (Windows PowerShell 5's `Out-File -Encoding utf8` writes one; the
 * text is otherwise exact); the digest stays the digest of the bytes as given.
 */
export function decodeJsonText(
  data: Buffer | string,
  source: string,
  what: string,
  command = 'terraform show -json PLANFILE',
  maxBytes = MAX_INPUT_BYTES,
): string {
  const size = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
  if (size > maxBytes)
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: ${what} is ${size} bytes, more than kfm reads (${maxBytes}); is it the right file?`,
    );
  if (typeof data !== 'string' && isUtf16(data)) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: ${what} is UTF-16 (PowerShell's ">" writes it), expected UTF-8; run "${command}" in a POSIX shell, or convert with "iconv -f UTF-16 -t UTF-8 ${source} > ${source}.utf8"`,
    );
  }
  // Invalid UTF-8 would decode to U+FFFD here and to something else in another reader.
  if (typeof data !== 'string' && !isUtf8(data))
    throw new ReceiptError('INPUT_INVALID', `${source}: ${what} is not valid UTF-8; refused (Terraform writes UTF-8)`);
  let text = typeof data === 'string' ? data : data.toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

/**
 * The largest plan JSON or apply stream kfm reads: 256 MiB (the biggest real plans are tens of
 * MB; a JavaScript string holds at most 512 MiB).
 */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

/** The reason a text is not one JSON value, in words, without quoting it. */
function syntaxReason(text: string, e: unknown, source: string, what: string): ReceiptError {
  const kind = syntaxKind(e);
  const first = text.trimStart();
  if (/^\[command\]/.test(first))
    return new ReceiptError(
      'JSON_INVALID',
      `${source}: not valid ${what}: the first line is a "[command]..." wrapper line (hashicorp/setup-terraform's wrapper), not JSON; set terraform_wrapper: false or run terraform directly`,
    );
  if (first !== '' && first[0] !== '{' && first[0] !== '[')
    return new ReceiptError(
      'JSON_INVALID',
      `${source}: not valid ${what}: the text does not start with a JSON value (a log or wrapper line first?); pass the stdout of "terraform show -json PLANFILE" alone`,
    );
  if (kind === 'extra data after the JSON value')
    return new ReceiptError(
      'JSON_INVALID',
      `${source}: not valid ${what}: extra data after the JSON value (two documents concatenated?); pass one "terraform show -json PLANFILE" output per file`,
    );
  return new ReceiptError(
    'JSON_INVALID',
    `${source}: not valid ${what} (${kind}); was the file truncated or is it the wrong file?`,
  );
}

/** Parse JSON text with exact numbers where a double would lose them; one-line errors, no quoting. */
export function parseTerraformJson(text: string, source: string, what: string): unknown {
  let value: unknown;
  try {
    value = parseJsonNumbersExact(text);
  } catch (e) {
    if (e instanceof ExactJsonSyntaxError || e instanceof SyntaxError) throw syntaxReason(text, e, source, what);
    throw e;
  }
  // What JSON.parse lets through and two readers would read two ways: duplicate keys, huge strings.
  checkJsonShapeOf(text, value, source, what);
  return value;
}

/**
 * Parse and check a plan JSON document. Throws one-line ReceiptErrors naming `source` and the
 * cause; never echoes plan values.
 */
export function parsePlanDocument(data: Buffer | string, source: string): PlanDocument {
  const text = decodeJsonText(data, source, 'plan JSON');
  if (/^\s*$/.test(text)) throw new ReceiptError('FILE_EMPTY', `${source}: plan JSON is empty`);
  let raw: unknown;
  try {
    raw = parseTerraformJson(text, source, 'plan JSON');
  } catch (e) {
    // A multi-line stream is not one JSON value; say what it is rather than where it broke.
    if (looksLikeStreamLine(text))
      throw new ReceiptError(
        'INPUT_INVALID',
        `${source}: type: this is a Terraform UI stream (plan/apply -json), not a plan JSON; pass the output of "terraform show -json PLANFILE"`,
      );
    throw e;
  }
  return planFromValue(raw, source);
}

/**
 * Read, hash and parse the plan JSON at `path` (`parsePlanDocument`): the digest is of exactly the
 * bytes parsed. An ASCII plan is read in pieces (core/files.ts `readDigestedInput`).
 */
export function readPlanDocument(path: string): { doc: PlanDocument; digest: string } {
  const input = readDigestedInput(path, 'plan JSON', MAX_INPUT_BYTES);
  return { doc: parsePlanDocument(input.ascii ?? input.bytes!, path), digest: input.digest };
}

/**
 * Run `fn` on input from `source`; a value nested deeper than the stack allows (a hostile or
 * broken file: Terraform writes nothing close) becomes one exit-2 line instead of a crash.
 */
export function guardNesting<T>(source: string, what: string | (() => string), fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof RangeError && /call stack/i.test(e.message))
      throw new ReceiptError(
        'INPUT_INVALID',
        `${source}: ${typeof what === 'string' ? what : what()} nests values deeper than kfm reads (thousands of levels); Terraform does not write such values: is it the right file?`,
      );
    throw e;
  }
}
