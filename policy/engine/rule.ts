import { Env } from '../../core/vocabulary';
import { basename } from 'node:path';
import { Leaf, PolicyInput, ResourceView } from './view';
import { Link } from './link';
import { Declarations } from './declarations';

/** Error findings fail the check; warnings are reported and never fail it. */
export type Severity = 'error' | 'warning';
/** The tiers rules may distinguish (prod-only rules are not applicable without an env). */
export type PolicyEnv = Env;

/** One judgement of one resource (or of the whole configuration) by one rule. */
export type Outcome =
  | { readonly address: string; readonly compliant: true }
  | {
      readonly address: string;
      readonly compliant: false;
      readonly message: string;
      /** Overrides the rule's severity for this finding (e.g. a warning in dev). */
      readonly severity?: Severity;
    };

export interface RuleContext {
  readonly input: PolicyInput;
  /** Undefined when no --env was given: env-specific rules are then not applicable. */
  readonly env?: PolicyEnv;
  /** Managed resources of one type, in address order. */
  ofType(...types: string[]): ResourceView[];
  /**
   * Resources of `type` whose `attr` links to `target`: by reference (`${aws_s3_bucket.x.id}`
   * in synth, `references` in plan) or by equal known value (a literal bucket name).
   */
  linked(target: ResourceView, type: string, attr?: string): ResourceView[];
  /** Where one ancillary resource's `attr` points (per instance; see engine/link.ts). */
  link(anc: ResourceView, attr: string, targetTypes: readonly string[], keyAttrs?: readonly string[]): Link;
  /** The instances of `types` an attribute's references name, resolved per instance. */
  referenced(r: ResourceView, attr: string, types?: readonly string[]): ResourceView[];
  byAddress(address: string): ResourceView | undefined;
  /** Resource types some rule of the pack judges (its `covers`). */
  readonly coveredTypes: ReadonlySet<string>;
  /** What the platform declares outside the plan, resolved for the installation judged. */
  readonly declared: Declarations;
}

/** A policy rule: metadata plus a pure function of the view. The id is its file name. */
export interface PolicyRule {
  readonly id: string;
  readonly severity: Severity;
  /** One line: the compliant state. */
  readonly description: string;
  /** One line: what to change to comply. */
  readonly remediation: string;
  /**
   * Resource types this rule judges for security (default deny: a type no rule covers and not
   * listed in config/reviewed-types.json is a finding of resource-types-reviewed).
   * @default - none
   */
  readonly covers?: readonly string[];
  /** Checkov check ids this rule corresponds to (docs/policy.md coverage table). */
  readonly checkov?: readonly string[];
  evaluate(ctx: RuleContext): Outcome[];
}

/** cdk-nag style: the id comes from the defining file's name (works from .ts and compiled .js). */
export function defineRule(file: string, spec: Omit<PolicyRule, 'id'>): PolicyRule {
  return { id: basename(file).replace(/\.(ts|js)$/, ''), ...spec };
}

/** The address used for findings about the configuration as a whole. */
export const WHOLE_CONFIGURATION = '(configuration)';

export type Scalar = { kind: 'absent' } | { kind: 'unknown' } | { kind: 'value'; value: unknown };

/** The single value at a path: absent, unknown (at plan time / an unresolved expression), or known. */
/**
 * Leaves at a path, where an attribute absent from configuration counts as absent even when
 * the plan marks its (provider-computed) value unknown: both views then judge the provider
 * default the same way, and rules pass `absentMeans` explicitly.
 */
export function configuredLeaves(r: ResourceView, path: string): Leaf[] {
  const leaves = r.leaves(path);
  if (!r.isConfigured(path.split('.')[0]) && leaves.some((l) => l.unknown)) return [];
  return leaves;
}

export function scalar(r: ResourceView, path: string): Scalar {
  const leaves = configuredLeaves(r, path);
  if (leaves.length === 0) return { kind: 'absent' };
  if (leaves.some((l) => l.unknown)) return { kind: 'unknown' };
  return { kind: 'value', value: (leaves[0] as { value: unknown }).value };
}

/** Known values of all leaves at a path, or 'unknown' if any of them is unknown. */
export function knownValues(r: ResourceView, path: string): unknown[] | 'unknown' {
  const leaves = configuredLeaves(r, path);
  if (leaves.some((l) => l.unknown)) return 'unknown';
  return leaves.map((l) => (l as { value: unknown }).value);
}

/** `true`/"true" → true, `false`/"false" → false (launch templates use strings). */
export function asBool(v: unknown): boolean | undefined {
  if (v === true || v === 'true') return true;
  if (v === false || v === 'false') return false;
  return undefined;
}

