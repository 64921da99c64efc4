import {
  Leaf,
  PlanDistrust,
  PolicyInput,
  ProviderView,
  ResourceView,
  isExpressionString,
  providerAddress,
  referenceToAddress,
  maskPaths,
  plainAt,
  rawReferencesIn,
  splitAddress,
  stringsIn,
  tagLeaves,
  ValueSource,
  classifyReference,
  Provisioner,
  provisionersOf,
  Traversal,
} from './view';
import { isObject } from '../../core/json';
import { ConfigAnswers, ResolvedTags, resourceView } from './resource-view';
import {
  actionLabel,
  Configuration,
  ConfigModule,
  PlanDocument,
  planFromValue,
  ProviderConfig,
  RawResourceChange,
  StateModule,
  unknownActionMessage,
} from '../../terraform/plan';

type Obj = Record<string, unknown>;
/** An expression object from `configuration` (`{constant_value?, references?}`). */
function isExpression(e: unknown): e is { constant_value?: unknown; references?: unknown } {
  if (!isObject(e)) return false;
  // A loop, not Object.keys twice: this runs on every node of every expression tree.
  let members = 0;
  for (const k in e) {
    if (!Object.hasOwn(e, k)) continue;
    if (k !== 'constant_value' && k !== 'references') return false;
    members++;
  }
  return members > 0;
}

/** Convert configuration expressions to (values, unknown marks), as planned_values/after_unknown would. */
function fromExpressions(e: unknown): { value: unknown; unknown: unknown } {
  if (isExpression(e)) {
    const refs = Array.isArray(e.references) ? e.references : [];
    if (refs.length > 0 || !('constant_value' in e) || isExpressionString(e.constant_value))
      return { value: null, unknown: true };
    return { value: e.constant_value, unknown: false };
  }
  if (Array.isArray(e)) {
    const parts = e.map(fromExpressions);
    return { value: parts.map((p) => p.value), unknown: parts.map((p) => p.unknown) };
  }
  if (isObject(e)) {
    const value: Obj = {};
    const unknown: Obj = {};
    for (const [k, x] of Object.entries(e)) {
      const p = fromExpressions(x);
      value[k] = p.value;
      unknown[k] = p.unknown;
    }
    return { value, unknown };
  }
  return { value: null, unknown: false };
}

function referencesOf(e: unknown, modulePrefix: string): string[] {
  const out = new Set<string>();
  const visit = (x: unknown): void => {
    if (isExpression(x)) {
      for (const r of Array.isArray(x.references) ? x.references : []) {
        const a = typeof r === 'string' ? referenceToAddress(r) : undefined;
        if (a) out.add(modulePrefix + a);
      }
    } else if (Array.isArray(x)) x.forEach(visit);
    else if (isObject(x)) Object.values(x).forEach(visit);
  };
  visit(e);
  return [...out].sort();
}

/** Raw reference strings anywhere inside an expression tree (indexes kept, relative to the module). */
function rawReferencesOf(e: unknown): string[] {
  const out = new Set<string>();
  const visit = (x: unknown): void => {
    if (isExpression(x)) {
      for (const r of Array.isArray(x.references) ? x.references : []) if (typeof r === 'string') out.add(r);
    } else if (Array.isArray(x)) x.forEach(visit);
    else if (isObject(x)) Object.values(x).forEach(visit);
  };
  visit(e);
  return [...out].sort();
}

/** Reference strings of an expression tree in order, repeated as Terraform lists them (one group per use). */
function referenceListOf(e: unknown, out: string[] = []): string[] {
  if (isExpression(e)) {
    for (const r of Array.isArray(e.references) ? e.references : []) if (typeof r === 'string') out.push(r);
  } else if (Array.isArray(e)) for (const x of e) referenceListOf(x, out);
  else if (isObject(e)) for (const x of Object.values(e)) referenceListOf(x, out);
  return out;
}

/** True when an expression tree holds a constant part (a literal), not only references. */
function hasConstant(e: unknown): boolean {
  if (isExpression(e)) {
    const refs = Array.isArray(e.references) ? e.references : [];
    if (!('constant_value' in e) || e.constant_value === null) return false;
    if (refs.length === 0) return true;
    // JSON-syntax configurations: a template with text around its references still holds a literal part.
    return stringsIn(e.constant_value).some((x) => x.replace(/\$\{[^}]*\}/g, '').trim() !== '');
  }
  if (Array.isArray(e)) return e.some(hasConstant);
  if (isObject(e)) return Object.values(e).some(hasConstant);
  return false;
}

