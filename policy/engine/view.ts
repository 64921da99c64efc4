/**
 * The normalised resource view: ONE shape for both inputs the policy pack judges, so one rule
 * implementation gives the same findings at synth (cdk.tf.json) and at plan (plan JSON).
 *
 * - Addresses are in Terraform form in both views (`aws_s3_bucket.raw`, `module.m.aws_x.y[0]`,
 *   `data.aws_iam_policy_document.p`).
 * - Nested blocks are arrays in plan JSON and often single objects in cdktf output; `leaves()`
 *   flattens both, so rules never see the difference.
 * - A value is UNKNOWN when the plan marks it in `after_unknown`, or (synth) when it is still a
 *   Terraform expression string (`"${...}"`). Rules must treat an unknown security-relevant value
 *   as a failing finding (fail closed), never as compliant.
 * - Links between resources (a public access block's `bucket` pointing at a bucket) come from
 *   `references(attr)`: parsed from `${...}` in synth, from `configuration...expressions.<attr>.references`
 *   in plan. Both give resource addresses without an index (`aws_s3_bucket.raw`).
 */

/** One leaf reached by a path: a known value, or unknown at this stage. */
export type Leaf = { readonly unknown: true } | { readonly unknown: false; readonly value: unknown };

export interface ResourceView {
  /** Terraform address, with module path and instance key when present. */
  readonly address: string;
  /** Address without the instance key, as references name it (`aws_s3_bucket.raw`). */
  readonly configAddress: string;
  readonly mode: 'managed' | 'data';
  readonly type: string;
  readonly name: string;
  /** The provider configuration this resource uses, e.g. `aws` or `aws.west`. */
  readonly providerKey: string;
  /** Known attribute values (raw; do not print: they may hold secrets). */
  readonly values: Readonly<Record<string, unknown>>;
  /**
   * Every leaf reached by a dotted path (`rule.apply_server_side_encryption_by_default.sse_algorithm`),
   * flattening nested blocks/lists at each step. An absent or null attribute gives no leaves.
   */
  leaves(path: string): Leaf[];
  /** Addresses (no instance key) referenced by the expression of a top-level attribute. */
  references(attr: string): string[];
  /**
   * The attribute as written in configuration, `${...}` expressions unresolved: synth values,
   * or plan `configuration...expressions.<attr>.constant_value` (Terraform includes it for
   * JSON-syntax configs such as cdktf's). Undefined when not available.
   */
  rawConfig(attr: string): unknown;
  /**
   * The configuration at a dotted path (numeric steps index lists) as written, `${...}` templates kept:
   * synth values, or plan `constant_value` (JSON-syntax configurations keep templates there).
   * Undefined when configuration holds no constant there (an HCL expression).
   */
  templateAt(path: string): unknown;
  /** True when the top-level attribute or block appears in configuration at all (literal or expression). */
  isConfigured(attr: string): boolean;
  /** True when the attribute was written as a literal in configuration (no reference, not computed). */
  isLiteral(attr: string): boolean;
  /**
   * Effective tags: in plan the resolved `tags_all` when known (so `default_tags` from a local or a
   * variable count), else provider `default_tags` merged with the resource's own `tags`.
   */
  readonly tags: Readonly<Record<string, Leaf>>;
  /** Instance key (`count` index or `for_each` key) of this instance, undefined for a single instance. */
  readonly instanceKey?: string | number;
  /** Module instance path of this instance, with keys and a trailing dot (`module.m["a"].`), or ''. */
  readonly modulePath: string;
  /**
   * References of a top-level attribute as Terraform wrote them, relative to the resource's module and
   * with indexes kept (`aws_s3_bucket.n[1].id`, `aws_s3_bucket.f`, `each.key`, `count.index`, `var.x`).
   */
  rawReferences(attr: string): readonly string[];
  /**
   * Every reference of the configured value at a dotted path (numeric steps index blocks), in order and
   * repeated as written (Terraform lists `aws_x.y.arn` and `aws_x.y` for each use), module variables
   * followed to the argument their caller passed. `up` counts the module levels above this resource's
   * module the reference is written in. Empty when the path holds no reference.
   */
  traversalsAt(path: string): readonly Traversal[];
  /** References of the `for_each` / `count` expression (to resolve `each.value`). */
  readonly iterationReferences: readonly string[];
  /**
   * Whether Terraform marks the attribute sensitive (plan `after_sensitive`, which follows the provider
   * schema). Undefined in synth: a cdk.tf.json carries no schema.
   */
  isSensitive(attr: string): boolean | undefined;
  /**
   * Where the configured value of an attribute or dotted path (numeric steps index blocks) comes
   * from; empty when not configured.
   */
  sources(path: string): ValueSource[];
  /** Dotted paths Terraform marks sensitive (plan `after_sensitive`); empty in synth (no schema). */
  readonly sensitivePaths: readonly string[];
  /** Every literal string in this resource's configuration (credential pattern scans; never printed). */
  readonly configStrings: readonly string[];
  /**
   * The resource's provisioners as configured (`local-exec`, `remote-exec`, ...): the command when it
   * is a literal, else `unknown`. @default - none
   */
  readonly provisioners?: readonly Provisioner[];
}

