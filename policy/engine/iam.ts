/**
 * IAM / S3 policy statements, evaluated as AWS does for what a rule asserts: Effect, Principal /
 * NotPrincipal, Action / NotAction, Resource / NotResource and Condition. Values unknown at this
 * stage stay `'unknown'` so a rule can fail closed. Strings may carry `${...}` templates (synth, and
 * plan of JSON-syntax configurations); `resolve` turns the ones naming a bucket into its ARN or name.
 */
import { isExpressionString, Leaf, ResourceView } from './view';

export type Unknown = 'unknown';
export interface Condition {
  readonly test: string;
  readonly variable: string;
  readonly values: readonly unknown[];
}
export interface Statement {
  readonly effect: string | Unknown;
  /** Everyone (`"*"`, `{"AWS": "*"}`), some principals, or unknown. */
  readonly principal: 'everyone' | 'some' | Unknown;
  readonly notPrincipal: boolean;
  readonly actions: readonly string[] | Unknown | undefined;
  readonly notActions: readonly string[] | Unknown | undefined;
  readonly resources: readonly string[] | Unknown | undefined;
  readonly notResources: readonly string[] | Unknown | undefined;
  readonly conditions: readonly Condition[] | Unknown;
  /** `Service` principals (e.g. logging.s3.amazonaws.com). */
  readonly services: readonly string[];
  /**
   * Every principal as (type, id): `AWS`, `Service`, `Federated`, `CanonicalUser` or `*`; an id that
   * cannot be read at this stage is `unknown`, with the raw template when there is one.
   */
  readonly principalIds?: ReadonlyArray<PrincipalId>;
}

export interface PrincipalId {
  readonly type: string;
  /** The resolved id, or undefined when unknown at this stage. */
  readonly id?: string;
  /** The `${...}` template as written, when the id is an expression. */
  readonly template?: string;
  /** Where the ids are configured in a policy document (`statement.0.principals.1.identifiers`). */
  readonly path?: string;
  /** The policy document `path` is read in. */
  readonly doc?: ResourceView;
}

function principalIdsOfJson(p: unknown): PrincipalId[] {
  if (p === undefined || p === null) return [];
  if (typeof p === 'string') return [isExpressionString(p) ? { type: 'AWS', template: p } : { type: '*', id: p }];
  if (typeof p !== 'object') return [{ type: 'AWS' }];
  return Object.entries(p as Record<string, unknown>).flatMap(([type, v]) =>
    asArray(v).map((x) =>
      typeof x !== 'string' ? { type } : isExpressionString(x) ? { type, template: x } : { type, id: x },
    ),
  );
}

/**
 * Resolve the `${...}` templates of a string, or undefined when one cannot be resolved. `resourceList`
 * reads a policy document's `resources` / `not_resources` list whose elements are unknown and whose
 * configuration keeps no template (an HCL plan), from the references alone; undefined when it cannot tell.
 */
export type Resolver = ((template: string) => string | undefined) & {
  readonly resourceList?: (path: string, leaves: readonly Leaf[]) => string[] | undefined;
};

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}

function strings(v: unknown, resolve: Resolver): string[] | Unknown {
  const out: string[] = [];
  for (const x of asArray(v)) {
    if (typeof x !== 'string') return 'unknown';
    const r = isExpressionString(x) ? resolve(x) : x;
    if (r === undefined) return 'unknown';
    out.push(r);
  }
  return out;
}

function principalOf(p: unknown): Statement['principal'] {
  if (p === undefined || p === null) return 'some';
  if (p === '*') return 'everyone';
  if (typeof p === 'string') return isExpressionString(p) ? 'unknown' : 'some';
  if (typeof p !== 'object') return 'unknown';
  const aws = asArray((p as Record<string, unknown>).AWS);
  if (aws.some((x) => typeof x === 'string' && isExpressionString(x))) return 'unknown';
  return aws.includes('*') ? 'everyone' : 'some';
}

/** Statements of a JSON policy document. Undefined when the text is not a JSON policy. */
export function statementsOfJson(text: string, resolve: Resolver = () => undefined): Statement[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object') return undefined;
  return asArray((doc as Record<string, unknown>).Statement).map((s) => {
    const st = (s ?? {}) as Record<string, unknown>;
    let conditions: Condition[] | Unknown = [];
    const cond = st.Condition;
    if (cond && typeof cond === 'object') {
      for (const [test, byVar] of Object.entries(cond as Record<string, unknown>)) {
        if (!byVar || typeof byVar !== 'object') conditions = 'unknown';
        else if (conditions !== 'unknown')
          for (const [variable, values] of Object.entries(byVar as Record<string, unknown>))
            conditions.push({ test, variable, values: asArray(values) });
      }
    }
    const principal = st.Principal;
    const services =
      principal && typeof principal === 'object'
        ? asArray((principal as Record<string, unknown>).Service).map(String)
        : [];
    const opt = (k: string): string[] | Unknown | undefined =>
      st[k] === undefined ? undefined : strings(st[k], resolve);
    return {
      effect: typeof st.Effect === 'string' && !isExpressionString(st.Effect) ? st.Effect : 'unknown',
      principal: principalOf(principal),
      notPrincipal: st.NotPrincipal !== undefined,
      actions: opt('Action'),
      notActions: opt('NotAction'),
      resources: opt('Resource'),
      notResources: opt('NotResource'),
      conditions,
      services,
      principalIds: principalIdsOfJson(principal ?? st.NotPrincipal),
    };
  });
}