/** The constant (template-bearing) configuration at a path of an expression tree. */
function templateOf(e: unknown, path: readonly string[]): unknown {
  let v = e;
  for (let i = 0; i < path.length; i++) {
    if (isExpression(v)) return 'constant_value' in v ? plainAt(v.constant_value, path.slice(i)) : undefined;
    const step = path[i];
    if (Array.isArray(v)) {
      v = /^\d+$/.test(step) ? v[Number(step)] : v.length === 1 ? (v[0] as Obj)?.[step] : undefined;
      continue;
    }
    if (!isObject(v)) return undefined;
    v = v[step];
  }
  if (isExpression(v)) return 'constant_value' in v ? v.constant_value : undefined;
  return undefined;
}

/** The expression at a path of an expression tree (inside a constant, a synthetic constant). */
function expressionAt(e: unknown, path: readonly string[]): unknown {
  let v = e;
  for (let i = 0; i < path.length; i++) {
    if (isExpression(v)) {
      if (!('constant_value' in v)) return v; // an HCL expression covers everything below it
      const c = plainAt(v.constant_value, path.slice(i));
      return c === undefined ? undefined : { constant_value: c, references: rawReferencesIn(c) };
    }
    const step = path[i];
    if (Array.isArray(v)) v = /^\d+$/.test(step) ? v[Number(step)] : v.length === 1 ? (v[0] as Obj)?.[step] : undefined;
    else if (isObject(v)) v = v[step];
    else return undefined;
  }
  return v;
}

function literalStringsOf(e: unknown, out: string[] = []): string[] {
  if (isExpression(e)) {
    if ('constant_value' in e && !(Array.isArray(e.references) && e.references.length > 0)) {
      for (const s of stringsIn(e.constant_value)) if (!isExpressionString(s)) out.push(s);
    }
  } else if (Array.isArray(e)) for (let i = 0; i < e.length; i++) literalStringsOf(e[i], out);
  else if (isObject(e)) for (const k in e) if (Object.hasOwn(e, k)) literalStringsOf(e[k], out);
  return out;
}

function isLiteralExpr(e: unknown): boolean {
  if (e === undefined) return false;
  const { value, unknown } = fromExpressions(e);
  const noUnknown = (u: unknown): boolean =>
    u === true ? false : Array.isArray(u) ? u.every(noUnknown) : isObject(u) ? Object.values(u).every(noUnknown) : true;
  return noUnknown(unknown) && value !== null && value !== undefined;
}

interface ModuleInfo {
  readonly variables: Obj;
  /** The root module's variable values as planned (top-level `variables` of the plan). */
  readonly values?: Obj;
  /** The calling module's prefix and the call's argument expressions (undefined for the root). */
  readonly parent?: { readonly prefix: string; readonly expressions: Obj };
}

interface ConfigResource {
  readonly iterationReferences: string[];
  readonly address: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  readonly providerKey: string;
  readonly expressions: Obj;
  readonly modulePrefix: string;
  readonly provisioners: Provisioner[];
}

/** Resources by configuration address (no instance key) through module calls, modules, literal strings. */
function readConfiguration(
  root: ConfigModule | undefined,
  rootValues: Obj = {},
): {
  configs: Map<string, ConfigResource>;
  modules: Map<string, ModuleInfo>;
  literals: string[];
} {
  const configs = new Map<string, ConfigResource>();
  const modules = new Map<string, ModuleInfo>();
  const literals: string[] = [];
  const visit = (mod: ConfigModule | undefined, prefix: string, parent?: ModuleInfo['parent']): void => {
    if (mod === undefined) return;
    modules.set(prefix, {
      variables: isObject(mod.variables) ? mod.variables : {},
      parent,
      values: parent ? undefined : rootValues,
    });
    for (const r of mod.resources) {
      configs.set(prefix + r.address, {
        iterationReferences: rawReferencesOf([r.for_each_expression, r.count_expression]),
        address: prefix + r.address,
        mode: r.mode,
        type: r.type,
        name: r.name,
        providerKey: r.provider_config_key ?? r.type.split('_')[0]!,
        expressions: r.expressions as Obj,
        modulePrefix: prefix,
        provisioners: provisionersOf(r.provisioners, true),
      });
    }
    if (isObject(mod.variables)) {
      for (const v of Object.values(mod.variables)) if (isObject(v)) literals.push(...stringsIn(v.default));
    }
    if (isObject(mod.outputs)) {
      for (const o of Object.values(mod.outputs)) if (isObject(o)) literals.push(...literalStringsOf(o.expression));
    }
    for (const [name, call] of mod.module_calls) {
      const expressions = call.expressions as Obj;
      literals.push(...literalStringsOf(expressions));
      visit(call.module, `${prefix}module.${name}.`, { prefix, expressions });
    }
  };
  visit(root, '');
  return { configs, modules, literals };
}

