import { canonicalJson } from '../io/canonical-json';
import { commit, CommitmentKey } from './commitment';

export type PathStep = string | number;

/**
 * One changed leaf of a resource or output. Values are never recorded: `before`/`after` are
 * HMAC commitments (null when the value is absent or null, "unknown" when known only after apply).
 */
export interface ChangedPath {
  readonly path: PathStep[];
  /** True when Terraform marks the value sensitive on either side (by value marks or schema). */
  readonly sensitive: boolean;
  readonly before: string | null;
  readonly after: string | null;
}

export const UNKNOWN = 'unknown';

/** Upper bound of leaves recorded per change; the rest are counted, not listed. */
export const MAX_PATHS_PER_CHANGE = 256;
const MAX_DEPTH = 32;

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
function sub(mask: unknown, k: PathStep): unknown {
  if (Array.isArray(mask)) return typeof k === 'number' ? mask[k] : undefined;
  if (isObj(mask)) return mask[String(k)];
  return undefined;
}
function isContainer(v: unknown): boolean {
  return typeof v === 'object' && v !== null;
}

/**
 * The changed leaves between `before` and `after`, honouring Terraform's masks: a `true` in a
 * sensitive mask covers the whole subtree (committed as one value); a `true` in `after_unknown`
 * makes the leaf "unknown". Keys present only in `after_unknown` (unknown leaves are omitted from
 * `after`) are included.
 */
export function changedPaths(
  key: CommitmentKey,
  scope: string,
  before: unknown,
  after: unknown,
  beforeSensitive: unknown,
  afterSensitive: unknown,
  afterUnknown: unknown,
): { paths: ChangedPath[]; omitted: number } {
  const out: ChangedPath[] = [];
  let omitted = 0;
  const leaf = (path: PathStep[], b: unknown, a: unknown, sens: boolean, unknown: boolean): void => {
    if (!unknown) {
      const bn = b === undefined || b === null;
      const an = a === undefined || a === null;
      if (bn && an) return;
      if (!bn && !an && (b === a || canonicalJson(b) === canonicalJson(a))) return;
    }
    if (out.length >= MAX_PATHS_PER_CHANGE) {
      omitted++;
      return;
    }
    out.push({
      path,
      sensitive: sens,
      before: b === undefined || b === null ? null : commit(key, scope, path, b),
      after: unknown ? UNKNOWN : a === undefined || a === null ? null : commit(key, scope, path, a),
    });
  };
  const walk = (path: PathStep[], b: unknown, a: unknown, bs: unknown, as: unknown, au: unknown, depth: number): void => {
    const sens = bs === true || as === true;
    const unknown = au === true;
    if (sens || unknown || depth >= MAX_DEPTH) return leaf(path, b, a, sens, unknown);
    const bc = isContainer(b);
    const ac = isContainer(a) || isContainer(au);
    if (!bc && !ac) return leaf(path, b, a, false, false);
    const bArr = Array.isArray(b);
    const aArr = Array.isArray(a) || (a === undefined && Array.isArray(au));
    if ((bc && ac && bArr !== aArr) || (bc && !ac && a !== undefined && a !== null) || (ac && !bc && b !== undefined && b !== null)) {
      // Shape changed (object <-> list, or container <-> scalar): one leaf for the whole value.
      return leaf(path, b, a, false, false);
    }
    if (bArr || aArr) {
      const n = Math.max(Array.isArray(b) ? b.length : 0, Array.isArray(a) ? a.length : 0, Array.isArray(au) ? au.length : 0);
      for (let i = 0; i < n; i++) walk([...path, i], sub(b, i), sub(a, i), sub(bs, i), sub(as, i), sub(au, i), depth + 1);
      return;
    }
    const keys = new Set<string>();
    if (isObj(b)) for (const k of Object.keys(b)) keys.add(k);
    if (isObj(a)) for (const k of Object.keys(a)) keys.add(k);
    if (isObj(au)) for (const k of Object.keys(au)) if (au[k] === true || isContainer(au[k])) keys.add(k);
    for (const k of [...keys].sort()) walk([...path, k], sub(b, k), sub(a, k), sub(bs, k), sub(as, k), sub(au, k), depth + 1);
  };
  walk([], before, after, beforeSensitive, afterSensitive, afterUnknown, 0);
  return { paths: out, omitted };
}

/** `a.b[0]["odd key"]` — a display form of a path. */
export function formatPath(path: readonly PathStep[]): string {
  let s = '';
  for (const step of path) {
    if (typeof step === 'number') s += `[${step}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(step)) s += s === '' ? step : `.${step}`;
    else s += `[${JSON.stringify(step)}]`;
  }
  return s === '' ? '(whole value)' : s;
}
