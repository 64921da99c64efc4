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
  stringsIn,
  tagLeaves,
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

interface ConfigResource {
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
  const variableDefaults: string[] = [];
  const walkModule = (mod: unknown, prefix: string, field: string): void => {
    if (mod === undefined) return;
    if (!isObject(mod)) throw new ReceiptError('PLAN_FIELD_INVALID', `${origin}: ${field} is not an object`);
    moduleResources(mod, field).forEach((r) => {
      configs.set(prefix + r.address, {
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
        if (isObject(call)) walkModule(call.module, `${prefix}module.${name}.`, `${field}.module_calls.${name}.module`);
      }
    }
  };
  walkModule(configuration.root_module, '', 'configuration.root_module');

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

  // after_unknown per address.
  const unknowns = new Map<string, unknown>();
  for (const [i, rc] of ((doc.resource_changes ?? []) as unknown[]).entries()) {
    if (!isObject(rc) || typeof rc.address !== 'string' || !isObject(rc.change)) {
      throw new ReceiptError('PLAN_FIELD_INVALID', `${origin}: resource_changes[${i}] lacks address/change`);
    }
    if (rc.deposed === undefined) unknowns.set(rc.address, rc.change.after_unknown);
  }

  const resources = new Map<string, ResourceView>();
  const make = (
    address: string,
    mode: 'managed' | 'data',
    type: string,
    name: string,
    values: Obj,
    unknownMarks: unknown,
  ): ResourceView => {
    const configAddress = address.replace(/\[[^\]]*\]$/, '');
    const cfg = configs.get(configAddress);
    const providerKey = cfg?.providerKey ?? type.split('_')[0];
    const marks = isObject(unknownMarks) ? unknownMarks : {};
    const ex = cfg?.expressions ?? {};
    const dt = mode === 'managed' ? defaultTags.get(providerKey) : undefined;
    return {
      address,
      configAddress,
      mode,
      type,
      name,
      providerKey,
      values,
      leaves: (path) => walk(values, marks, path.split('.')),
      references: (attr) => referencesOf(ex[attr], cfg?.modulePrefix ?? ''),
      isConfigured: (attr) => ex[attr] !== undefined,
      rawConfig: (attr) =>
        isExpression(ex[attr]) ? (ex[attr] as { constant_value?: unknown }).constant_value : undefined,
      isLiteral: (attr) => isLiteralExpr(ex[attr]),
      tags: mergeTags(dt, tagLeaves(values.tags, marks.tags)),
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
      resources.set(r.address, make(r.address, mode, r.type, r.name, values, unknowns.get(r.address)));
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
