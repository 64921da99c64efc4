import { ResourceView } from './view';
import { RuleContext, tag } from './rule';

/** Zones whose buckets are canonical stores (seed 000 "Canonical vs rebuildable"); `work` may be rewritten. */
export const REBUILDABLE_ZONES = ['work'] as const;

/**
 * The bucket's zone: a known string, 'unknown', or undefined when the tag is absent.
 */
export function zoneOf(bucket: ResourceView): string | 'unknown' | undefined {
  const z = tag(bucket, 'zone');
  if (!z) return undefined;
  if (z.unknown) return 'unknown';
  return typeof z.value === 'string' ? z.value : 'unknown';
}

export interface PolicyStatement {
  readonly effect: unknown;
  /** `[{test, variable, values[]}]` */
  readonly conditions: Array<{ test: unknown; variable: unknown; values: unknown[] }>;
  /** `Service` principals (e.g. logging.s3.amazonaws.com). */
  readonly services: string[];
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined || v === null ? [] : [v];
}

/** Statements of a JSON policy document (IAM grammar: Condition { Test: { Variable: values } }). */
export function statementsOfJson(text: string): PolicyStatement[] | undefined {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (!doc || typeof doc !== 'object') return undefined;
  return asArray((doc as Record<string, unknown>).Statement).map((s) => {
    const st = (s ?? {}) as Record<string, unknown>;
    const conditions: PolicyStatement['conditions'] = [];
    const cond = st.Condition;
    if (cond && typeof cond === 'object') {
      for (const [test, byVar] of Object.entries(cond as Record<string, unknown>)) {
        if (byVar && typeof byVar === 'object') {
          for (const [variable, values] of Object.entries(byVar as Record<string, unknown>)) {
            conditions.push({ test, variable, values: asArray(values) });
          }
        }
      }
    }
    const principal = st.Principal;
    const services =
      principal && typeof principal === 'object'
        ? asArray((principal as Record<string, unknown>).Service).map(String)
        : [];
    return { effect: st.Effect, conditions, services };
  });
}

/** Statements of a `data.aws_iam_policy_document` (blocks: statement { effect, condition { test, variable, values } }). */
export function statementsOfDocument(doc: ResourceView): PolicyStatement[] | 'unknown' {
  const leaves = doc.leaves('statement');
  if (leaves.some((l) => l.unknown)) return 'unknown';
  return leaves.map((l) => {
    const st = (l as { value: unknown }).value as Record<string, unknown>;
    const conds = Array.isArray(st.condition) ? st.condition : st.condition ? [st.condition] : [];
    const principals = Array.isArray(st.principals) ? st.principals : st.principals ? [st.principals] : [];
    return {
      effect: st.effect ?? 'Allow',
      services: principals
        .map((p) => (p ?? {}) as Record<string, unknown>)
        .filter((p) => p.type === 'Service')
        .flatMap((p) => asArray(p.identifiers).map(String)),
      conditions: conds.map((c) => {
        const cc = (c ?? {}) as Record<string, unknown>;
        return { test: cc.test, variable: cc.variable, values: asArray(cc.values) };
      }),
    };
  });
}

/**
 * The statements of an `aws_s3_bucket_policy`'s `policy`: a known JSON string; else a JSON
 * literal still carrying `${...}` (synth, and plan configuration of JSON configs); else the
 * referenced `data.aws_iam_policy_document`. 'unknown' when none of these can be read.
 */
export function statementsOfBucketPolicy(ctx: RuleContext, policy: ResourceView): PolicyStatement[] | 'unknown' {
  const leaf = policy.leaves('policy')[0];
  if (leaf && !leaf.unknown && typeof leaf.value === 'string') return statementsOfJson(leaf.value) ?? 'unknown';
  const raw = policy.rawConfig('policy');
  if (typeof raw === 'string' && raw.trim().startsWith('{')) {
    const parsed = statementsOfJson(raw);
    if (parsed) return parsed;
  }
  const docs = policy
    .references('policy')
    .filter((a) => /(^|\.)data\.aws_iam_policy_document\./.test(a))
    .map((a) => ctx.byAddress(a))
    .filter((d): d is ResourceView => d !== undefined);
  if (docs.length === 0) return 'unknown';
  const all: PolicyStatement[] = [];
  for (const d of docs) {
    const s = statementsOfDocument(d);
    if (s === 'unknown') return 'unknown';
    all.push(...s);
  }
  return all;
}

/** A Deny statement conditioned on aws:SecureTransport = false. */
export function deniesInsecureTransport(statements: readonly PolicyStatement[]): boolean {
  return statements.some(
    (s) =>
      String(s.effect).toLowerCase() === 'deny' &&
      s.conditions.some(
        (c) =>
          String(c.test).toLowerCase() === 'bool' &&
          String(c.variable).toLowerCase() === 'aws:securetransport' &&
          c.values.some((v) => String(v).toLowerCase() === 'false'),
      ),
  );
}

/** AWS refuses server access log delivery into a bucket with object lock default retention. */
export const LOG_DELIVERY_SERVICE = 'logging.s3.amazonaws.com';

/** True when the bucket is an S3 server access log target (by a logging resource or its policy). */
export function isAccessLogTarget(ctx: RuleContext, bucket: ResourceView): boolean {
  if (ctx.linked(bucket, 'aws_s3_bucket_logging', 'target_bucket').length > 0) return true;
  return ctx.linked(bucket, 'aws_s3_bucket_policy').some((p) => {
    const st = statementsOfBucketPolicy(ctx, p);
    return (
      st !== 'unknown' &&
      st.some((s) => String(s.effect).toLowerCase() === 'allow' && s.services.includes(LOG_DELIVERY_SERVICE))
    );
  });
}
