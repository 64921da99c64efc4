/**
 * What `JSON.parse` lets through and two readers would read two ways: a key given twice in one
 * object (`JSON.parse` keeps the last, other parsers the first), and strings no reader needs
 * that long (a 50 MB `provider_name` made a 133 MB signed receipt). `checkJsonShape` scans the
 * text once — every string token, and the brackets between them — and refuses either with one
 * line naming the source and the field, never quoting a value.
 *
 * The scan relies on JSON's grammar: outside strings there is no `"`, so matching string tokens
 * one after another from the start finds every string exactly; a string followed by `:` is a key.
 * Run it on text `JSON.parse` accepts (or will be asked to): on broken text it may stop early, and
 * the parser then names the syntax error.
 */
import { ReceiptError } from './errors';

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

const TOKEN = /"(?:[^"\\]|\\.)*"|[{}[\]]/g;

/** The path of keys to the current place, for messages (`resource_changes[].change.after.tags`). */
function pathOf(keys: readonly (string | null)[]): string {
  let out = '';
  for (const k of keys) out += k === null ? '[]' : out === '' ? k : `.${k}`;
  return out;
}

/** Key text as JSON defines it (escapes resolved); a bad escape is left to the parser. */
function keyText(token: string): string {
  if (!token.includes('\\')) return token.slice(1, -1);
  try {
    return JSON.parse(token) as string;
  } catch {
    return token.slice(1, -1);
  }
}

/** Printable in a message: short keys as they are, long or odd ones by length only. */
function shown(key: string): string {
  return key.length <= 64 && /^[\x20-\x7e]*$/.test(key) ? `"${key.replace(/"/g, '\\"')}"` : `(a key of ${key.length} characters)`;
}

/**
 * Refuse (JSON_INVALID / INPUT_INVALID, exit 2) a duplicate key, an over-long key or identifier
 * and an over-long string, naming `source`, `what` and the field's path.
 */
export function checkJsonShape(text: string, source: string, what: string, limits: JsonShapeLimits = {}): void {
  const maxString = limits.maxString ?? JSON_MAX_STRING;
  const maxName = limits.maxName ?? JSON_MAX_NAME;
  /** Per open container: the keys seen (objects) or null (arrays). */
  const seen: (Set<string> | null)[] = [];
  /** Per open container, the key being read in it (objects) or null (arrays). */
  const path: (string | null)[] = [];
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(text); m !== null; m = TOKEN.exec(text)) {
    const t = m[0];
    const d = seen.length - 1;
    if (t === '{' || t === '[') {
      if (d >= 0 && seen[d] === null) path[d] = null;
      path.length = d + 1;
      seen.push(t === '{' ? new Set() : null);
      continue;
    }
    if (t === '}' || t === ']') {
      seen.pop();
      path.length = seen.length;
      continue;
    }
    let at = TOKEN.lastIndex;
    let c = text.charCodeAt(at);
    while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = text.charCodeAt(++at);
    const keys = seen[d];
    const chars = t.length - 2;
    path.length = d + 1;
    if (c === 0x3a && keys) {
      const key = keyText(t);
      path[d] = null;
      const where = pathOf(path.slice(0, d));
      if (chars > maxName)
        throw new ReceiptError(
          'INPUT_INVALID',
          `${source}: ${what} has a key of ${chars} characters${where ? ` in ${where}` : ''} (at most ${maxName}); is it the right file?`,
        );
      if (keys.has(key))
        throw new ReceiptError(
          'JSON_INVALID',
          `${source}: ${what} has the key ${shown(key)} twice in one object${where ? ` (${where})` : ''}; readers would disagree on its value — refused`,
        );
      keys.add(key);
      path[d] = key;
      continue;
    }
    if (!keys && d >= 0) path[d] = null;
    const field = keys ? path[d] : null;
    const limit = field != null && IDENTIFIER_FIELDS.has(field) ? maxName : maxString;
    if (chars > limit)
      throw new ReceiptError(
        'INPUT_INVALID',
        `${source}: ${what} field ${pathOf(path) || '(top level)'} holds a string of ${chars} characters (at most ${limit}); refused`,
      );
  }
}