/** Provider blocks (sorted by key) and the `default_tags` each gives its resources. */
function readProviders(
  cfg: Configuration | undefined,
  modules: Map<string, ModuleInfo>,
): {
  providers: ProviderView[];
  defaultTags: Map<string, Record<string, Leaf>>;
} {
  const providers: ProviderView[] = [];
  const defaultTags = new Map<string, Record<string, Leaf>>();
  const entries = [...(cfg?.provider_config ?? new Map<string, ProviderConfig>())].sort(([a], [b]) => (a < b ? -1 : 1));
  for (const [key, p] of entries) {
    const name = p.name ?? key.split('.')[0]!;
    const full = p.full_name ?? `registry.terraform.io/hashicorp/${name}`;
    const ex = p.expressions as Obj;
    const modulePrefix = p.module_address !== undefined ? `${p.module_address}.` : '';
    providers.push({
      address: modulePrefix + providerAddress(full, p.alias),
      key,
      literalAttributes: Object.keys(ex)
        .filter((k) => isLiteralExpr(ex[k]))
        .sort(),
      literalStrings: literalStringsOf(ex),
      sources: (attr) => sourcesOf(modules, ex[attr], p.module_address !== undefined ? `${p.module_address}.` : ''),
    });
    const dt = ex.default_tags;
    const block = Array.isArray(dt) ? dt[0] : dt;
    if (isObject(block) && block.tags !== undefined) {
      const { value, unknown } = fromExpressions(block.tags);
      const tl = tagLeaves(value, unknown);
      if (tl) defaultTags.set(key, tl);
    }
  }
  return { providers, defaultTags };
}

/** The change (`after_unknown`, `after_sensitive`) per address (current objects: a deposed one will not exist). */
function changesByAddress(plan: PlanDocument): Map<string, RawResourceChange['change']> {
  const changes = new Map<string, RawResourceChange['change']>();
  for (const rc of plan.resource_changes) if (rc.deposed === undefined) changes.set(rc.address, rc.change);
  return changes;
}

/**
 * What the plan reader cannot vouch for, each a reason the check fails closed: an action list
 * Terraform does not write (the same rule receipts refuse by), an errored, unapplyable or
 * incomplete plan, a plan without its configuration. Addresses name where; no value is quoted.
 */
function distrust(plan: PlanDocument, origin: string): PlanDistrust[] {
  const out: PlanDistrust[] = [];
  const lists: [string, readonly RawResourceChange[]][] = [
    ['resource_changes', plan.resource_changes],
    ['resource_drift', plan.resource_drift],
  ];
  for (const [field, rcs] of lists) {
    rcs.forEach((rc, i) => {
      if (rc.action === null)
        out.push({
          reason: 'unknown-action',
          address: rc.address,
          message: unknownActionMessage(origin, `${field}[${i}].change.actions`, rc.address, rc.change.actions),
        });
    });
  }
  for (const [name, c] of plan.output_changes) {
    if (actionLabel(c.actions) === null)
      out.push({
        reason: 'unknown-action',
        address: `output.${name}`,
        message: unknownActionMessage(origin, `output_changes.${name}.actions`, `output.${name}`, c.actions),
      });
  }
  if (plan.errored === true)
    out.push({
      reason: 'errored',
      address: '(plan)',
      message: `${origin}: errored is true: Terraform stopped planning on an error, so the plan is partial`,
    });
  // Terraform writes applyable: false for a plan with nothing to apply (no changes, a refresh-only
  // check): that plan is judged like any other. Unapplyable with changes is what it cannot vouch for.
  if (plan.applyable === false && plan.errored !== true && hasChanges(plan))
    out.push({
      reason: 'not-applyable',
      address: '(plan)',
      message: `${origin}: applyable is false although the plan has changes: Terraform will not apply it`,
    });
  if (plan.complete === false)
    out.push({
      reason: 'incomplete',
      address: '(plan)',
      message: `${origin}: complete is false: changes were deferred, so what will exist after apply is not fully known`,
    });
  if (plan.configuration === undefined)
    out.push({
      reason: 'no-configuration',
      address: '(plan)',
      message: `${origin}: configuration is missing: links between resources and literal values cannot be checked`,
    });
  return out;
}