export const ok = (address: string): Outcome => ({ address, compliant: true });
export const bad = (address: string, message: string, severity?: Severity): Outcome =>
  severity ? { address, compliant: false, message, severity } : { address, compliant: false, message };

/** Outcome from a list of problems: compliant when there are none. */
export function judged(address: string, problems: ReadonlyArray<string | undefined | false>): Outcome {
  const p = problems.filter((x): x is string => typeof x === 'string' && x.length > 0);
  return p.length ? bad(address, p.join('; ')) : ok(address);
}

/** A top-level boolean that must be true/false; absent = provider default. Problem text or undefined. */
export function boolProblem(
  r: ResourceView,
  path: string,
  required: boolean,
  absentMeans: boolean | undefined,
  what: string,
): string | undefined {
  const o = requireBoolOr(r, path, required, absentMeans, what);
  return o.compliant ? undefined : o.message;
}

function requireBoolOr(
  r: ResourceView,
  path: string,
  required: boolean,
  absentMeans: boolean | undefined,
  what: string,
): Outcome {
  const s = scalar(r, path);
  if (s.kind === 'absent' && absentMeans === undefined)
    return bad(
      r.address,
      `${path} is not set (the AWS default depends on the account or subnet); ${what} requires ${required}`,
    );
  return requireBool(r, path, required, absentMeans as boolean, what);
}

/**
 * Judge a boolean attribute that must equal `required`. `absentMeans` is the provider default.
 * An unknown value is non-compliant: the rule cannot decide, so it fails closed.
 */
export function requireBool(
  r: ResourceView,
  path: string,
  required: boolean,
  absentMeans: boolean,
  what: string,
): Outcome {
  const s = scalar(r, path);
  if (s.kind === 'unknown') return bad(r.address, `${path} is unknown at this stage, so ${what} cannot be verified`);
  const v = s.kind === 'absent' ? absentMeans : asBool(s.value);
  if (v === required) return ok(r.address);
  return bad(
    r.address,
    `${path} is ${s.kind === 'absent' ? `not set (defaults to ${absentMeans})` : String(v)}; ${what} requires ${required}`,
  );
}

/**
 * The problem with one scalar attribute, or undefined. Unknown at this stage is always one (the rule
 * cannot decide, so it fails closed); otherwise `problem` judges the known value, or undefined when
 * the attribute is absent.
 */
export function scalarProblem(
  r: ResourceView,
  path: string,
  problem: (value: unknown) => string | undefined,
): string | undefined {
  const s = scalar(r, path);
  if (s.kind === 'unknown') return `${path} is unknown at this stage`;
  return problem(s.kind === 'value' ? s.value : undefined);
}

/** What a rule of a shared shape (encryption at rest, not publicly accessible) declares of itself. */
interface BoolRuleSpec {
  /** The resource in words, as the description names it (`EFS file system`). */
  readonly noun: string;
  /** The types judged (the first names the resource in the remediation). */
  readonly judges: readonly string[];
  readonly covers: readonly string[];
  readonly checkov: readonly string[];
}

/** Every resource of `judges` has `encrypted = true` (absent means unencrypted). */
export function encryptedAtRestRule(file: string, spec: BoolRuleSpec): PolicyRule {
  return defineRule(file, {
    severity: 'error',
    description: `Every ${spec.noun} has encrypted = true.`,
    remediation: `Set encrypted = true (and kms_key_id) on the ${spec.judges[0]}.`,
    covers: spec.covers,
    checkov: spec.checkov,
    evaluate: (ctx) =>
      ctx.ofType(...spec.judges).map((r) => requireBool(r, 'encrypted', true, false, 'encryption at rest')),
  });
}

/** No resource of `judges` is publicly accessible; `absentMeans` is the provider default. */
export function notPubliclyAccessibleRule(
  file: string,
  spec: BoolRuleSpec & { readonly absentMeans: boolean; readonly remediation: string },
): PolicyRule {
  return defineRule(file, {
    severity: 'error',
    description: `No ${spec.noun} is publicly accessible.`,
    remediation: spec.remediation,
    covers: spec.covers,
    checkov: spec.checkov,
    evaluate: (ctx) =>
      ctx
        .ofType(...spec.judges)
        .map((r) => requireBool(r, 'publicly_accessible', false, spec.absentMeans, 'the trust membrane')),
  });
}

/** A tag as a leaf, or undefined when absent. A wholly unknown tag map makes every tag unknown. */
export function tag(r: ResourceView, key: string): Leaf | undefined {
  return r.tags[key] ?? (r.tags['*'] ? { unknown: true } : undefined);
}
