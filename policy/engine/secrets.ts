/**
 * Credential shapes, searched in configuration constants and known planned values. Only the KIND
 * of a match is ever reported; the matched text never leaves this file.
 */
const SHAPES: ReadonlyArray<readonly [string, RegExp]> = [
  ['an AWS access key id', /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/],
  ['a private key', /-----BEGIN [A-Z ]*PRIVATE KEY-----/],
  ['a GitHub token', /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})\b/],
  ['a Slack token', /\bxox[abposr]-[A-Za-z0-9-]{10,}/],
  ['a Slack webhook', /hooks\.slack\.com\/services\/T[A-Za-z0-9]+\/B[A-Za-z0-9]+\/[A-Za-z0-9]+/],
  ['an AWS secret access key', /aws_?secret_?access_?key["']?\s*[:=]\s*["']?[A-Za-z0-9/+=]{40}\b/i],
  // scheme://user:password@host; a `${...}` in the password place is a reference, not a password.
  ['a password in a connection string', /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:(?!\$\{)[^\s/@]{4,}@[^\s/@]/i],
];

/** `name = value` / `name: value` where the name says secret; the value is judged by entropy. */
const ASSIGNMENT =
  /(?:pass(?:word|wd|phrase)?|secret(?:_?key)?|token|api[_-]?key|access[_-]?key|private[_-]?key|auth[_-]?token)["']?\s*[:=]\s*["']?([A-Za-z0-9+/=_\-!@#$%^&*.~]{12,})/gi;

/**
 * Every shape and every assignment name above holds one of these words, so a text without any of
 * them holds no credential: one test instead of seven for almost every planned value.
 */
const ANY_WORD =
  /AKIA|ASIA|PRIVATE KEY|gh[pousr]_|github_pat_|xox[abposr]-|hooks\.slack\.com|pass|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|:\/\/[^\s/@]+:[^\s/@]+@/i;

/**
 * No shape or assignment above matches fewer characters: a Slack token is `xox?-` and 10 more;
 * an assignment is a 4-letter name, `=` and 12 characters (17); AWS key ids are 20.
 */
const SHORTEST_MATCH = 15;

/** Shannon entropy in bits per character. */
export function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const c of s) counts.set(c, (counts.get(c) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) {
    const p = n / s.length;
    h -= p * Math.log2(p);
  }
  return h;
}

/** Generic assignments need this much entropy: placeholders and words stay below it. */
export const MIN_ENTROPY = 3.5;

/**
 * A search for credential shapes, given one text at a time (a walk over planned values gives each
 * string as it finds it, without listing them). `kinds` names what was found, never the text.
 */
export class CredentialScan {
  /** The kinds of credential found so far. */
  readonly kinds = new Set<string>();
  #seen?: Set<string>;

  add(s: string): void {
    // A text shorter than the shortest match (a Slack token, 15) or without any word of a shape
    // holds none: almost every planned value. Each other text is searched once.
    if (s.length < SHORTEST_MATCH || !ANY_WORD.test(s)) return;
    if (this.#seen?.has(s)) return;
    (this.#seen ??= new Set()).add(s);
    for (const [kind, re] of SHAPES) if (re.test(s)) this.kinds.add(kind);
    for (const m of s.matchAll(ASSIGNMENT)) {
      const v = m[1];
      if (!v.includes('${') && entropy(v) >= MIN_ENTROPY) this.kinds.add('a high-entropy secret assignment');
    }
  }
}

/** The kinds of credential found in the strings (empty when none). Never returns the text. */
export function credentialKinds(strings: readonly string[]): string[] {
  const scan = new CredentialScan();
  for (const s of strings) scan.add(s);
  return [...scan.kinds].sort();
}

const SHARED_KINDS = new WeakMap<readonly string[], readonly string[]>();

/**
 * `credentialKinds` of a list many resources share (the configuration constants of every instance
 * of one module or count), scanned once per list.
 */
export function sharedCredentialKinds(strings: readonly string[]): readonly string[] {
  let kinds = SHARED_KINDS.get(strings);
  if (kinds === undefined) SHARED_KINDS.set(strings, (kinds = credentialKinds(strings)));
  return kinds;
}

/** An AWS key id of any kind (access, temporary, group, user, role), anywhere in the text. */
const AWS_KEY_ID = /(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{12,}/;

/**
 * Whether a short value MAY be a credential, for views that show values (the exposure facts): any
 * credential kind above, an AWS key id, or a run of 20+ base64-ish characters mixing upper case,
 * lower case and digits (the shape of a generated secret). Stricter than `credentialKinds`, which
 * names what it finds in configuration: a shown value must look like none.
 */
export function mayBeCredential(v: string): boolean {
  if (AWS_KEY_ID.test(v) || credentialKinds([v]).length > 0) return true;
  for (const run of v.match(/[A-Za-z0-9+/=]{20,}/g) ?? [])
    if (/[A-Z]/.test(run) && /[a-z]/.test(run) && /\d/.test(run)) return true;
  return false;
}

/** Names of environment variables that hold secrets by convention. */
export const SECRET_NAME = /(?:pass(?:word|wd)?|secret|token|api[_-]?key|private[_-]?key|credential|auth)/i;

/** Decode base64 when it is base64 of text; undefined otherwise. */
export function decodeBase64(s: string): string | undefined {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(s) || s.length < 8) return undefined;
  const text = Buffer.from(s, 'base64').toString('utf8');
  return /^[\x09\x0a\x0d\x20-\x7e\u00a0-\uffff]*$/.test(text) ? text : undefined;
}