/** Whether the plan would change anything: a resource or output change that is not a no-op. */
function hasChanges(plan: PlanDocument): boolean {
  return (
    plan.resource_changes.some((rc) => rc.action !== 'no-op') ||
    [...plan.output_changes.values()].some((c) => actionLabel(c.actions) !== 'no-op')
  );
}

/** Addresses the plan deletes and does not re-create (current objects, not deposed ones). */
function deletions(plan: PlanDocument): string[] {
  return plan.resource_changes
    .filter((rc) => rc.deposed === undefined && (rc.action === 'delete' || rc.action === 'forget'))
    .map((rc) => rc.address)
    .sort();
}

/** What the plan's configuration gives every resource: config by address, modules, provider default tags. */
interface PlanReading {
  readonly configs: Map<string, ConfigResource>;
  readonly modules: Map<string, ModuleInfo>;
  readonly defaultTags: Map<string, Record<string, Leaf>>;
}

/** Where an expression's value comes from, following module variables up to the root. */
function sourcesOf(modules: Map<string, ModuleInfo>, e: unknown, prefix: string, depth = 0): ValueSource[] {
  if (e === undefined || depth > 32) return [];
  const out: ValueSource[] = [];
  if (hasConstant(e)) out.push({ kind: 'literal' });
  for (const r of rawReferencesOf(e)) {
    const c = classifyReference(r);
    if (!c) continue;
    if (c.kind !== 'variable') {
      out.push(c);
      continue;
    }
    const info = modules.get(prefix);
    const decl = info && isObject(info.variables[c.name]) ? (info.variables[c.name] as Obj) : {};
    const sensitive = decl.sensitive === true;
    const passed = info?.parent?.expressions[c.name];
    // A module variable is what its caller passed in; without an argument it is its default.
    if (info?.parent && passed !== undefined && !sensitive)
      out.push(...sourcesOf(modules, passed, info.parent.prefix, depth + 1));
    else
      out.push({
        kind: 'variable',
        name: c.name,
        sensitive,
        literalDefault: decl.default !== undefined && decl.default !== null,
        value: isObject(info?.values?.[c.name]) ? (info.values[c.name] as Obj).value : undefined,
      });
  }
  return out;
}

/**
 * The references of an expression in order, a module variable (`var.x`, used whole) followed to the
 * argument its caller passed, one module level up each time; anything else is kept as written.
 */
function traversalsOf(modules: Map<string, ModuleInfo>, e: unknown, prefix: string, up = 0): Traversal[] {
  if (e === undefined || up > 32) return [];
  const out: Traversal[] = [];
  for (const ref of referenceListOf(e)) {
    const v = /^var\.([A-Za-z_][\w-]*)$/.exec(ref);
    const info = v ? modules.get(prefix) : undefined;
    const passed = v ? info?.parent?.expressions[v[1]] : undefined;
    if (info?.parent && passed !== undefined) out.push(...traversalsOf(modules, passed, info.parent.prefix, up + 1));
    else out.push({ ref, up });
  }
  return out;
}

function anySensitive(m: unknown): boolean {
  return (
    m === true || (Array.isArray(m) ? m.some(anySensitive) : isObject(m) ? Object.values(m).some(anySensitive) : false)
  );
}

/** Who one resource instance is, as the plan (or its configuration) names it. */
interface PlannedInstance {
  readonly address: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
}

/** What the plan gives one instance: values, and the change's unknown and sensitivity masks. */
interface PlannedValues {
  readonly values: Obj;
  readonly unknownMarks: unknown;
  readonly sensitiveMarks?: unknown;
}

