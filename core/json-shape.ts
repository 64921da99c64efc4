/**
 * What `JSON.parse` lets through and two readers would read two ways: a key given twice in one
 * object (`JSON.parse` keeps the last, other parsers the first), and strings no reader needs
 * that long (a 50 MB `provider_name` made a 133 MB signed receipt). `checkJsonShape` scans the
 * text once — every string token, and the brackets between them — and refuses either with one
 * line naming the source and the field, never quoting a value.
 *
 * The scan relies on JSON's grammar: outside strings there is no `"`, so reading string tokens one
 * after another from the start (each ends at the next quote no odd run of backslashes escapes)
 * finds every string exactly; a string followed by `:` is a key. Characters outside strings other
 * than brackets are skipped.
 * Run it on text `JSON.parse` accepts (or will be asked to): on broken text it may stop early, and
 * the parser then names the syntax error.
 */
import { ReceiptError } from './errors';
import { ExactNumber } from './exact-json';

/** Limits of one JSON document. */
export interface JsonShapeLimits {
  /** Longest string value, in UTF-16 code units. @default JSON_MAX_STRING */
  readonly maxString?: number;
  /** Longest key, and longest value of an identifier field (`IDENTIFIER_FIELDS`). @default JSON_MAX_NAME */
  readonly maxName?: number;
}

/** 16 Mi characters: far above any value Terraform writes in one string. */
export const JSON_MAX_STRING = 16 * 1024 * 1024;
/** 64 Ki characters: far above any address, type, name or provider Terraform writes. */
export const JSON_MAX_NAME = 64 * 1024;

/** Fields that name things (recorded in clear in receipts), held to `maxName`. */
export const IDENTIFIER_FIELDS: ReadonlySet<string> = new Set([
  'address',
  'previous_address',
  'module_address',
  'mode',
  'type',
  'name',
  'provider_name',
  'action_reason',
  'deposed',
  'resource',
  'resource_key',
  'resource_type',
  'resource_name',
  'addr',
  'terraform_version',
  'format_version',
]);

/** The path of keys to the current place, for messages (`resource_changes[].change.after.tags`). */
function pathOf(keys: readonly (string | null)[]): string {
  let out = '';
  for (const k of keys) out += k === null ? '[]' : out === '' ? k : `.${k}`;
  return out;
}

/** The text of the key between `from` and `to` as JSON defines it (escapes resolved). */
function keyText(text: string, from: number, to: number): string {
  const raw = text.slice(from, to);
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/** Printable in a message: short keys as they are, long or odd ones by length only. */
function shown(key: string): string {
  return key.length <= 64 && /^[\x20-\x7e]*$/.test(key)
    ? `"${key.replace(/"/g, '\\"')}"`
    : `(a key of ${key.length} characters)`;
}

/**
 * Refuse (JSON_INVALID / INPUT_INVALID, exit 2) a duplicate key, an over-long key or identifier
 * and an over-long string, naming `source`, `what` and the field's path.
 */
export function checkJsonShape(text: string, source: string, what: string, limits: JsonShapeLimits = {}): void {
  const maxString = limits.maxString ?? JSON_MAX_STRING;
  const maxName = limits.maxName ?? JSON_MAX_NAME;
  /** Strings this long or shorter pass every limit: most do, and skip the field lookup. */
  const short = Math.min(maxString, maxName);
  /** Per open container: the keys seen (objects) or null (arrays). */
  const seen: (Set<string> | null)[] = [];
  /** Per open container, the key being read in it (objects) or null (arrays). */
  const path: (string | null)[] = [];
  /** One set of keys per depth, cleared and reused: a plan opens an object per value. */
  const pool: Set<string>[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      const d = seen.length - 1;
      if (d >= 0 && seen[d] === null) path[d] = null;
      path.length = d + 1;
      let keys: Set<string> | null = null;
      if (c === 0x7b) {
        keys = pool[d + 1] ??= new Set();
        keys.clear();
      }
      seen.push(keys);
      continue;
    }
    if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      seen.pop();
      path.length = seen.length;
      continue;
    }
    if (c !== 0x22 /* " */) continue;
    const end = stringEnd(text, i);
    if (end < 0) return; // not JSON: the parser names the error
    const chars = end - i - 1;
    const d = seen.length - 1;
    let at = end + 1;
    let next = text.charCodeAt(at);
    while (next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09) next = text.charCodeAt(++at);
    const keys = seen[d];
    path.length = d + 1;
    if (next === 0x3a /* : */ && keys) {
      const key = keyText(text, i + 1, end);
      path[d] = null;
      if (chars > maxName)
        throw new ReceiptError(
          'INPUT_INVALID',
          `${source}: ${what} has a key of ${chars} characters${within(path, d)} (at most ${maxName}); is it the right file?`,
        );
      if (keys.has(key)) {
        const where = pathOf(path.slice(0, d));
        throw new ReceiptError(
          'JSON_INVALID',
          `${source}: ${what} has the key ${shown(key)} twice in one object${where ? ` (${where})` : ''}; readers would disagree on its value — refused`,
        );
      }
      keys.add(key);
      path[d] = key;
      i = at;
      continue;
    }
    i = end;
    if (!keys && d >= 0) path[d] = null;
    if (chars <= short) continue;
    const field = keys ? path[d] : null;
    const limit = field != null && IDENTIFIER_FIELDS.has(field) ? maxName : maxString;
    if (chars > limit)
      throw new ReceiptError(
        'INPUT_INVALID',
        `${source}: ${what} field ${pathOf(path) || '(top level)'} holds a string of ${chars} characters (at most ${limit}); refused`,
      );
  }
}

