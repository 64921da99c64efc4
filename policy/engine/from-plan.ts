import { ReceiptError } from '../../core/errors';
import {
  Leaf,
  PolicyInput,
  ProviderView,
  ResourceView,
  isExpressionString,
  mergeTags,
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
  walk,
} from './view';
import { isObject } from '../../core/json';

type Obj = Record<string, unknown>;
/** Accepted plan JSON `format_version` majors (Terraform 1.x writes 1.0, 1.1, 1.2). */
const ACCEPTED_MAJOR = 1;

/** An expression object from `configuration` (`{constant_value?, references?}`). */
function isExpression(e: unknown): e is { constant_value?: unknown; references?: unknown } {
  return (
    isObject(e) &&
    Object.keys(e).length > 0 &&
    Object.keys(e).every((k) => k === 'constant_value' || k === 'references')
  );
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
  } else if (Array.isArray(e)) e.forEach((x) => literalStringsOf(x, out));
  else if (isObject(e)) Object.values(e).forEach((x) => literalStringsOf(x, out));
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
}

/**
 * Build the view from `terraform show -json <planfile>` output. Values come from `planned_values`
 * (data sources also from `prior_state`), unknowns from `resource_changes[].change.after_unknown`,
 * links and literal-ness from `configuration`. Throws PLAN_FORMAT_UNSUPPORTED / PLAN_FIELD_INVALID.
 */
