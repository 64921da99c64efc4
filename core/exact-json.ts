/**
 * JSON numbers kept exact. `JSON.parse` reads every number as a double, so `9007199254740993` and
 * `9007199254740992`, or `0.1000000000000000000001` and `0.1`, read as the same value: a receipt
 * would record "no change" and two equal commitments for a real change. Node 20 has no access to
 * a number's source text from `JSON.parse`, so:
 *
 * - `mayHoldInexactNumber(text)` is a cheap scan of the raw text (two native regular expressions,
 *   about 3% of `JSON.parse` on a 20 MB plan) for anything that could be such a number: a run of
 *   16 digits or dots, or a three-digit exponent. Most plans have none and are read by `JSON.parse`.
 * - `parseJsonExact(text)` reads the rest: the same values as `JSON.parse`, except a number whose
 *   double does not give back its text becomes an `ExactNumber` holding the text. It is iterative,
 *   so deep nesting cannot overflow the stack here.
 *
 * An `ExactNumber` compares equal only to the same decimal value, serialises in canonical JSON as
 * its text, and `valueOf()` gives the nearest double (so `>=` still works in policy rules).
 */

import { randomBytes } from 'node:crypto';

export class ExactNumber {
  constructor(readonly text: string) {}
  valueOf(): number {
    return Number(this.text);
  }
}

/** Sign, digits without leading/trailing zeros, and the exponent of the last digit. */
function decimalKey(text: string): string {
  const m = /^(-?)(\d+)(?:\.(\d+))?(?:[eE]([-+]?\d+))?$/.exec(text);
  if (!m) return text;
  let digits = m[2]! + (m[3] ?? '');
  let exp = Number(m[4] ?? 0) - (m[3]?.length ?? 0);
  digits = digits.replace(/^0+/, '');
  if (digits === '') return '0';
  const trailing = /0*$/.exec(digits)![0].length;
  digits = digits.slice(0, digits.length - trailing);
  exp += trailing;
  return `${m[1]}${digits}e${exp}`;
}

/** True when the double nearest to `text` is not the decimal value `text` writes. */
export function isInexact(text: string): boolean {
  const d = Number(text);
  if (!Number.isFinite(d)) return true;
  return decimalKey(String(d)) !== decimalKey(text);
}

const DIGIT_RUN = /[\d.][\d.][\d.][\d.][\d.][\d.][\d.][\d.][\d.][\d.][\d.][\d.][\d.][\d.][\d.][\d.]/;
const BIG_EXPONENT = /[eE][-+]?\d\d\d/;

/**
 * A long or big-exponent number token where JSON allows a number: after `:`, `,` or `[`, before
 * `,`, `}` or `]`. Every real number token matches it, so a text with none holds no inexact number;
 * digits inside a string rarely do (and then only cost the exact parse).
 */
const CANDIDATE = /[:,[][ \t\r\n]*(-?(?=[\d.]{16}|[\d.]*[eE][-+]?\d{3})\d[\d.]*(?:[eE][-+]?\d+)?)(?=[ \t\r\n]*[,}\]])/g;

/** Inexact number tokens where JSON allows a number (start and end offsets in `text`). */
function inexactTokens(text: string): { start: number; end: number; text: string }[] {
  const hits: { start: number; end: number; text: string }[] = [];
  if (!DIGIT_RUN.test(text) && !BIG_EXPONENT.test(text)) return hits;
  CANDIDATE.lastIndex = 0;
  for (let m = CANDIDATE.exec(text); m !== null; m = CANDIDATE.exec(text)) {
    if (!isInexact(m[1]!)) continue;
    const start = m.index + m[0].length - m[1]!.length;
    hits.push({ start, end: start + m[1]!.length, text: m[1]! });
  }
  return hits;
}

/** Cheap and conservative: false means every number in `text` reads exactly as a double. */
export function mayHoldInexactNumber(text: string): boolean {
  return inexactTokens(text).length > 0;
}

/**
 * `JSON.parse`, except numbers a double cannot hold become ExactNumber. The fast path for a text
 * with such numbers: each one is swapped for a string holding a per-call random marker, the text
 * is parsed natively, and the markers are swapped back (one walk). A candidate inside a string
 * makes the swapped text invalid JSON (the marker's quote ends the string), and then the exact
 * parser reads the original text. Syntax errors come from either parser, never quoting the text.
 */
export function parseJsonNumbersExact(text: string): unknown {
  const hits = inexactTokens(text);
  if (hits.length === 0) return JSON.parse(text);
  const marker = `kfm-exact-${randomBytes(16).toString('hex')}-`;
  let swapped = '';
  let at = 0;
  hits.forEach((h, i) => {
    swapped += `${text.slice(at, h.start)}"${marker}${i}"`;
    at = h.end;
  });
  swapped += text.slice(at);
  let root: unknown;
  try {
    root = JSON.parse(swapped);
  } catch {
    return parseJsonExact(text);
  }
  let found = 0;
  const back = (v: unknown): unknown => {
    if (typeof v !== 'string' || !v.startsWith(marker)) return v;
    found++;
    return new ExactNumber(hits[Number(v.slice(marker.length))]!.text);
  };
  const top = back(root);
  const stack: unknown[] = [top];
  while (stack.length > 0) {
    const v = stack.pop();
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const x = v[i];
        if (typeof x === 'object' && x !== null) stack.push(x);
        else if (typeof x === 'string') v[i] = back(x);
      }
    } else if (typeof v === 'object' && v !== null && !(v instanceof ExactNumber)) {
      const o = v as Record<string, unknown>;
      for (const k of Object.keys(o)) {
        const x = o[k];
        if (typeof x === 'object' && x !== null) stack.push(x);
        else if (typeof x === 'string') {
          const y = back(x);
          if (y !== x) Object.defineProperty(o, k, { value: y, enumerable: true, writable: true, configurable: true });
        }
      }
    }
  }
  return found === hits.length ? top : parseJsonExact(text);
}