/** One reference of a configured value, relative to a module `up` levels above the resource's. */
export interface Traversal {
  /** As Terraform wrote it: `aws_s3_bucket.b.arn`, `aws_s3_bucket.n[0]`, `each.value.arn`, `var.x`. */
  readonly ref: string;
  readonly up: number;
}

/** An instance key as Terraform writes it: `[0]` or `["k"]` (JSON-style escapes). */
const INSTANCE_KEY = String.raw`\[(?:"(?:[^"\\]|\\.)*"|\d+)\]`;
/** One module instance of an address: `module.NAME.`, `module.NAME[0].`, `module.NAME["k"].`. */
const MODULE_SEGMENT = String.raw`module\.[A-Za-z_][\w-]*(?:${INSTANCE_KEY})?\.`;
const MODULE_SEGMENTS = new RegExp(MODULE_SEGMENT, 'g');
const INSTANCE_KEYS = new RegExp(INSTANCE_KEY, 'g');
/** A resource instance after its module path: `[data.]type.name[key]`. */
const RESOURCE_PART = String.raw`((?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*)(${INSTANCE_KEY})?$`;
/** An address as Terraform writes it: module instances, then the resource. */
const ADDRESS = new RegExp(`^((?:${MODULE_SEGMENT})*)${RESOURCE_PART}`);
/** Anything else: the leftmost resource part that ends the text, after whatever comes first. */
const LOOSE_ADDRESS = new RegExp(`^(.*?)${RESOURCE_PART}`);

/**
 * The module instance path `up` levels above `modulePath` (`module.a["k"].module.b.` up 1 →
 * `module.a["k"].`), or undefined above the root.
 */
export function modulePathAbove(modulePath: string, up: number): string | undefined {
  const segments = modulePath.match(MODULE_SEGMENTS) ?? [];
  return up > segments.length ? undefined : segments.slice(0, segments.length - up).join('');
}

/** One provisioner of a resource: its type and command (a literal, or unknown when an expression). */
export interface Provisioner {
  readonly type: string;
  /** The literal command (or inline lines joined); undefined when it is an expression or absent. */
  readonly command?: string;
  /** True when a command is configured but not as a literal. */
  readonly unknown: boolean;
}

