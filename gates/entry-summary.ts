import { decodeStatementPayload, parseEnvelope } from '../attest/dsse/envelope';
import { isObject } from '../core/json';
import { PREDICATE_TYPES } from '../attest/predicate-types';

/** What a person asks of a ledger entry first. */
export const ENTRY_KINDS = ['plan', 'apply', 'drift', 'smoke', 'approval', 'promotion', 'other'] as const;
export type EntryKind = (typeof ENTRY_KINDS)[number];

export interface EntrySummary {
  readonly kind: EntryKind;
  readonly predicateType: string | null;
  readonly payloadType: string;
  readonly env: string | null;
  readonly commit: string | null;
  /** The statement's own time (planned, finished, approved, promoted), as recorded. */
  readonly time: string | null;
  /** Key id of the first signature, as the envelope claims it: `audit verify` checks it. */
  readonly keyid: string | null;
  /** plan: policy verdict; apply: status; drift: "drift N" or "none"; smoke: status; else null. */
  readonly verdict: string | null;
}

const KIND_OF: Record<string, EntryKind> = {
  [PREDICATE_TYPES.plan]: 'plan',
  [PREDICATE_TYPES.apply]: 'apply',
  [PREDICATE_TYPES.drift]: 'drift',
  [PREDICATE_TYPES.validation]: 'smoke',
  [PREDICATE_TYPES.approval]: 'approval',
  [PREDICATE_TYPES.promotion]: 'promotion',
};
/** Which timestamp names the statement's moment, per kind, in order of preference. */
const TIME_FIELDS = ['promoted', 'approved', 'finished', 'planned', 'started'];

const s = (v: unknown): string | null => (typeof v === 'string' && v.length > 0 ? v : null);

/** Summarize a decoded statement (no signature check: callers say so, or verify first). */
export function summarizeStatement(statement: unknown): Omit<EntrySummary, 'payloadType' | 'keyid'> {
  const st = isObject(statement) ? statement : {};
  const predicateType = s(st.predicateType);
  const p = isObject(st.predicate) ? st.predicate : {};
  const kind = (predicateType !== null && Object.hasOwn(KIND_OF, predicateType) && KIND_OF[predicateType]) || 'other';
  const repo = isObject(p.repo) ? p.repo : {};
  const subjectCommit = Array.isArray(st.subject)
    ? st.subject.map((x) => (isObject(x) && isObject(x.digest) ? s(x.digest.gitCommit) : null)).find((x) => x !== null)
    : null;
  const ts = isObject(p.timestamps) ? p.timestamps : {};
  const time = TIME_FIELDS.map((f) => s(ts[f])).find((x) => x !== null) ?? null;
  const summary = isObject(p.summary) ? p.summary : {};
  let verdict: string | null = null;
  if (kind === 'plan') verdict = summary.errored ? 'errored' : isObject(p.policy) ? s(p.policy.verdict) : 'no policy';
  else if (kind === 'apply') verdict = s(summary.status);
  else if (kind === 'drift')
    verdict =
      typeof summary.drifted === 'number' ? (summary.drifted === 0 ? 'none' : `drift ${summary.drifted}`) : null;
  else if (kind === 'smoke') verdict = s(p.status);
  return {
    kind,
    predicateType,
    env: s(p.env) ?? s(p.to),
    commit: s(repo.commit) ?? s(p.commit) ?? subjectCommit ?? null,
    time,
    verdict,
  };
}

/** Summarize an envelope's bytes; a payload that is not a statement is kind "other". */
export function summarizeEnvelope(bytes: Buffer, source: string): EntrySummary {
  const env = parseEnvelope(bytes, source);
  let statement: unknown = undefined;
  try {
    statement = decodeStatementPayload(env, source);
  } catch {
    statement = undefined;
  }
  return { ...summarizeStatement(statement), payloadType: env.payloadType, keyid: env.signatures[0]?.keyid ?? null };
}
