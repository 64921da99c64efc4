import { ExactNumber } from './exact-json';

/**
 * Deterministic JSON: object keys sorted by UTF-16 code units (as RFC 8785 does), no
 * whitespace, `undefined` members dropped. Numbers use JavaScript's shortest form.
 * The same value always gives the same bytes, so the same inputs give the same digests.
 * An `ExactNumber` (a plan number a double cannot hold) is written as its own text.
 *
 * `canonicalJson` serialises with the native JSON.stringify, re-creating on the way only the
 * objects whose keys are not already in order (about twice as fast as recursing on 10k-change
 * plans); where a re-created object could not list its keys in string order it falls back to
 * `canonicalJsonReference`, the recursive definition. Both give the same bytes for every JSON
 * value (a test checks them on every corpus document).
 */
export function canonicalJson(value: unknown): string {
  const pieces = canonicalJsonPieces(value);
  let s = pieces[0]!;
  for (let i = 1; i < pieces.length; i++) s += pieces[i]!;
  return s;
}

/**
 * `canonicalJson(value)` as the pieces whose concatenation it is, in order. A signer writes them
 * into its buffer one by one: a 10,000-change receipt's payload (7 MB) is then never copied into
 * one flat string first.
 */
export function canonicalJsonPieces(value: unknown): string[] {
  const lists: unknown[][] = [];
  let s: string | undefined;
  try {
    s = JSON.stringify(value, function (this: unknown, key: string, v: unknown): unknown {
      // A list of objects its builder marked canonical is written apart, by JSON.stringify alone.
      if (Array.isArray(v) && v.length > 1 && CANONICAL.has(v[0] as object) && v.every((x) => CANONICAL.has(x))) {
        lists.push(v);
        return `${LIST_TOKEN}${lists.length - 1}`;
      }
      return sortedReplacer.call(this, key, v);
    });
  } catch (e) {
    if (e === FALLBACK) return [canonicalJsonReference(value)];
    throw e;
  }
  if (s === undefined) throw new TypeError('canonicalJson: value is not serialisable');
  return lists.length ? (spliceLists(s, lists) ?? [JSON.stringify(value, sortedReplacer)]) : [s];
}

/**
 * Objects whose builder lists their members in string order and puts in them only strings, finite
 * numbers, null, booleans, arrays of those and other such objects (never an ExactNumber, an `undefined` in an array,
 * an integer-like key or a toJSON): the native JSON.stringify writes them canonically as they are.
 * A list of them (a receipt's 10,000 change records) skips the replacer's call per value.
 */
const CANONICAL = new WeakSet<object>();

/** Marks `o` as canonical by construction (see CANONICAL); the builder vouches for its whole subtree. */
export function markCanonical<T extends object>(o: T): T {
  CANONICAL.add(o);
  return o;
}

const LIST_TOKEN = 'kfm-canonical-list-';

/**
 * Each list's placeholder (written as a JSON string) replaced by the list's JSON, as pieces in
 * order; undefined when a placeholder is not found exactly once (a value of the document spelling
 * it), the caller then writes the whole value through the replacer.
 */
function spliceLists(s: string, lists: readonly unknown[][]): string[] | undefined {
  const found: { at: number; end: number; list: unknown[] }[] = [];
  for (let i = 0; i < lists.length; i++) {
    const token = `"${LIST_TOKEN}${i}"`;
    const at = s.indexOf(token);
    if (at < 0 || s.indexOf(token, at + 1) >= 0) return undefined;
    found.push({ at, end: at + token.length, list: lists[i]! });
  }
  found.sort((a, b) => a.at - b.at);
  const pieces: string[] = [];
  let from = 0;
  for (const { at, end, list } of found) {
    pieces.push(s.slice(from, at), JSON.stringify(list));
    from = end;
  }
  pieces.push(s.slice(from));
  return pieces;
}

/** The recursive definition of canonical JSON: slower, obviously right; the fast path's fallback. */
export function canonicalJsonReference(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError(`canonicalJson: non-finite number ${value}`);
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object': {
      if (value instanceof ExactNumber) return value.text;
      if (Array.isArray(value)) {
        return `[${value.map((v) => (v === undefined ? 'null' : canonicalJsonReference(v))).join(',')}]`;
      }
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJsonReference(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot serialize a ${typeof value}`);
  }
}

/** Thrown when an object cannot be re-created in string order (integer-like keys). */
const FALLBACK = new Error('canonical fallback');
const INDEX_KEY = /^(0|[1-9][0-9]*)$/;

function sortedReplacer(this: unknown, _key: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    if (typeof value === 'number' && !Number.isFinite(value))
      throw new TypeError(`canonicalJson: non-finite number ${value}`);
    return value;
  }
  // The native serialiser cannot write a number's own text: the recursive definition can.
  if (value instanceof ExactNumber) throw FALLBACK;
  const keys = Object.keys(value);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) {
    if (keys[i - 1]! > keys[i]!) {
      sorted = false;
      break;
    }
  }
  if (sorted) return value;
  keys.sort();
  // JS objects list integer-like keys ("9", "10") first, in numeric order, whatever the insertion
  // order: a re-created object keeps string order only if its one integer-like key sorts first.
  for (let i = 0; i < keys.length; i++) if (i > 0 && INDEX_KEY.test(keys[i]!)) throw FALLBACK;
  // No prototype, so a "__proto__" member stays a member instead of becoming the prototype.
  const out = Object.create(null) as Record<string, unknown>;
  for (const k of keys) out[k] = (value as Record<string, unknown>)[k];
  return out;
}