/** Provisioners from a configuration list of `{type, expressions}` (plan) or `{<type>: {...}}` (synth). */
export function provisionersOf(list: unknown, fromPlan: boolean): Provisioner[] {
  if (!Array.isArray(list)) return [];
  return list.flatMap((p): Provisioner[] => {
    if (!p || typeof p !== 'object') return [];
    const entries: Array<[string, Record<string, unknown>]> = fromPlan
      ? [
          [
            String((p as Record<string, unknown>).type),
            ((p as Record<string, unknown>).expressions ?? {}) as Record<string, unknown>,
          ],
        ]
      : (Object.entries(p) as Array<[string, Record<string, unknown>]>);
    return entries.map(([type, body]) => {
      const raw = body?.command ?? body?.inline;
      const value =
        fromPlan && raw && typeof raw === 'object' && !Array.isArray(raw)
          ? (raw as Record<string, unknown>).constant_value
          : raw;
      const text = Array.isArray(value) ? value.filter((x) => typeof x === 'string').join('\n') : value;
      const literal = typeof text === 'string' && !isExpressionString(text);
      return { type, command: literal ? text : undefined, unknown: raw !== undefined && !literal };
    });
  });
}

/** The origin of a configured value, read from configuration expressions. */
export type ValueSource =
  | { readonly kind: 'literal' }
  | {
      readonly kind: 'variable';
      readonly name: string;
      readonly sensitive: boolean;
      /** The variable declares a literal (non-null) default: its value sits in the configuration. */
      readonly literalDefault?: boolean;
      /** A root variable's value as planned (plan only; never printed). */
      readonly value?: unknown;
    }
  | { readonly kind: 'local'; readonly name: string }
  | { readonly kind: 'data'; readonly address: string }
  | { readonly kind: 'ephemeral'; readonly address: string }
  | { readonly kind: 'resource'; readonly address: string }
  | { readonly kind: 'iteration'; readonly name: string }
  | { readonly kind: 'other'; readonly name: string };

