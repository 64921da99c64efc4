/**
 * Escaping for everything a receipt puts into GitHub markdown or HTML. Addresses (for_each keys
 * included), module paths, reasons and construct paths are recorded as Terraform and cdktf print
 * them, so any of them can hold `|`, backticks, `<script>`, `[x](http://…)`, `@someone` or a
 * newline. Nothing but letters, digits, space and `. , : / = -` passes through as itself (not
 * `:` before `/`, nor `.` after `www`: GitHub would autolink those):
 * - every other printable character becomes a numeric character reference (`|` → `&#124;`), which
 *   neither splits a table row (GFM splits on a literal `|` before it reads references), nor opens
 *   a tag, link, emphasis or code fence;
 * - control and format characters (newlines, bidi overrides, zero-width joiners) become visible
 *   text (`U+202E`), so they can neither end a row nor reorder what the reader sees;
 * - `mdCode` wraps the result in `<code>`, where GitHub resolves no @mention, #reference or emoji.
 */
const PLAIN = /^[A-Za-z0-9 .,:/=-]$/;
const INVISIBLE = /^[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]$/u;

export function mdEscape(s: string): string {
  let out = '';
  const chars = [...s];
  for (let i = 0; i < chars.length; i++) {
    const ch = chars[i]!;
    // GitHub's extended autolinks start at `scheme://` and `www.`; `@` (e-mail) is never plain.
    const autolink =
      (ch === ':' && chars[i + 1] === '/') ||
      (ch === '.' &&
        chars
          .slice(Math.max(0, i - 3), i)
          .join('')
          .toLowerCase() === 'www');
    if (PLAIN.test(ch) && !autolink) out += ch;
    else if (INVISIBLE.test(ch)) out += `U&#43;${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`;
    else out += `&#${ch.codePointAt(0)!};`;
  }
  return out;
}

/** An untrusted value as inline code: escaped, inside `<code>` (inert in tables, HTML and text). */
export function mdCode(s: string): string {
  return `<code>${mdEscape(s)}</code>`;
}

/** HTML text or attribute value (the HTML report): the five characters that matter, plus controls. */
export function htmlEscape(s: string): string {
  return s
    .replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, (c) =>
      c === '\n' ? '\n' : `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`,
    );
}

/** 10000 → "10,000": fixed grouping, independent of the locale. */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Natural order of addresses: digit runs compare as numbers (`b101` before `b1000`, `[9]` before
 * `[10]`), everything else by code unit; equal keys fall back to plain order, so it is total.
 */
export function naturalCompare(a: string, b: string): number {
  const ra = a.match(/\d+|\D+/g) ?? [];
  const rb = b.match(/\d+|\D+/g) ?? [];
  for (let i = 0; i < Math.min(ra.length, rb.length); i++) {
    const x = ra[i]!;
    const y = rb[i]!;
    if (x === y) continue;
    const dx = x.charCodeAt(0) >= 48 && x.charCodeAt(0) <= 57;
    const dy = y.charCodeAt(0) >= 48 && y.charCodeAt(0) <= 57;
    if (dx && dy) {
      const nx = x.replace(/^0+(?=\d)/, '');
      const ny = y.replace(/^0+(?=\d)/, '');
      if (nx.length !== ny.length) return nx.length - ny.length;
      if (nx !== ny) return nx < ny ? -1 : 1;
      continue;
    }
    return x < y ? -1 : 1;
  }
  if (ra.length !== rb.length) return ra.length - rb.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