/** Leaves → string list, resolving unknown elements from the configuration template at the same path. */
function leafStrings(doc: ResourceView, path: string, resolve: Resolver): string[] | Unknown | undefined {
  const leaves: Leaf[] = doc.leaves(path);
  if (leaves.length === 0) return undefined;
  if (leaves.every((l) => !l.unknown))
    return strings(
      leaves.map((l) => (l as { value: unknown }).value),
      resolve,
    );
  const template = doc.templateAt(path);
  if (template !== undefined) return strings(template, resolve);
  const fromReferences = /\.(not_)?resources$/.test(path) ? resolve.resourceList?.(path, leaves) : undefined;
  return fromReferences ?? 'unknown';
}

/** Statements of a `data.aws_iam_policy_document` (blocks: statement { effect, principals, actions, ... }). */
export function statementsOfDocument(doc: ResourceView, resolve: Resolver): Statement[] | Unknown {
  const all = doc.leaves('statement');
  if (all.some((l) => l.unknown)) return 'unknown';
  return all.map((_, i) => {
    const at = (k: string): string => `statement.${i}.${k}`;
    const effect = doc.leaves(at('effect'))[0];
    const principals = doc.leaves(at('principals'));
    let principal: Statement['principal'] = principals.length === 0 ? 'some' : 'some';
    const services: string[] = [];
    const principalIds: PrincipalId[] = [];
    for (let j = 0; j < principals.length; j++) {
      const type = doc.leaves(at(`principals.${j}.type`))[0];
      const ids = leafStrings(doc, at(`principals.${j}.identifiers`), resolve);
      principalIds.push(...documentPrincipalIds(doc, at(`principals.${j}`), type, ids));
      if (!type || type.unknown || ids === 'unknown') {
        principal = 'unknown';
        continue;
      }
      const ident = ids ?? [];
      if ((type.value === '*' || type.value === 'AWS') && ident.includes('*') && principal !== 'unknown')
        principal = 'everyone';
      if (type.value === 'Service') services.push(...ident);
    }
    const conds = doc.leaves(at('condition'));
    let conditions: Condition[] | Unknown = [];
    for (let j = 0; j < conds.length; j++) {
      const test = doc.leaves(at(`condition.${j}.test`))[0];
      const variable = doc.leaves(at(`condition.${j}.variable`))[0];
      const values = leafStrings(doc, at(`condition.${j}.values`), resolve);
      if (!test || test.unknown || !variable || variable.unknown || values === 'unknown') conditions = 'unknown';
      else if (conditions !== 'unknown')
        conditions.push({ test: String(test.value), variable: String(variable.value), values: values ?? [] });
    }
    const notPrincipals = doc.leaves(at('not_principals'));
    return {
      effect: effect === undefined ? 'Allow' : effect.unknown ? 'unknown' : String(effect.value),
      principal,
      notPrincipal: notPrincipals.length > 0,
      actions: leafStrings(doc, at('actions'), resolve),
      notActions: leafStrings(doc, at('not_actions'), resolve),
      resources: leafStrings(doc, at('resources'), resolve),
      notResources: leafStrings(doc, at('not_resources'), resolve),
      conditions,
      services,
      principalIds,
    };
  });
}

/** Principal ids of one `principals` block; unknown ids keep their template when configuration has one. */
function documentPrincipalIds(
  doc: ResourceView,
  at: string,
  type: Leaf | undefined,
  ids: string[] | Unknown | undefined,
): PrincipalId[] {
  const t = type && !type.unknown ? String(type.value) : 'AWS';
  const path = `${at}.identifiers`;
  if (ids !== 'unknown') return (ids ?? []).map((id) => ({ type: t, id, path, doc }));
  const template = doc.templateAt(path);
  const raw = Array.isArray(template) ? template : [template];
  return raw.map((x) => (typeof x === 'string' ? { type: t, template: x, path, doc } : { type: t, path, doc }));
}

/** Compiled IAM globs by case and pattern: a policy's patterns repeat across statements and prefixes. */
const GLOBS = new Map<string, RegExp>();
const MAX_GLOBS = 10_000;