/** The offset of the quote closing the string that opens at `start`, or -1 when there is none. */
function stringEnd(text: string, start: number): number {
  let j = start + 1;
  for (;;) {
    j = text.indexOf('"', j);
    if (j < 0) return -1;
    // Escaped when an odd number of backslashes precede it.
    let k = j - 1;
    while (text.charCodeAt(k) === 0x5c) k--;
    if (((j - 1 - k) & 1) === 0) return j;
    j++;
  }
}

/** ` in PATH` for the containers above depth `d`, or nothing at the top level. */
function within(path: readonly (string | null)[], d: number): string {
  const where = pathOf(path.slice(0, d));
  return where ? ` in ${where}` : '';
}

/**
 * `checkJsonShape` of `text`, given `value`, what parsing `text` gave (JSON.parse or
 * parseJsonNumbersExact). Most documents pass, and are passed by a cheaper proof: every string is
 * within both limits, and the text writes as many keys as the value holds (a key given twice is
 * held once, so any duplicate makes the text write more). Anything else, or a value holding more
 * than JSON makes, goes to the full scan, which names the field.
 */
export function checkJsonShapeOf(
  text: string,
  value: unknown,
  source: string,
  what: string,
  limits: JsonShapeLimits = {},
): void {
  const short = Math.min(limits.maxString ?? JSON_MAX_STRING, limits.maxName ?? JSON_MAX_NAME);
  const written = keysWritten(text, short);
  if (written >= 0 && written === keysHeld(value)) return; // keysHeld is -1 when it cannot count
  checkJsonShape(text, source, what, limits);
}

/** The number of keys `text` writes, or -1 when a string in it is longer than `short`. */
function keysWritten(text: string, short: number): number {
  let count = 0;
  for (let i = text.indexOf('"'); i >= 0; i = text.indexOf('"', i + 1)) {
    const end = stringEnd(text, i);
    if (end < 0 || end - i - 1 > short) return -1;
    let at = end + 1;
    let next = text.charCodeAt(at);
    while (next === 0x20 || next === 0x0a || next === 0x0d || next === 0x09) next = text.charCodeAt(++at);
    if (next === 0x3a /* : */) count++;
    i = end;
  }
  return count;
}

/** True when no object made by a JSON parser inherits an enumerable member (an unpolluted Object.prototype). */
function prototypeClean(): boolean {
  return Object.keys(Object.prototype).length === 0;
}

/**
 * The own keys of every object in `value` (an ExactNumber is a leaf); -1 when Object.prototype
 * carries an enumerable member (then the caller's full scan decides). Counted with `for...in`,
 * which allocates no key arrays (eight times faster than Object.keys on a 10,000-resource plan):
 * parsed objects inherit from a clean Object.prototype only, so it visits exactly their own keys.
 */
function keysHeld(value: unknown): number {
  if (!prototypeClean()) return -1;
  let count = 0;
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x: unknown = v[i];
        if (typeof x === 'object' && x !== null) stack.push(x);
      }
      continue;
    }
    if (typeof v !== 'object' || v === null || v instanceof ExactNumber) continue;
    const o = v as Record<string, unknown>;
    for (const k in o) {
      count++;
      const x = o[k];
      if (typeof x === 'object' && x !== null) stack.push(x);
    }
  }
  return count;
}