/** Classify one reference (`var.x`, `local.y`, `data.a.b.c`, `ephemeral.a.b`, `aws_x.y.z`, `each.value`). */
export function classifyReference(ref: string): ValueSource | undefined {
  const head = ref.split(/[.[]/)[0];
  const second = ref.split('.')[1]?.replace(/\[.*$/, '') ?? '';
  if (head === 'var') return { kind: 'variable', name: second, sensitive: false };
  if (head === 'local') return { kind: 'local', name: second };
  if (head === 'each' || head === 'count') return { kind: 'iteration', name: `${head}.${second}` };
  if (head === 'data') return { kind: 'data', address: ref.split('.').slice(0, 3).join('.') };
  if (head === 'ephemeral') return { kind: 'ephemeral', address: ref.split('.').slice(0, 3).join('.') };
  if (head === 'path' || head === 'terraform' || head === 'self') return { kind: 'other', name: head };
  if (head === 'module') return { kind: 'other', name: ref.split('.').slice(0, 3).join('.') };
  const a = referenceToAddress(ref);
  return a ? { kind: 'resource', address: a } : undefined;
}

/**
 * Split an instance address into module path (with keys), configuration address and instance key.
 * Module instances are read first, one `module.NAME[key].` at a time: a module named `metadata`
 * is a module, never the start of a data source (`data.aws_s3_bucket.b` in a module "module.meta").
 */
export function splitAddress(address: string): {
  modulePath: string;
  configAddress: string;
  instanceKey?: string | number;
} {
  const m = ADDRESS.exec(address) ?? LOOSE_ADDRESS.exec(address);
  if (!m) return { modulePath: '', configAddress: address };
  const modulePath = m[1];
  const key = m[3] ? m[3].slice(1, -1) : undefined;
  return {
    modulePath,
    configAddress: modulePath.replace(INSTANCE_KEYS, '') + m[2],
    instanceKey: key === undefined ? undefined : key.startsWith('"') ? quotedKey(key) : Number(key),
  };
}

/**
 * A quoted instance key's string; the text between the quotes when JSON cannot read it (a raw
 * control character: Terraform escapes those, a plan written by hand may not). Never a crash.
 */
function quotedKey(key: string): string {
  try {
    return JSON.parse(key) as string;
  } catch {
    return key.slice(1, -1);
  }
}

/** `aws_x.y` + key → `aws_x.y["k"]` / `aws_x.y[0]`. */
export function instanceAddress(base: string, key: string | number | undefined): string {
  if (key === undefined) return base;
  return typeof key === 'number' ? `${base}[${key}]` : `${base}[${JSON.stringify(key)}]`;
}

export interface ProviderView {
  /** Terraform form: `provider["registry.terraform.io/hashicorp/aws"]` (+ `.alias`). */
  readonly address: string;
  /** Local name plus alias, as resources name it: `aws`, `aws.west`. */
  readonly key: string;
  /** Attribute names set to a literal (constant) value in the provider block. */
  readonly literalAttributes: readonly string[];
  /** Literal string values anywhere in the block (for credential pattern scans; never printed). */
  readonly literalStrings: readonly string[];
  /** Where a top-level argument's value comes from (a literal, a local, a variable and its default...). */
  sources?(attr: string): ValueSource[];
}

/** A reason the plan reader cannot vouch for a plan: the check fails closed on each. */
export interface PlanDistrust {
  readonly reason: 'unknown-action' | 'errored' | 'not-applyable' | 'incomplete' | 'no-configuration';
  /** The resource or output address, or `(plan)`. */
  readonly address: string;
  /** One line naming the file and field; never a value. */
  readonly message: string;
}

export interface PolicyInput {
  readonly source: 'synth' | 'plan';
  /** The file (or stack) judged, for messages. */
  readonly origin: string;
  readonly resources: readonly ResourceView[];
  readonly providers: readonly ProviderView[];
  /**
   * Every literal string in the configuration outside resources (variables' defaults, outputs,
   * module call arguments); resources' own literals are `ResourceView.configStrings`.
   */
  readonly literalStrings: readonly string[];
  /** Plan input only: what the reader distrusts, and the addresses the plan deletes. */
  readonly plan?: { readonly distrust: readonly PlanDistrust[]; readonly deletes: readonly string[] };
}

/** A string is an unresolved Terraform expression when it carries an interpolation. */
export function isExpressionString(v: unknown): v is string {
  return typeof v === 'string' && v.includes('${');
}

/**
 * Flatten `value` along `path`, descending through arrays at every step. `unknownMark` is the
 * parallel `after_unknown` structure (plan) or undefined (synth: expression strings are unknown).
 */
export function walk(value: unknown, unknownMark: unknown, path: readonly string[]): Leaf[] {
  const out: Leaf[] = [];
  walkInto(value, unknownMark, path, 0, out);
  return out;
}

const NO_MARKS: readonly unknown[] = [];
const INDEX_STEP = /^\d+$/;
/** The one unknown leaf `walk` gives (leaves are read-only): plans are full of unknown values. */
const UNKNOWN: Leaf = Object.freeze({ unknown: true });

/**
 * `walk` from step `at` of `path`, appending to `out`: one list per call of `walk` and no sliced
 * paths (rules call it for every resource, many times). Leaves come in the same order.
 */
function walkInto(value: unknown, unknownMark: unknown, path: readonly string[], at: number, out: Leaf[]): void {
  if (unknownMark === true) {
    out.push(UNKNOWN);
    return;
  }
  if (Array.isArray(value)) {
    const marks = Array.isArray(unknownMark) ? unknownMark : NO_MARKS;
    if (at < path.length && INDEX_STEP.test(path[at]!)) {
      // A numeric step picks one element (`statement.0.resources`).
      const i = Number(path[at]);
      walkInto(value[i], marks[i], path, at + 1, out);
      return;
    }
    for (let i = 0; i < value.length; i++) walkInto(value[i], marks[i], path, at, out);
    return;
  }
  // An absent value (or an absent block, which plan JSON can still mark unknown as a whole) has no leaves.
  if (value === null || value === undefined) return;
  if (isExpressionString(value)) {
    out.push(UNKNOWN);
    return;
  }
  if (at === path.length) {
    out.push({ unknown: false, value });
    return;
  }
  if (typeof value !== 'object') return;
  const head = path[at]!;
  const mark =
    unknownMark && typeof unknownMark === 'object' && !Array.isArray(unknownMark)
      ? (unknownMark as Record<string, unknown>)[head]
      : undefined;
  if (mark === true) {
    out.push(UNKNOWN);
    return;
  }
  walkInto((value as Record<string, unknown>)[head], mark, path, at + 1, out);
}

/** All `${...}` references in a value (strings anywhere inside it), as addresses without index/attr. */
export function referencesIn(value: unknown): string[] {
  const out = new Set<string>();
  const visit = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const m of v.matchAll(/\$\{([^}]*)\}/g)) {
        for (const r of m[1].matchAll(
          /(?<![\w.])((?:module\.[A-Za-z_][\w-]*\.)*(?:data\.)?[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*)/g,
        )) {
          const addr = r[1];
          if (/^(var|local|each|count|path|terraform|self)\./.test(addr)) continue;
          out.add(addr);
        }
      }
    } else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(value);
  return [...out].sort();
}

