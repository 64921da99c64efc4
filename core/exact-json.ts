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

/** What `ExactReader.start` returns when it opened a container (its values come next). */
const OPENED = Symbol('opened');

/** The state of one parse: the text, the position and the containers open, innermost last. */
class ExactReader {
  pos = 0;
  result: unknown;
  private readonly stack: Frame[] = [];

  constructor(private readonly text: string) {}

  fail(kind: string): never {
    throw new ExactJsonSyntaxError(kind, this.pos);
  }

  ws(): void {
    WS.lastIndex = this.pos;
    WS.exec(this.text);
    this.pos = WS.lastIndex;
  }

  /** A string at `pos` (a plain one sliced, one with escapes read by JSON.parse). */
  private str(): string {
    const text = this.text;
    PLAIN_STRING.lastIndex = this.pos;
    if (PLAIN_STRING.test(text)) {
      const s = text.slice(this.pos + 1, PLAIN_STRING.lastIndex - 1);
      this.pos = PLAIN_STRING.lastIndex;
      return s;
    }
    STRING.lastIndex = this.pos;
    if (!STRING.test(text)) return this.fail(this.pos >= text.length ? 'Unexpected end of JSON input' : 'Bad string');
    const s = JSON.parse(text.slice(this.pos, STRING.lastIndex)) as string;
    this.pos = STRING.lastIndex;
    return s;
  }

  /** An object member's `"key":`. */
  private key(): string {
    this.ws();
    if (this.text.charCodeAt(this.pos) !== 0x22) this.fail('Expected a key');
    const key = this.str();
    this.ws();
    if (this.text.charCodeAt(this.pos) !== 0x3a) this.fail('Expected ":"');
    this.pos++;
    return key;
  }

  /** The next value when it is a scalar or an empty container; else open the container and return OPENED. */
  start(): unknown {
    this.ws();
    if (this.pos >= this.text.length) this.fail('Unexpected end of JSON input');
    const c = this.text.charCodeAt(this.pos);
    if (c === 0x7b /* { */) return this.open({ kind: 'object', value: {}, key: '' }, 0x7d);
    if (c === 0x5b /* [ */) return this.open({ kind: 'array', value: [] }, 0x5d);
    return this.scalar(c);
  }

  private open(frame: Frame, close: number): unknown {
    this.pos++;
    this.ws();
    if (this.text.charCodeAt(this.pos) === close) {
      this.pos++;
      return frame.value;
    }
    if (frame.kind === 'object') frame.key = this.key();
    this.stack.push(frame);
    return OPENED;
  }

  private scalar(c: number): unknown {
    const text = this.text;
    if (c === 0x22) return this.str();
    for (const [word, value] of LITERALS) {
      if (c === word.charCodeAt(0) && text.startsWith(word, this.pos)) {
        this.pos += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = this.pos;
    const m = NUMBER.exec(text);
    if (!m) return this.fail('Unexpected token');
    this.pos = NUMBER.lastIndex;
    return isInexact(m[0]) ? new ExactNumber(m[0]) : Number(m[0]);
  }

  /** Attach `value` to the innermost container and close every container it completes; true at the root's end. */
  attach(value: unknown): boolean {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) {
        this.result = value;
        return true;
      }
      if (top.kind === 'array') top.value.push(value);
      else setOwn(top.value, top.key, value);
      this.ws();
      const d = this.text.charCodeAt(this.pos);
      if (d === 0x2c /* , */) {
        this.pos++;
        if (top.kind === 'object') top.key = this.key();
        return false;
      }
      if ((top.kind === 'array' && d === 0x5d) || (top.kind === 'object' && d === 0x7d)) {
        this.pos++;
        this.stack.pop();
        value = top.value;
        continue;
      }
      return this.fail(
        this.pos >= this.text.length ? 'Unexpected end of JSON input' : 'Expected "," or a closing bracket',
      );
    }
  }

  /** Only whitespace may follow the value. */
  end(): void {
    this.ws();
    if (this.pos < this.text.length) this.fail('Unexpected non-whitespace character after JSON');
  }
}

const LITERALS: readonly (readonly [string, unknown])[] = [
  ['true', true],
  ['false', false],
  ['null', null],
];

/**
 * Parse one JSON value like `JSON.parse`, keeping inexact numbers as ExactNumber. Throws
 * ExactJsonSyntaxError (never quoting the text) on a syntax error or on data after the value.
 * Iterative (containers open on a stack), so deep nesting cannot overflow the call stack.
 */
export function parseJsonExact(text: string): unknown {
  const r = new ExactReader(text);
  for (;;) {
    const v = r.start();
    if (v !== OPENED && r.attach(v)) break;
  }
  r.end();
  return r.result;
}
