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
  /** True when the top-level attribute or block appears in configuration at all (literal or expression). */
  isConfigured(attr: string): boolean;
  /** True when the attribute was written as a literal in configuration (no reference, not computed). */
  isLiteral(attr: string): boolean;
  /** Effective tags: provider `default_tags` merged with the resource's own `tags`. */
  readonly tags: Readonly<Record<string, Leaf>>;
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
}

export interface PolicyInput {
  readonly source: 'synth' | 'plan';
  /** The file (or stack) judged, for messages. */
  readonly origin: string;
  readonly resources: readonly ResourceView[];
  readonly providers: readonly ProviderView[];
  /** Every literal string in the configuration (variables' defaults, locals, outputs, resources). */
  readonly literalStrings: readonly string[];
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
  if (unknownMark === true) return [{ unknown: true }];
  if (Array.isArray(value)) {
    const marks = Array.isArray(unknownMark) ? unknownMark : [];
    return value.flatMap((v, i) => walk(v, marks[i], path));
  }
  if (path.length === 0) {
    if (value === null || value === undefined) return [];
    if (isExpressionString(value)) return [{ unknown: true }];
    return [{ unknown: false, value }];
  }
  if (value === null || value === undefined) {
    // An absent block can still be unknown as a whole in plan JSON.
    return [];
  }
  if (isExpressionString(value)) return [{ unknown: true }];
  if (typeof value !== 'object') return [];
  const [head, ...rest] = path;
  const mark =
    unknownMark && typeof unknownMark === 'object' && !Array.isArray(unknownMark)
      ? (unknownMark as Record<string, unknown>)[head]
      : undefined;
  const child = (value as Record<string, unknown>)[head];
  if (mark === true) return [{ unknown: true }];
  return walk(child, mark, rest);
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
  if (typeof value === 'string') out.push(value);
  else if (Array.isArray(value)) value.forEach((v) => stringsIn(v, out));
  else if (value && typeof value === 'object') Object.values(value).forEach((v) => stringsIn(v, out));
  return out;
}

/** Merge tag maps into leaves (later wins), keeping unknown markers. */
export function mergeTags(...maps: Array<Record<string, Leaf> | undefined>): Record<string, Leaf> {
  const out: Record<string, Leaf> = {};
  for (const m of maps) if (m) Object.assign(out, m);
  return out;
}

export function tagLeaves(tags: unknown, unknownMark: unknown): Record<string, Leaf> | undefined {
  if (unknownMark === true) return { '*': { unknown: true } };
  if (isExpressionString(tags)) return { '*': { unknown: true } };
  if (!tags || typeof tags !== 'object' || Array.isArray(tags)) return undefined;
  const marks = unknownMark && typeof unknownMark === 'object' ? (unknownMark as Record<string, unknown>) : {};
  const out: Record<string, Leaf> = {};
  for (const [k, v] of Object.entries(tags as Record<string, unknown>)) {
    if (marks[k] === true || isExpressionString(v)) out[k] = { unknown: true };
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