/** Normalise a Terraform reference (`aws_s3_bucket.x.id`, `data.a.b.json`, `module.m.output`) to an address. */
export function referenceToAddress(ref: string): string | undefined {
  const parts = ref.replace(/\[[^\]]*\]/g, '').split('.');
  const prefix: string[] = [];
  let i = 0;
  while (parts[i] === 'module' && parts.length > i + 1) {
    prefix.push(parts[i], parts[i + 1]);
    i += 2;
  }
  const rest = parts.slice(i);
  if (rest[0] === 'data' && rest.length >= 3) return [...prefix, ...rest.slice(0, 3)].join('.');
  if (
    rest.length >= 2 &&
    /^[a-z][a-z0-9_]*$/.test(rest[0]) &&
    !/^(var|local|each|count|path|terraform|self)$/.test(rest[0])
  ) {
    return [...prefix, ...rest.slice(0, 2)].join('.');
  }
  return undefined;
}

/** Collect every string in a value (for credential pattern scans). */
export function stringsIn(value: unknown, out: string[] = []): string[] {
  // Loops, not callbacks: this walks every planned value of every resource.
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) for (let i = 0; i < value.length; i++) stringsIn(value[i], out);
  else if (value && typeof value === 'object') {
    const o = value as Record<string, unknown>;
    for (const k in o) if (Object.hasOwn(o, k)) stringsIn(o[k], out);
  }
  return out;
}

/** Where a walk puts the strings it finds, one at a time (a scan need not keep them). */
export interface StringSink {
  add(s: string): void;
}

/**
 * Every string of `values` but those under `paths` (dotted, as `maskPaths` writes them): each path
 * leaves out the member its parent holds, the parent found as `plainAt` finds it. Same strings in
 * the same order as `stringsIn` of a JSON copy with those members deleted, without the copy.
 * `values` must be a tree (as parsed JSON is): a container reached twice would be left out twice.
 */
export function stringsOutside(values: unknown, paths: readonly string[]): string[] {
  const out: string[] = [];
  addStringsOutside(values, paths, { add: (s) => void out.push(s) });
  return out;
}

/** `stringsOutside`, each string given to `sink` as it is found, in the same order. */
export function addStringsOutside(values: unknown, paths: readonly string[], sink: StringSink): void {
  if (paths.length === 0) return stringsSkipping(values, NOTHING_SKIPPED, sink);
  const skip = new Map<object, Set<string>>();
  for (const p of paths) {
    const steps = p.split('.');
    const parent = plainAt(values, steps.slice(0, -1));
    if (!parent || typeof parent !== 'object') continue;
    const keys = skip.get(parent) ?? new Set<string>();
    keys.add(steps[steps.length - 1]!);
    skip.set(parent, keys);
  }
  stringsSkipping(values, skip, sink);
}

