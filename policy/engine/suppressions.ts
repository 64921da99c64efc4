import { ReceiptError } from '../../core/errors';

/**
 * A waiver for one rule on matching addresses. All fields are required; unknown fields are refused.
 * `address` is an exact Terraform address or a pattern where `*` matches any run of characters.
 * `expires` is an ISO date (YYYY-MM-DD): the suppression applies through that day (UTC) and
 * is EXPIRED from the next day on, which fails the check.
 */
export interface Suppression {
  readonly rule: string;
  readonly address: string;
  /** Why it is acceptable; at least 10 characters. */
  readonly reason: string;
  readonly owner: string;
  readonly expires: string;
}

export interface SuppressionFile {
  readonly version: 1;
  readonly suppressions: readonly Suppression[];
}

const FIELDS = ['rule', 'address', 'reason', 'owner', 'expires'] as const;
export const MIN_REASON_LENGTH = 10;

/** Validate a suppressions document; throws INPUT_INVALID naming the file and field. */
export function parseSuppressions(doc: unknown, origin: string, knownRules: readonly string[]): SuppressionFile {
  const fail = (field: string, msg: string): never => {
    throw new ReceiptError('INPUT_INVALID', `${origin}: ${field} ${msg}`);
  };
  if (!doc || typeof doc !== 'object' || Array.isArray(doc))
    fail('(top level)', 'is not an object {"version": 1, "suppressions": [...]}');
  const d = doc as Record<string, unknown>;
  if (d.version !== 1) fail('version', `is ${JSON.stringify(d.version)}, expected 1`);
  if (!Array.isArray(d.suppressions)) fail('suppressions', 'is not an array');
  const out: Suppression[] = [];
  (d.suppressions as unknown[]).forEach((s, i) => {
    const at = `suppressions[${i}]`;
    if (!s || typeof s !== 'object' || Array.isArray(s)) fail(at, 'is not an object');
    const o = s as Record<string, unknown>;
    for (const k of Object.keys(o))
      if (!(FIELDS as readonly string[]).includes(k)) fail(`${at}.${k}`, `is not a known field (${FIELDS.join(', ')})`);
    for (const k of FIELDS)
      if (typeof o[k] !== 'string' || (o[k] as string).trim() === '') fail(`${at}.${k}`, 'is missing or empty');
    if (!knownRules.includes(o.rule as string)) fail(`${at}.rule`, `"${String(o.rule)}" is not a rule of the pack`);
    if ((o.reason as string).trim().length < MIN_REASON_LENGTH)
      fail(`${at}.reason`, `is shorter than ${MIN_REASON_LENGTH} characters; say why the risk is accepted`);
    if (
      !/^\d{4}-\d{2}-\d{2}$/.test(o.expires as string) ||
      Number.isNaN(Date.parse(`${o.expires as string}T00:00:00Z`))
    ) {
      fail(`${at}.expires`, `"${String(o.expires)}" is not an ISO date YYYY-MM-DD`);
    }
    out.push({
      rule: o.rule as string,
      address: o.address as string,
      reason: o.reason as string,
      owner: o.owner as string,
      expires: o.expires as string,
    });
  });
  return { version: 1, suppressions: out };
}

/** Expired when `now` is on or after the day after `expires` (UTC). */
export function isExpired(s: Suppression, now: Date): boolean {
  return now.getTime() >= Date.parse(`${s.expires}T00:00:00Z`) + 24 * 3600 * 1000;
}

export function addressMatches(pattern: string, address: string): boolean {
  if (!pattern.includes('*')) return pattern === address;
  const re = new RegExp(
    '^' +
      pattern
        .split('*')
        .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
        .join('.*') +
      '$',
  );
  return re.test(address);
}
