import { canonicalJson } from '../../core/canonical-json';
import { isObject } from '../../core/json';
import { ExactNumber, leafEquals } from '../../core/exact-json';

export type PathStep = string | number;

/** The changed leaves of one change, as display paths; values are never kept. */
export interface ChangedLeaves {
  /** Every changed leaf (a sensitive or unknown subtree counts as one leaf), sorted. */
  readonly changed: string[];
  /** Changed leaves Terraform marks sensitive, with the raw values to commit to (never stored). */
  readonly sensitive: { path: string; before: unknown; after: unknown; unknown: boolean }[];
  /** Changed leaves whose new value is known only after apply. */
  readonly unknown: string[];
  /** Changed leaves beyond the per-change limit, counted only. */
  readonly omitted: number;
}

/** Upper bound of leaves recorded per change; the rest are counted, not listed. */
export const MAX_PATHS_PER_CHANGE = 256;
const MAX_DEPTH = 32;

function sub(mask: unknown, k: PathStep): unknown {
  if (Array.isArray(mask)) return typeof k === 'number' ? mask[k] : undefined;
  if (isObject(mask)) return mask[k as string];
  return undefined;
}
/** Objects and arrays; an ExactNumber (a plan number a double cannot hold) is a leaf. */
function isContainer(v: unknown): boolean {
  return typeof v === 'object' && v !== null && !(v instanceof ExactNumber);
}
const IDENT = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/** `a.b[0]["odd key"]` — the display form of a path (unambiguous: odd keys are JSON-quoted). */
export function formatPath(path: readonly PathStep[]): string {
  let s = '';
  for (let i = 0; i < path.length; i++) s = appendStep(s, path[i]!);
  return s === '' ? '(whole value)' : s;
}
const identCache = new Map<string, boolean>();
function isIdent(step: string): boolean {
  let v = identCache.get(step);
  if (v === undefined) {
    v = IDENT.test(step);
    if (identCache.size < 10000) identCache.set(step, v);
  }
  return v;
}
function appendStep(s: string, step: PathStep): string {
  if (typeof step === 'number') return `${s}[${step}]`;
  if (isIdent(step)) return s === '' ? step : `${s}.${step}`;
  return `${s}[${JSON.stringify(step)}]`;
}

/**
 * The changed leaves between `before` and `after`, honouring Terraform's masks: `true` in a
 * sensitive mask covers the whole subtree (one leaf); `true` in `after_unknown` makes the leaf
 * unknown. Keys only in `after_unknown` (unknown leaves are omitted from `after`) are included.
 */
export function changedLeaves(
  before: unknown,
  after: unknown,
  beforeSensitive: unknown,
  afterSensitive: unknown,
  afterUnknown: unknown,
): ChangedLeaves {
  const changed: string[] = [];
  const sensitive: ChangedLeaves['sensitive'] = [];
  const unknownPaths: string[] = [];
  let omitted = 0;
  const leaf = (path: string, b: unknown, a: unknown, sens: boolean, unknown: boolean): void => {
    if (!unknown) {
      const bn = b === undefined || b === null;
      const an = a === undefined || a === null;
      if (bn && an) return;
      if (!bn && !an) {
        if (b === a) return;
        if (typeof b === 'object' || typeof a === 'object') {
          if (leafEquals(b, a)) return;
        }
        if (isContainer(b) && isContainer(a) && canonicalJson(b) === canonicalJson(a)) return;
      }
    }
    if (changed.length >= MAX_PATHS_PER_CHANGE) {
      omitted++;
      return;
    }
    const p = path === '' ? '(whole value)' : path;
    changed.push(p);
    if (sens) sensitive.push({ path: p, before: b, after: a, unknown });
    if (unknown) unknownPaths.push(p);
  };
  const walk = (path: string, b: unknown, a: unknown, bs: unknown, as: unknown, au: unknown, depth: number): void => {
    const sens = bs === true || as === true;
    const unknown = au === true;
    if (sens || unknown || depth >= MAX_DEPTH) return leaf(path, b, a, sens, unknown);
    const bc = isContainer(b);
    const ac = isContainer(a) || isContainer(au);
    if (!bc && !ac) return leaf(path, b, a, false, false);
    const bArr = Array.isArray(b);
    const aArr = Array.isArray(a) || (a === undefined && Array.isArray(au));
    if (
      (bc && ac && bArr !== aArr) ||
      (bc && !ac && a !== undefined && a !== null) ||
      (ac && !bc && b !== undefined && b !== null)
    ) {
      return leaf(path, b, a, false, false); // shape changed: one leaf for the whole value
    }
    if (bArr || aArr) {
      const n = Math.max(
        Array.isArray(b) ? b.length : 0,
        Array.isArray(a) ? a.length : 0,
        Array.isArray(au) ? au.length : 0,
      );
      for (let i = 0; i < n; i++)
        walk(`${path}[${i}]`, sub(b, i), sub(a, i), sub(bs, i), sub(as, i), sub(au, i), depth + 1);
      return;
    }
    const keys: string[] = isObject(b) ? Object.keys(b) : [];
    if (isObject(a)) for (const k of Object.keys(a)) if (!isObject(b) || !(k in b)) keys.push(k);
    if (isObject(au))
      for (const k of Object.keys(au)) if ((au[k] === true || isContainer(au[k])) && !keys.includes(k)) keys.push(k);
    keys.sort();
    for (const k of keys)
      walk(appendStep(path, k), sub(b, k), sub(a, k), sub(bs, k), sub(as, k), sub(au, k), depth + 1);
  };
  walk('', before, after, beforeSensitive, afterSensitive, afterUnknown, 0);
  return { changed, sensitive, unknown: unknownPaths, omitted };
}

