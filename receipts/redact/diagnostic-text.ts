/**
 * Terraform's error text, kept so a failed apply receipt says what went wrong, redacted as every
 * other value: nothing that could be a value passes. Kept are only words of letters (at most
 * MAX_WORD), numbers of at most three digits (status codes) and punctuation; replaced by `…` are
 * quoted text, anything after `Output:` (provisioner output), every token holding a digit
 * beside letters, a symbol inside it (`-`, `_`, `/`, `=`, `@`, `:`…) or too many letters, so
 * names, ids, ARNs, paths, key=value pairs and every credential shape (AKIA…, ghp_…, a PEM block,
 * password=…) go. What can pass: a secret that is a single word of at most MAX_WORD letters written
 * unquoted in an error message.
 */

/** Longest word kept (letters only); longer ones are replaced. */
export const MAX_WORD = 16;
/** Longest redacted text kept, in characters. */
export const MAX_TEXT = 400;

const ELLIPSIS = '…';
const WORD = new RegExp(`^[A-Za-z]{1,${MAX_WORD}}$`);
const SMALL_NUMBER = /^[0-9]{1,3}$/;
const LEADING = /^[([{<]+/;
const TRAILING = /[)\]}>.,:;!?]+$/;

/** One whitespace-separated token: kept when its core (without surrounding brackets and punctuation) is safe. */
function redactToken(token: string): string {
  const lead = LEADING.exec(token)?.[0] ?? '';
  const rest = token.slice(lead.length);
  const trail = TRAILING.exec(rest)?.[0] ?? '';
  const core = rest.slice(0, rest.length - trail.length);
  if (core === '' || WORD.test(core) || SMALL_NUMBER.test(core)) return token;
  return `${lead}${ELLIPSIS}${trail}`;
}

/** The redacted form of one diagnostic text (summary or detail). */
export function redactDiagnosticText(text: string): string {
  const cut = text.replace(/\bOutput:[\s\S]*$/, `Output: ${ELLIPSIS}`);
  const unquoted = cut.replace(/'[^']*'|"[^"]*"|`[^`]*`|'[^']*$|"[^"]*$/g, ELLIPSIS);
  const tokens = unquoted.split(/\s+/).filter((t) => t !== '');
  const out: string[] = [];
  for (const t of tokens) {
    const r = t === `Output:` || t === ELLIPSIS ? t : redactToken(t);
    // One ellipsis for a run of redacted tokens.
    if (r === ELLIPSIS && out[out.length - 1] === ELLIPSIS) continue;
    out.push(r);
  }
  const joined = out.join(' ');
  return joined.length <= MAX_TEXT ? joined : `${joined.slice(0, MAX_TEXT - 1)}${ELLIPSIS}`;
}