const NOTHING_SKIPPED: ReadonlyMap<object, ReadonlySet<string>> = new Map();

/** Strings of a value, not entering the members `skip.get(container)` names (an array's indexes as text). */
function stringsSkipping(value: unknown, skip: ReadonlyMap<object, ReadonlySet<string>>, sink: StringSink): void {
  // Loops, not callbacks: this walks every planned value of every resource; most have nothing to skip.
  if (typeof value === 'string') sink.add(value);
  else if (value && typeof value === 'object') {
    const s = skip.size === 0 ? undefined : skip.get(value);
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) if (!s?.has(String(i))) stringsSkipping(value[i], skip, sink);
    } else {
      const o = value as Record<string, unknown>;
      for (const k in o) if (Object.hasOwn(o, k) && !s?.has(k)) stringsSkipping(o[k], skip, sink);
    }
  }
}

/** Merge tag maps into leaves (later wins), keeping unknown markers. */
export function mergeTags(...maps: Array<Record<string, Leaf> | undefined>): Record<string, Leaf> {
  // Null prototype: tag keys come from the input (`__proto__`, `constructor` are tag names too).
  const out: Record<string, Leaf> = Object.create(null);
  for (const m of maps) if (m) for (const k of Object.keys(m)) out[k] = m[k]!;
  return out;
}

export function tagLeaves(tags: unknown, unknownMark: unknown): Record<string, Leaf> | undefined {
  if (unknownMark === true) return { '*': { unknown: true } };
  if (isExpressionString(tags)) return { '*': { unknown: true } };
  if (!tags || typeof tags !== 'object' || Array.isArray(tags)) return undefined;
  const marks = unknownMark && typeof unknownMark === 'object' ? (unknownMark as Record<string, unknown>) : undefined;
  const out: Record<string, Leaf> = Object.create(null);
  // A loop over own keys, not Object.entries: every taggable resource's tags are read.
  const t = tags as Record<string, unknown>;
  for (const k in t) {
    if (!Object.hasOwn(t, k)) continue;
    const v = t[k];
    if ((marks !== undefined && Object.hasOwn(marks, k) && marks[k] === true) || isExpressionString(v))
      out[k] = { unknown: true };
    else if (v !== null && v !== undefined) out[k] = { unknown: false, value: v };
  }
  return out;
}

/** `provider["registry.terraform.io/hashicorp/aws"]` or with `.alias`. */
export function providerAddress(fullName: string, alias?: string): string {
  return `provider["${fullName}"]${alias ? '.' + alias : ''}`;
}

/** `hashicorp/aws` → `registry.terraform.io/hashicorp/aws`; bare `aws` → hashicorp namespace. */
export function normaliseProviderSource(source: string | undefined, localName: string): string {
  const s = source ?? `hashicorp/${localName}`;
  const parts = s.split('/');
  if (parts.length === 3) return s.toLowerCase();
  if (parts.length === 2) return `registry.terraform.io/${s}`.toLowerCase();
  return `registry.terraform.io/hashicorp/${s}`.toLowerCase();
}

/** Every reference inside `${...}` of a value, as written (indexes kept; `var.x`, `each.key` included). */
export function rawReferencesIn(value: unknown): string[] {
  const out = new Set<string>();
  for (const s of stringsIn(value)) {
    for (const m of s.matchAll(/\$\{([^}]*)\}/g)) {
      for (const r of m[1].matchAll(
        /(?<![\w.\]])((?:module\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?\.)*(?:(?:data|ephemeral)\.)?[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?)/g,
      )) {
        out.add(r[1]);
      }
    }
  }
  return [...out].sort();
}