/** The value at `path` steps inside `v` (undefined when absent). */
function at(v: unknown, steps: readonly PathStep[]): unknown {
  let cur = v;
  for (const k of steps) cur = sub(cur, k);
  return cur;
}

/**
 * Leaves where a Terraform mask (`*_sensitive`, `after_unknown`) is `true`, walking the mask only —
 * cheap for a create or delete, whose masks are usually `{}`. Returns display paths and the steps.
 */
export function maskLeaves(mask: unknown, withSteps = true): { path: string; steps: PathStep[] }[] {
  const out: { path: string; steps: PathStep[] }[] = [];
  // Most masks hold no `true` at all ({"input":{"tags":{}}}): find out without allocating.
  if (!containsTrue(mask, 0)) return out;
  const steps: PathStep[] = [];
  // Allocation-free walk (a shared step stack); only `true` leaves are copied out.
  const walk = (m: unknown, depth: number): void => {
    if (m === true) {
      if (out.length < MAX_PATHS_PER_CHANGE)
        out.push({ path: formatPath(steps), steps: withSteps ? steps.slice() : NO_STEPS });
      return;
    }
    if (typeof m !== 'object' || m === null || depth > MAX_DEPTH) return;
    for (const k of markedSteps(m)) {
      steps.push(k);
      walk(sub(m, k), depth + 1);
      steps.pop();
    }
  };
  walk(mask, 0);
  return out;
}

const NO_STEPS: PathStep[] = [];
const NO_LEAVES: ChangedLeaves = Object.freeze({
  changed: [],
  sensitive: [],
  unknown: [],
  omitted: 0,
}) as ChangedLeaves;

function containsTrue(m: unknown, depth: number): boolean {
  if (m === true) return true;
  if (typeof m !== 'object' || m === null || depth > MAX_DEPTH) return false;
  if (Array.isArray(m)) {
    for (let i = 0; i < m.length; i++) if (containsTrue(m[i], depth + 1)) return true;
    return false;
  }
  for (const k in m) if (containsTrue((m as Record<string, unknown>)[k], depth + 1)) return true;
  return false;
}

/**
 * The steps of a mask node under which a `true` may stand: an array's items that are not `false`
 * or `null`; an object's keys, sorted, whose values are not `false`, `null`, another scalar or an
 * empty container (Terraform writes those for "nothing here").
 */
function markedSteps(m: object): PathStep[] {
  if (Array.isArray(m)) {
    const items: number[] = [];
    for (let i = 0; i < m.length; i++) if (m[i] !== false && m[i] !== null) items.push(i);
    return items;
  }
  const o = m as Record<string, unknown>;
  const keys = Object.keys(o);
  let n = 0;
  for (const k of keys) {
    const x = o[k];
    if (x === false || x === null) continue;
    if (x !== true && (typeof x !== 'object' || isEmpty(x))) continue;
    keys[n++] = k;
  }
  keys.length = n;
  if (n > 1) keys.sort();
  return keys;
}

function isEmpty(x: object): boolean {
  if (Array.isArray(x)) return x.length === 0;
  for (const _ in x) return false;
  return true;
}

/** The shortest prefix of `steps` that `mask` marks `true`, or `steps` when none is. */
function stopAtSensitive(steps: readonly PathStep[], mask: unknown): PathStep[] {
  let m = mask;
  for (let i = 0; i < steps.length; i++) {
    if (m === true) return steps.slice(0, i);
    m = sub(m, steps[i]!);
  }
  return steps.slice();
}

/**
 * For a one-sided change (create or delete): sensitive leaves with their values, unknown leaves.
 * One walk per mask, building display paths as it goes (a 10k-create plan runs this 10k times);
 * `oneSidedLeavesReference` is the definition it must equal (a test compares them on the corpus).
 */