export function isExactNumber(v: unknown): v is ExactNumber {
  return v instanceof ExactNumber;
}

/** Equality of two JSON leaves where either may be an ExactNumber. */
export function leafEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ae = a instanceof ExactNumber;
  const be = b instanceof ExactNumber;
  if (!ae && !be) return false;
  const at = ae ? (a as ExactNumber).text : typeof a === 'number' ? String(a) : null;
  const bt = be ? (b as ExactNumber).text : typeof b === 'number' ? String(b) : null;
  return at !== null && bt !== null && decimalKey(at) === decimalKey(bt);
}

/** A JSON syntax error from parseJsonExact, with a position and no input text. */
export class ExactJsonSyntaxError extends SyntaxError {
  constructor(
    readonly kind: string,
    readonly position: number,
  ) {
    super(`${kind} at position ${position}`);
  }
}

const WS = /[ \t\n\r]*/y;
const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?/y;
const PLAIN_STRING = /"[^"\\\u0000-\u001f]*"/y;
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;

type Frame = { kind: 'array'; value: unknown[] } | { kind: 'object'; value: Record<string, unknown>; key: string };

function setOwn(o: Record<string, unknown>, k: string, v: unknown): void {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  else o[k] = v;
}

/**
 * Parse one JSON value like `JSON.parse`, keeping inexact numbers as ExactNumber. Throws
 * ExactJsonSyntaxError (never quoting the text) on a syntax error or on data after the value.
 */
export function parseJsonExact(text: string): unknown {
  let pos = 0;
  const fail = (kind: string): never => {
    throw new ExactJsonSyntaxError(kind, pos);
  };
  const ws = (): void => {
    WS.lastIndex = pos;
    WS.exec(text);
    pos = WS.lastIndex;
  };
  const str = (): string => {
    PLAIN_STRING.lastIndex = pos;
    if (PLAIN_STRING.test(text)) {
      const s = text.slice(pos + 1, PLAIN_STRING.lastIndex - 1);
      pos = PLAIN_STRING.lastIndex;
      return s;
    }
    STRING.lastIndex = pos;
    if (!STRING.test(text)) return fail(pos >= text.length ? 'Unexpected end of JSON input' : 'Bad string');
    const s = JSON.parse(text.slice(pos, STRING.lastIndex)) as string;
    pos = STRING.lastIndex;
    return s;
  };
  const stack: Frame[] = [];
  let result: unknown;
  let haveValue = false;
  for (;;) {
    ws();
    if (pos >= text.length) fail('Unexpected end of JSON input');
    const c = text.charCodeAt(pos);
    let value: unknown;
    let isValue = true;
    if (c === 0x7b /* { */) {
      pos++;
      ws();
      const o: Record<string, unknown> = {};
      if (text.charCodeAt(pos) === 0x7d) {
        pos++;
        value = o;
      } else {
        if (text.charCodeAt(pos) !== 0x22) fail('Expected a key');
        const key = str();
        ws();
        if (text.charCodeAt(pos) !== 0x3a) fail('Expected ":"');
        pos++;
        stack.push({ kind: 'object', value: o, key });
        isValue = false;
      }
    } else if (c === 0x5b /* [ */) {
      pos++;
      ws();
      const a: unknown[] = [];
      if (text.charCodeAt(pos) === 0x5d) {
        pos++;
        value = a;
      } else {
        stack.push({ kind: 'array', value: a });
        isValue = false;
      }
    } else if (c === 0x22) value = str();
    else if (c === 0x74 && text.startsWith('true', pos)) {
      pos += 4;
      value = true;
    } else if (c === 0x66 && text.startsWith('false', pos)) {
      pos += 5;
      value = false;
    } else if (c === 0x6e && text.startsWith('null', pos)) {
      pos += 4;
      value = null;
    } else {
      NUMBER.lastIndex = pos;
      const m = NUMBER.exec(text);
      if (!m) return fail('Unexpected token');
      pos = NUMBER.lastIndex;
      value = isInexact(m[0]) ? new ExactNumber(m[0]) : Number(m[0]);
    }
    if (!isValue) continue;
    // Attach the value and close every container it completes.
    for (;;) {
      const top = stack[stack.length - 1];
      if (top === undefined) {
        result = value;
        haveValue = true;
        break;
      }
      if (top.kind === 'array') top.value.push(value);
      else setOwn(top.value, top.key, value);
      ws();
      const d = text.charCodeAt(pos);
      if (d === 0x2c /* , */) {
        pos++;
        if (top.kind === 'object') {
          ws();
          if (text.charCodeAt(pos) !== 0x22) fail('Expected a key');
          top.key = str();
          ws();
          if (text.charCodeAt(pos) !== 0x3a) fail('Expected ":"');
          pos++;
        }
        break;
      }
      if ((top.kind === 'array' && d === 0x5d) || (top.kind === 'object' && d === 0x7d)) {
        pos++;
        stack.pop();
        value = top.value;
        continue;
      }
      return fail(pos >= text.length ? 'Unexpected end of JSON input' : 'Expected "," or a closing bracket');
    }
    if (haveValue) break;
  }
  ws();
  if (pos < text.length) fail('Unexpected non-whitespace character after JSON');
  return result;
}
