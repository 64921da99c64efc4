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
  let s: string | undefined;
  try {
    s = JSON.stringify(value, sortedReplacer);
  } catch (e) {
    if (e === FALLBACK) return canonicalJsonReference(value);
    throw e;
  }
  if (s === undefined) throw new TypeError('canonicalJson: value is not serialisable');
  return s;
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