export function oneSidedLeaves(
  value: unknown,
  sensitiveMask: unknown,
  unknownMask: unknown,
  side: 'before' | 'after',
): ChangedLeaves {
  let marked = 0;
  let sensitive: ChangedLeaves['sensitive'] | undefined;
  // Most sensitive masks hold no `true` at all: find out without allocating.
  if (containsTrue(sensitiveMask, 0)) {
    sensitive = [];
    const out = sensitive;
    const walk = (m: unknown, v: unknown, path: string, depth: number): void => {
      if (m === true) {
        if (marked >= MAX_PATHS_PER_CHANGE) return;
        marked++;
        if (v === undefined || v === null) return;
        const p = path === '' ? '(whole value)' : path;
        out.push({
          path: p,
          before: side === 'before' ? v : undefined,
          after: side === 'after' ? v : undefined,
          unknown: false,
        });
        return;
      }
      if (typeof m !== 'object' || m === null || depth > MAX_DEPTH) return;
      for (const k of markedSteps(m)) walk(sub(m, k), sub(v, k), appendStep(path, k), depth + 1);
    };
    walk(sensitiveMask, value, '', 0);
  }
  // An unknown leaf beneath a value marked sensitive is named by the marked value's path only
  // (the map keys below a sensitive value are part of it): the shallowest marked ancestor's path.
  let unknown: string[] | undefined;
  if (side === 'after' && unknownMask !== undefined && unknownMask !== null && unknownMask !== false) {
    const w: UnknownWalk = { seen: undefined, found: 0, steps: [] };
    unknownLeaves(w, unknownMask, sensitiveMask, -1, 0);
    unknown = w.seen;
  }
  if (marked === 0 && unknown === undefined) return NO_LEAVES;
  return { changed: [], sensitive: sensitive ?? [], unknown: unknown ?? [], omitted: 0 };
}

/** One walk of an `after_unknown` mask: the display paths found, and the path to the current node. */
interface UnknownWalk {
  /** Distinct paths in the order found (few per change: a list beats a set here). */
  seen: string[] | undefined;
  found: number;
  readonly steps: PathStep[];
}

/**
 * The unknown leaves below `m` (the `after_unknown` mask at `w.steps`), `s` the sensitive mask
 * there, `under` the length of the shallowest sensitive ancestor's path (-1: none). Paths are
 * formatted only for the leaves found, and keys are sorted only when not already in order
 * (Terraform writes them sorted): a create runs this once, cold, for every resource of the plan.
 */
function unknownLeaves(w: UnknownWalk, m: unknown, s: unknown, under: number, depth: number): void {
  if (m === true) {
    if (w.found >= MAX_PATHS_PER_CHANGE) return;
    w.found++;
    const p = formatPath(under >= 0 ? w.steps.slice(0, under) : w.steps);
    if (w.seen === undefined) w.seen = [p];
    else if (!w.seen.includes(p)) w.seen.push(p);
    return;
  }
  if (typeof m !== 'object' || m === null || depth > MAX_DEPTH) return;
  const below = under >= 0 ? under : s === true ? w.steps.length : -1;
  if (Array.isArray(m)) {
    for (let i = 0; i < m.length; i++) {
      const x: unknown = m[i];
      if (x === false || x === null) continue;
      w.steps.push(i);
      unknownLeaves(w, x, sub(s, i), below, depth + 1);
      w.steps.pop();
    }
    return;
  }
  const o = m as Record<string, unknown>;
  const keys = Object.keys(o);
  const n = keys.length;
  for (let i = 1; i < n; i++) {
    if (keys[i - 1]! > keys[i]!) {
      keys.sort();
      break;
    }
  }
  for (let i = 0; i < n; i++) {
    const k = keys[i]!;
    const x = o[k];
    // Only `true` and containers can hold an unknown leaf.
    if (x !== true && (typeof x !== 'object' || x === null)) continue;
    w.steps.push(k);
    unknownLeaves(w, x, sub(s, k), below, depth + 1);
    w.steps.pop();
  }
}

/** The definition oneSidedLeaves implements: mask leaves first, then values and prefixes. */
export function oneSidedLeavesReference(
  value: unknown,
  sensitiveMask: unknown,
  unknownMask: unknown,
  side: 'before' | 'after',
): ChangedLeaves {
  const sens = maskLeaves(sensitiveMask);
  // An unknown leaf beneath a value marked sensitive is named by the marked value's path only:
  // the map keys below a sensitive value are part of it.
  const unknownPaths = new Set<string>();
  if (side === 'after')
    for (const l of maskLeaves(unknownMask)) unknownPaths.add(formatPath(stopAtSensitive(l.steps, sensitiveMask)));
  const unknown = [...unknownPaths].map((path) => ({ path }));
  if (sens.length === 0 && unknown.length === 0) return NO_LEAVES;
  const sensitive: ChangedLeaves['sensitive'] = [];
  for (const l of sens) {
    const v = at(value, l.steps);
    if (v === undefined || v === null) continue;
    sensitive.push({
      path: l.path,
      before: side === 'before' ? v : undefined,
      after: side === 'after' ? v : undefined,
      unknown: false,
    });
  }
  return { changed: [], sensitive, unknown: unknown.map((l) => l.path), omitted: 0 };
}