export function viewFromPlan(doc: unknown, origin: string): PolicyInput {
  if (!isObject(doc))
    throw new ReceiptError('PLAN_FIELD_INVALID', `${origin}: top level is not a JSON object; expected plan JSON`);
  const fv = doc.format_version;
  if (typeof fv !== 'string') {
    throw new ReceiptError(
      'PLAN_FORMAT_UNSUPPORTED',
      `${origin}: format_version is missing; expected plan JSON ">=1.0 <2.0" from "terraform show -json PLANFILE" (for cdk.tf.json use --synth)`,
    );
  }
  if (Number(fv.split('.')[0]) !== ACCEPTED_MAJOR || !/^\d+\.\d+$/.test(fv)) {
    throw new ReceiptError('PLAN_FORMAT_UNSUPPORTED', `${origin}: format_version "${fv}", expected >=1.0 <2.0`);
  }
  if (doc.planned_values !== undefined && !isObject(doc.planned_values)) {
    throw new ReceiptError('PLAN_FIELD_INVALID', `${origin}: planned_values is not an object`);
  }
  if (doc.resource_changes !== undefined && !Array.isArray(doc.resource_changes)) {
    throw new ReceiptError('PLAN_FIELD_INVALID', `${origin}: resource_changes is not an array`);
  }
  if (!isObject(doc.configuration)) {
    throw new ReceiptError(
      'PLAN_FIELD_INVALID',
      `${origin}: configuration is missing; the policy needs it to link resources and find literals`,
    );
  }
  const configuration = doc.configuration;

  /** A module's `resources`, each checked to carry a string address, type and name. */
  const moduleResources = (mod: Obj, field: string): (Obj & { address: string; type: string; name: string })[] => {
    const rs = mod.resources ?? [];
    if (!Array.isArray(rs))
      throw new ReceiptError('PLAN_FIELD_INVALID', `${origin}: ${field}.resources is not an array`);
    return rs.map((r, i) => {
      if (!isObject(r) || typeof r.address !== 'string' || typeof r.type !== 'string' || typeof r.name !== 'string') {
        throw new ReceiptError('PLAN_FIELD_INVALID', `${origin}: ${field}.resources[${i}] lacks address/type/name`);
      }
      return r as Obj & { address: string; type: string; name: string };
    });
  };

  // Configuration: resources by address (no instance key), recursively through module calls.
  const configs = new Map<string, ConfigResource>();
  const modules = new Map<string, ModuleInfo>();
  const variableDefaults: string[] = [];
  const walkModule = (mod: unknown, prefix: string, field: string, parent?: ModuleInfo['parent']): void => {
    if (mod === undefined) return;
    if (!isObject(mod)) throw new ReceiptError('PLAN_FIELD_INVALID', `${origin}: ${field} is not an object`);
    modules.set(prefix, { variables: isObject(mod.variables) ? mod.variables : {}, parent });
    moduleResources(mod, field).forEach((r) => {
      configs.set(prefix + r.address, {
        iterationReferences: rawReferencesOf([r.for_each_expression, r.count_expression]),
        address: prefix + r.address,
        mode: r.mode === 'data' ? 'data' : 'managed',
        type: r.type,
        name: r.name,
        providerKey: typeof r.provider_config_key === 'string' ? r.provider_config_key : r.type.split('_')[0],
        expressions: isObject(r.expressions) ? r.expressions : {},
        modulePrefix: prefix,
      });
    });
    if (isObject(mod.variables)) {
      for (const v of Object.values(mod.variables)) if (isObject(v)) variableDefaults.push(...stringsIn(v.default));
    }
    if (isObject(mod.outputs)) {
      for (const o of Object.values(mod.outputs))
        if (isObject(o)) variableDefaults.push(...literalStringsOf(o.expression));
    }
    if (isObject(mod.module_calls)) {
      for (const [name, call] of Object.entries(mod.module_calls)) {
        if (!isObject(call)) continue;
        const expressions = isObject(call.expressions) ? call.expressions : {};
        variableDefaults.push(...literalStringsOf(expressions));
        walkModule(call.module, `${prefix}module.${name}.`, `${field}.module_calls.${name}.module`, {
          prefix,
          expressions,
        });
      }
    }
  };
  walkModule(configuration.root_module, '', 'configuration.root_module');

  /** Where an expression's value comes from, following module variables up to the root. */
  const sourcesOf = (e: unknown, prefix: string, depth = 0): ValueSource[] => {
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
        out.push(...sourcesOf(passed, info.parent.prefix, depth + 1));
      else out.push({ kind: 'variable', name: c.name, sensitive });
    }
    return out;
  };

  // Providers.
  const providers: ProviderView[] = [];
  const defaultTags = new Map<string, Record<string, Leaf>>();
  const pc = configuration.provider_config ?? {};
  if (!isObject(pc))
    throw new ReceiptError('PLAN_FIELD_INVALID', `${origin}: configuration.provider_config is not an object`);
  for (const [key, p] of Object.entries(pc).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!isObject(p)) continue;
    const name = typeof p.name === 'string' ? p.name : key.split('.')[0];
    const full = typeof p.full_name === 'string' ? p.full_name : `registry.terraform.io/hashicorp/${name}`;
    const alias = typeof p.alias === 'string' ? p.alias : undefined;
    const ex = isObject(p.expressions) ? p.expressions : {};
    const modulePrefix = typeof p.module_address === 'string' ? `${p.module_address}.` : '';
    providers.push({
      address: modulePrefix + providerAddress(full, alias),
      key,
      literalAttributes: Object.keys(ex)
        .filter((k) => isLiteralExpr(ex[k]))
        .sort(),
      literalStrings: literalStringsOf(ex),
    });
    const dt = ex.default_tags;
    const block = Array.isArray(dt) ? dt[0] : dt;
    if (isObject(block) && block.tags !== undefined) {
      const { value, unknown } = fromExpressions(block.tags);
      const tl = tagLeaves(value, unknown);
      if (tl) defaultTags.set(key, tl);
    }
  }

  // after_unknown and after_sensitive per address.
  const unknowns = new Map<string, unknown>();
  const sensitives = new Map<string, unknown>();
  for (const [i, rc] of ((doc.resource_changes ?? []) as unknown[]).entries()) {
    if (!isObject(rc) || typeof rc.address !== 'string' || !isObject(rc.change)) {
      throw new ReceiptError('PLAN_FIELD_INVALID', `${origin}: resource_changes[${i}] lacks address/change`);
    }
    if (rc.deposed === undefined) {
      unknowns.set(rc.address, rc.change.after_unknown);
      sensitives.set(rc.address, rc.change.after_sensitive);
    }
  }

  const resources = new Map<string, ResourceView>();
  const make = (
    address: string,
    mode: 'managed' | 'data',
    type: string,
    name: string,
    values: Obj,
    unknownMarks: unknown,
    sensitiveMarks?: unknown,
  ): ResourceView => {
    const { modulePath, configAddress, instanceKey } = splitAddress(address);
    const cfg = configs.get(configAddress);
    const providerKey = cfg?.providerKey ?? type.split('_')[0];
    const marks = isObject(unknownMarks) ? unknownMarks : {};
    const sens = isObject(sensitiveMarks) ? sensitiveMarks : {};
    const ex = cfg?.expressions ?? {};
    const dt = mode === 'managed' ? defaultTags.get(providerKey) : undefined;
    // tags_all is the provider's resolution of default_tags + tags: use it whenever it is known.
    const tagsAll =
      mode === 'managed' && isObject(values.tags_all) && marks.tags_all !== true
        ? tagLeaves(values.tags_all, marks.tags_all)
        : undefined;
    const anySensitive = (m: unknown): boolean =>
      m === true ||
      (Array.isArray(m) ? m.some(anySensitive) : isObject(m) ? Object.values(m).some(anySensitive) : false);
    return {
      address,
      configAddress,
      mode,
      type,
      name,
      providerKey,
      values,
      instanceKey,
      modulePath,
      leaves: (path) => walk(values, marks, path.split('.')),
      references: (attr) => referencesOf(ex[attr], cfg?.modulePrefix ?? ''),
      rawReferences: (attr) => rawReferencesOf(ex[attr]),
      iterationReferences: cfg?.iterationReferences ?? [],
      // A dynamic block is absent from configuration expressions but present in after_unknown.
      isConfigured: (attr) =>
        ex[attr] !== undefined || (Array.isArray(marks[attr]) && (marks[attr] as unknown[]).length > 0),
      isSensitive: (attr) => anySensitive(sens[attr]),
      sources: (path) => sourcesOf(expressionAt(ex, path.split('.')), cfg?.modulePrefix ?? ''),
      sensitivePaths: maskPaths(sens),
      configStrings: literalStringsOf(ex),
      templateAt: (path) => templateOf(ex, path.split('.')),
      rawConfig: (attr) =>
        isExpression(ex[attr]) ? (ex[attr] as { constant_value?: unknown }).constant_value : undefined,
      isLiteral: (attr) => isLiteralExpr(ex[attr]),
      tags: tagsAll ?? mergeTags(dt, tagLeaves(values.tags, marks.tags)),
    };
  };
  const addModuleResources = (mod: unknown, field: string, onlyData: boolean): void => {
    if (mod === undefined || mod === null) return;
    if (!isObject(mod)) throw new ReceiptError('PLAN_FIELD_INVALID', `${origin}: ${field} is not an object`);
    moduleResources(mod, field).forEach((r) => {
      const mode = r.mode === 'data' ? 'data' : 'managed';
      if (onlyData && mode !== 'data') return;
      if (resources.has(r.address)) return;
      const values = isObject(r.values) ? r.values : {};
      resources.set(
        r.address,
        make(
          r.address,
          mode,
          r.type,
          r.name,
          values,
          unknowns.get(r.address),
          sensitives.get(r.address) ?? r.sensitive_values,
        ),
      );
    });
    const children = mod.child_modules ?? [];
    if (!Array.isArray(children))
      throw new ReceiptError('PLAN_FIELD_INVALID', `${origin}: ${field}.child_modules is not an array`);
    children.forEach((c, i) => addModuleResources(c, `${field}.child_modules[${i}]`, onlyData));
  };
  const pv = doc.planned_values as Obj | undefined;
  addModuleResources(pv?.root_module, 'planned_values.root_module', false);
  const prior = isObject(doc.prior_state) && isObject(doc.prior_state.values) ? doc.prior_state.values : undefined;
  addModuleResources(prior?.root_module, 'prior_state.values.root_module', true);
  // Data sources neither read nor planned (not expected, but never silently missing): from configuration.
  for (const c of configs.values()) {
    if (c.mode !== 'data' || resources.has(c.address)) continue;
    const { value, unknown } = fromExpressions(c.expressions);
    resources.set(c.address, make(c.address, 'data', c.type, c.name, (value ?? {}) as Obj, unknown));
  }

  const literalStrings = [...variableDefaults.filter((s) => !isExpressionString(s))];
  const sorted = [...resources.values()].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
  return { source: 'plan', origin, resources: sorted, providers, literalStrings };
}