/** The `${...}` references of a value in order, repeated as written (one entry per use). */
export function referenceListIn(value: unknown): string[] {
  const out: string[] = [];
  for (const s of stringsIn(value)) {
    for (const m of s.matchAll(/\$\{([^}]*)\}/g)) {
      for (const r of m[1].matchAll(
        /(?<![\w.\]])((?:module\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?\.)*(?:(?:data|ephemeral)\.)?[a-z][a-z0-9_]*\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?(?:\.[A-Za-z_][\w-]*)?)/g,
      )) {
        out.push(r[1]);
      }
    }
  }
  return out;
}

/** Sources of a synth value: literal strings/values, or the references in its `${...}`. */
export function sourcesOfSynthValue(
  value: unknown,
  sensitiveVariable: (name: string) => boolean,
  literalDefault: (name: string) => boolean = () => false,
): ValueSource[] {
  if (value === undefined || value === null) return [];
  const refs = rawReferencesIn(value);
  const out: ValueSource[] = [];
  const strings = stringsIn(value);
  // A quoted string inside `${...}` (`coalesce(var.x, "...")`) is a literal as much as one outside it.
  const literalInside = strings.some((s) =>
    [...s.matchAll(/\$\{([^}]*)\}/g)].some((m) => /"(?:[^"\\]|\\.)+"/.test(m[1])),
  );
  if (
    strings.length === 0 ||
    strings.some((s) => s.replace(/\$\{[^}]*\}/g, '').trim() !== '') ||
    refs.length === 0 ||
    literalInside
  )
    out.push({ kind: 'literal' });
  for (const r of refs) {
    const c = classifyReference(r);
    if (!c) continue;
    out.push(
      c.kind === 'variable'
        ? { ...c, sensitive: sensitiveVariable(c.name), literalDefault: literalDefault(c.name) }
        : c,
    );
  }
  return out;
}

/** Walk plain JSON by a dotted path (numeric steps index arrays; a single object stands for a one-element list). */
export function plainAt(value: unknown, path: readonly string[]): unknown {
  let v = value;
  for (const step of path) {
    if (v === null || v === undefined) return undefined;
    if (/^\d+$/.test(step)) {
      if (Array.isArray(v)) v = v[Number(step)];
      else if (step !== '0') return undefined;
      continue;
    }
    if (Array.isArray(v)) v = v.length === 1 ? v[0] : undefined;
    if (!v || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[step];
  }
  return v;
}

/** Dotted paths (numeric steps for list elements) where a sensitivity mask is `true`. */
export function maskPaths(mask: unknown, prefix = '', out: string[] = []): string[] {
  // The steps are kept and a path written only where the mask is `true`: most masks hold empty
  // blocks and lists only, and every resource has one. One list of steps serves every call.
  const depth = MASK_STEPS.length;
  if (prefix !== '') MASK_STEPS.push(prefix);
  try {
    maskInto(mask, MASK_STEPS, out);
  } finally {
    MASK_STEPS.length = depth;
  }
  return out;
}

/** The steps `maskInto` has taken (empty between calls of maskPaths). */
const MASK_STEPS: string[] = [];

function maskInto(mask: unknown, steps: string[], out: string[]): void {
  if (mask === true) {
    // The same fold as joining with '.', an empty step dropped where it leads (as written before).
    let path = '';
    for (let i = 0; i < steps.length; i++) path = path ? `${path}.${steps[i]}` : steps[i]!;
    if (path) out.push(path);
  } else if (Array.isArray(mask)) {
    for (let i = 0; i < mask.length; i++) {
      steps.push(String(i));
      maskInto(mask[i], steps, out);
      steps.pop();
    }
  } else if (mask && typeof mask === 'object') {
    const m = mask as Record<string, unknown>;
    for (const k in m) {
      if (!Object.hasOwn(m, k)) continue;
      steps.push(k);
      maskInto(m[k], steps, out);
      steps.pop();
    }
  }
}
