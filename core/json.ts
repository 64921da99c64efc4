import { isUtf8 } from 'node:buffer';
import { ReceiptError, ReceiptErrorCode } from './errors';
import { checkJsonShapeOf } from './json-shape';

/** A JSON object: not null, not an array. The one check every reader of JSON uses. */
export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * JSON.parse that never echoes input in its error. Node's own message quotes the text around the
 * error ("Unexpected token 'x', "…secret…" is not valid JSON"), which would put plan values on stderr.
 * The message says only what kind of syntax error it was.
 */
export function parseJsonNoEcho(
  text: string,
  source: string,
  what: string,
  code: ReceiptErrorCode = 'JSON_INVALID',
): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ReceiptError(
      code,
      `${source}: not valid ${what} (${syntaxKind(e)}); was the file truncated or is it the wrong file?`,
    );
  }
  // A key given twice (JSON.parse keeps the last, other readers the first) is refused too; strings
  // are not limited here (a signed payload may be large), names are (JSON_MAX_NAME).
  checkJsonShapeOf(text, value, source, what, { maxString: Number.MAX_SAFE_INTEGER });
  return value;
}

/**
 * Signed bytes as text, only when they are UTF-8: decoding replaces each invalid sequence with
 * U+FFFD, so two readers (or one reader and the signer) could read one file two ways.
 */
export function utf8Text(bytes: Buffer, source: string, what: string, code: ReceiptErrorCode = 'JSON_INVALID'): string {
  if (!isUtf8(bytes)) throw new ReceiptError(code, `${source}: ${what} is not valid UTF-8 (bytes no UTF-8 reader decodes alike); refused`);
  return bytes.toString('utf8');
}

/** A description of a JSON.parse failure with no input bytes in it. */
export function syntaxKind(e: unknown): string {
  const m = String((e as Error)?.message ?? '');
  if (/Unexpected end|Unterminated/i.test(m)) return 'input ends before the JSON value is complete';
  if (/after JSON/i.test(m)) return 'extra data after the JSON value';
  if (/Bad control character|Bad escaped|Bad Unicode/i.test(m)) return 'bad character in a string';
  return 'syntax error';
}

/**
 * Input values are never echoed in messages (any field of malformed input may hold a secret), except
 * version-like strings ("2.0"), which say what was wrong without being able to carry a secret.
 */
export function echoSafe(v: unknown): string {
  return typeof v === 'string' && /^\d{1,4}(\.\d{1,4}){0,3}$/.test(v) ? `"${v}"` : '(value not shown)';
}