/** What the configuration says of one planned instance: its expressions, read on demand. */
class PlanConfigAnswers implements ConfigAnswers {
  readonly iterationReferences: readonly string[];
  readonly #ex: Obj;
  readonly #prefix: string;
  readonly #marks: Obj;
  readonly #sens: Obj;
  readonly #modules: Map<string, ModuleInfo>;

  constructor(cfg: ConfigResource | undefined, marks: Obj, sens: Obj, modules: Map<string, ModuleInfo>) {
    this.#ex = cfg?.expressions ?? {};
    this.#prefix = cfg?.modulePrefix ?? '';
    this.iterationReferences = cfg?.iterationReferences ?? [];
    this.#marks = marks;
    this.#sens = sens;
    this.#modules = modules;
  }
  references(attr: string): string[] {
    return referencesOf(this.#ex[attr], this.#prefix);
  }
  rawReferences(attr: string): readonly string[] {
    // Every instance of a module or a count shares its configuration's expressions: read once.
    const e = this.#ex[attr];
    if (typeof e !== 'object' || e === null) return NO_REFERENCES;
    let refs = RAW_REFERENCES.get(e);
    if (refs === undefined) RAW_REFERENCES.set(e, (refs = rawReferencesOf(e)));
    return refs;
  }
  /** A dynamic block is absent from configuration expressions but present in after_unknown. */
  isConfigured(attr: string): boolean {
    const m = this.#marks[attr];
    return this.#ex[attr] !== undefined || (Array.isArray(m) && m.length > 0);
  }
  isSensitive(attr: string): boolean {
    return anySensitive(this.#sens[attr]);
  }
  sources(path: string): ValueSource[] {
    // Every instance of a module or a count shares its configuration's expressions: read once.
    let byPath = SOURCES.get(this.#ex);
    if (byPath === undefined) SOURCES.set(this.#ex, (byPath = new Map()));
    let read = byPath.get(path);
    if (read === undefined) {
      const steps = path.split('.');
      const e = expressionAt(this.#ex, steps);
      read = {
        steps,
        call: isObject(e) && Object.keys(e).length === 0,
        sources: sourcesOf(this.#modules, e, this.#prefix),
      };
      byPath.set(path, read);
    }
    // `{}`: a function call over literals only (`jsonencode({password = "..."})`), which Terraform
    // cannot write as a constant and which names nothing. Known at plan, it is a literal; unknown,
    // a value made at apply (`uuid()`).
    if (read.call && plainAt(this.#marks, read.steps) !== true) return [{ kind: 'literal' }];
    return read.sources;
  }
  traversalsAt(path: string): readonly Traversal[] {
    return traversalsOf(this.#modules, expressionAt(this.#ex, path.split('.')), this.#prefix);
  }
  sensitivePaths(): readonly string[] {
    // Kept by the view for the whole check: most resources have none, and share one empty list.
    const paths = maskPaths(this.#sens);
    return paths.length === 0 ? NO_PATHS : paths;
  }
  configStrings(): readonly string[] {
    // Every instance of a module or a count shares its configuration's expressions: read once.
    let out = CONFIG_STRINGS.get(this.#ex);
    if (out === undefined) CONFIG_STRINGS.set(this.#ex, (out = literalStringsOf(this.#ex)));
    return out;
  }
  templateAt(path: string): unknown {
    return templateOf(this.#ex, path.split('.'));
  }
  rawConfig(attr: string): unknown {
    const e = this.#ex[attr];
    return isExpression(e) ? e.constant_value : undefined;
  }
  isLiteral(attr: string): boolean {
    return isLiteralExpr(this.#ex[attr]);
  }
}

const NO_REFERENCES: readonly string[] = Object.freeze([]);
const NO_PATHS: readonly string[] = Object.freeze([]);

/** An attribute expression's raw references, by expression object (shared like CONFIG_STRINGS). */
const RAW_REFERENCES = new WeakMap<object, readonly string[]>();

/**
 * Where a path's configured value comes from, by expressions object and path (shared like
 * CONFIG_STRINGS: the module prefix and the module variables are those of the one configuration
 * resource). `call`: the expression is `{}`, a function call over literals only.
 */
const SOURCES = new WeakMap<Obj, Map<string, { steps: string[]; call: boolean; sources: ValueSource[] }>>();

/** The configuration constants' strings, by expressions object (shared by the instances of one configuration resource). */
const CONFIG_STRINGS = new WeakMap<Obj, readonly string[]>();

/** No marks: shared by every instance without them (never written to). */
const NO_MARKS: Obj = Object.freeze({});

/** tags_all is the provider's resolution of default_tags + tags: used whenever it is known. */
const tagsAll: ResolvedTags = (values, marks, mode) =>
  mode === 'managed' && isObject(values.tags_all) && marks?.tags_all !== true
    ? tagLeaves(values.tags_all, marks?.tags_all)
    : undefined;

/** The view of one planned instance: values and masks from the plan, answers from its configuration. */
function planResource(reading: PlanReading, r: PlannedInstance, planned: PlannedValues): ResourceView {
  const { modulePath, configAddress, instanceKey } = splitAddress(r.address);
  const cfg = reading.configs.get(configAddress);
  const providerKey = cfg?.providerKey ?? r.type.split('_')[0];
  const marks = isObject(planned.unknownMarks) ? planned.unknownMarks : NO_MARKS;
  const sens = isObject(planned.sensitiveMarks) ? planned.sensitiveMarks : NO_MARKS;
  const { values } = planned;
  return resourceView(
    {
      address: r.address,
      configAddress,
      mode: r.mode,
      type: r.type,
      name: r.name,
      providerKey,
      values,
      instanceKey,
      modulePath,
      unknownMarks: marks,
      defaultTags: reading.defaultTags.get(providerKey),
      provisioners: cfg?.provisioners,
      resolvedTags: tagsAll,
    },
    new PlanConfigAnswers(cfg, marks, sens, reading.modules),
  );
}

/**
 * Every resource the rules judge, by address order: planned values (managed and data), data
 * sources read only into the prior state, then data sources only configuration names.
 */
function planResources(plan: PlanDocument, reading: PlanReading): ResourceView[] {
  const changes = changesByAddress(plan);
  const resources = new Map<string, ResourceView>();
  const addModule = (mod: StateModule | undefined, onlyData: boolean): void => {
    if (mod === undefined) return;
    for (const r of mod.resources) {
      if ((onlyData && r.mode !== 'data') || resources.has(r.address)) continue;
      const change = changes.get(r.address);
      resources.set(
        r.address,
        planResource(reading, r, {
          values: r.values as Obj,
          unknownMarks: change?.after_unknown,
          sensitiveMarks: change?.after_sensitive ?? r.sensitive_values,
        }),
      );
    }
    for (const c of mod.child_modules) addModule(c, onlyData);
  };
  addModule(plan.planned_values?.root_module, false);
  addModule(plan.prior_state?.root_module, true);
  // Data sources neither read nor planned (not expected, but never silently missing): from configuration.
  for (const c of reading.configs.values()) {
    if (c.mode !== 'data' || resources.has(c.address)) continue;
    const { value, unknown } = fromExpressions(c.expressions);
    const values = (value ?? {}) as Obj;
    resources.set(c.address, planResource(reading, { ...c, mode: 'data' }, { values, unknownMarks: unknown }));
  }
  return [...resources.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

/**
 * Build the view from the plan model (`terraform show -json PLANFILE`, any format_version 0.1 to
 * 1.x the model reads). Rules judge what will exist after the plan: values from `planned_values`
 * (data sources also from `prior_state`), unknowns from `resource_changes[].change.after_unknown`,
 * links and literal-ness from `configuration`. A raw parsed value is checked by the model first,
 * so receipts and policy accept and refuse the same inputs with the same messages.
 */
export function viewFromPlan(doc: unknown, origin: string): PolicyInput {
  const plan = planFromValue(doc, origin);
  const rootValues = isObject(doc) && isObject(doc.variables) ? doc.variables : {};
  const { configs, modules, literals } = readConfiguration(plan.configuration?.root_module, rootValues);
  const { providers, defaultTags } = readProviders(plan.configuration, modules);
  return {
    source: 'plan',
    origin,
    resources: planResources(plan, { configs, modules, defaultTags }),
    providers,
    literalStrings: literals.filter((s) => !isExpressionString(s)),
    plan: { distrust: distrust(plan, origin), deletes: deletions(plan) },
  };
}