/** The anchored RegExp of an IAM glob (`*`, `?`; every other character literal). */
function globRegExp(p: string, ignoreCase: boolean): RegExp {
  const id = `${ignoreCase ? 'i' : 's'}${p}`;
  let re = GLOBS.get(id);
  if (re === undefined) {
    re = new RegExp(
      '^' +
        p
          .split('')
          .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
          .join('') +
        '$',
      's',
    );
    if (GLOBS.size >= MAX_GLOBS) GLOBS.clear();
    GLOBS.set(id, re);
  }
  return re;
}

/** IAM glob (`*`, `?`), case-insensitive when asked (actions), case-sensitive for ARNs. */
export function globMatch(pattern: string, text: string, ignoreCase = false): boolean {
  const p = ignoreCase ? pattern.toLowerCase() : pattern;
  const t = ignoreCase ? text.toLowerCase() : text;
  return globRegExp(p, ignoreCase).test(t);
}

/** True when the pattern matches `prefix` followed by ANY string (e.g. every action `s3:`…, every object). */
export function coversEveryWithPrefix(pattern: string, prefix: string, ignoreCase = false): boolean {
  if (!pattern.endsWith('*')) return false;
  const head = pattern.slice(0, -1);
  const re = globRegExp(ignoreCase ? head.toLowerCase() : head, ignoreCase);
  for (let k = 0; k <= prefix.length; k++) {
    const t = prefix.slice(0, k);
    if (re.test(ignoreCase ? t.toLowerCase() : t)) return true;
  }
  return false;
}

/** Could the pattern match some action of the service (`s3:`)? */
function touchesService(pattern: string, service: string): boolean {
  const literal = pattern.toLowerCase().split(/[*?]/)[0];
  return literal.startsWith(service) || service.startsWith(literal);
}

export type Coverage =
  | { readonly covers: true }
  | { readonly covers: false; readonly unknown?: string; readonly why: string };

/**
 * Does a Deny statement refuse EVERY request without TLS to the bucket and all its objects?
 * Effect Deny; Principal everyone (no NotPrincipal); Action s3:* / * (or a NotAction naming no s3
 * action); Resource covering the bucket ARN and every object ARN (no NotResource); and its only
 * condition Bool/BoolIfExists aws:SecureTransport = false (any other condition narrows the deny).
 */
export function tlsDenyCoverage(s: Statement, bucketArn: string): Coverage {
  if (s.effect === 'unknown') return { covers: false, unknown: 'Effect', why: 'Effect is unknown' };
  if (s.effect.toLowerCase() !== 'deny') return { covers: false, why: 'not a Deny' };
  if (s.conditions === 'unknown') return { covers: false, unknown: 'Condition', why: 'Condition is unknown' };
  const tls = s.conditions.filter(
    (c) =>
      ['bool', 'boolifexists'].includes(c.test.toLowerCase()) &&
      c.variable.toLowerCase() === 'aws:securetransport' &&
      c.values.length > 0 &&
      c.values.every((v) => String(v).toLowerCase() === 'false'),
  );
  if (tls.length === 0) return { covers: false, why: 'no aws:SecureTransport = false condition' };
  if (tls.length !== s.conditions.length) return { covers: false, why: 'another condition narrows the TLS deny' };
  if (s.principal === 'unknown') return { covers: false, unknown: 'Principal', why: 'Principal is unknown' };
  if (s.principal !== 'everyone' || s.notPrincipal)
    return { covers: false, why: 'the TLS deny does not apply to every principal' };
  if (s.actions === 'unknown' || s.notActions === 'unknown')
    return { covers: false, unknown: 'Action', why: 'Action is unknown' };
  const allActions =
    s.actions !== undefined
      ? s.actions.some((a) => coversEveryWithPrefix(a, 's3:', true))
      : s.notActions !== undefined && s.notActions.every((a) => !touchesService(a, 's3:'));
  if (!allActions) return { covers: false, why: 'the TLS deny does not cover every s3 action' };
  if (s.resources === 'unknown' || s.notResources === 'unknown')
    return { covers: false, unknown: 'Resource', why: 'Resource is unknown' };
  if (s.notResources !== undefined || s.resources === undefined)
    return { covers: false, why: 'the TLS deny uses NotResource' };
  const bucket = s.resources.some((r) => globMatch(r, bucketArn));
  const objects = s.resources.some((r) => coversEveryWithPrefix(r, `${bucketArn}/`));
  if (!bucket || !objects)
    return {
      covers: false,
      why: `the TLS deny does not cover ${!bucket && !objects ? 'the bucket or its objects' : !bucket ? 'the bucket itself' : 'every object'}`,
    };
  return { covers: true };
}
