import { ConstructPaths } from './construct-paths';
import { groupDigits, mdCode, mdEscape } from './escape';
import { nameCell } from './names';

/** A policy finding as a plan receipt or `kfm policy check --json` records it. */
export interface FindingLike {
  readonly rule: string;
  readonly severity: string;
  readonly address: string;
  readonly message: string;
  readonly remediation: string;
}

/** GitHub's anchor of docs/policy.md's rule table ("Rules and coverage against checkov ..."). */
export const RULES_ANCHOR = 'rules-and-coverage-against-checkov-policyrulesidts-id--file-name';

/** Where a rule is documented: docs/policy.md's rule table, under `docsBase` (a blob URL of docs/). */
export function ruleDocLink(rule: string, docsBase?: string): string {
  const code = mdCode(rule);
  if (!docsBase) return code;
  const base = docsBase.replace(/\/+$/, '');
  return `[${code}](${encodeURI(`${base}/policy.md#${RULES_ANCHOR}`)})`;
}

const rank = (s: string): number => (s === 'error' ? 0 : s === 'warning' ? 1 : 2);

/** Findings in the order a reviewer fixes them: errors first, then by rule and resource. */
export function orderFindings<T extends FindingLike>(fs: readonly T[]): T[] {
  return [...fs].sort(
    (a, b) => rank(a.severity) - rank(b.severity) || a.rule.localeCompare(b.rule) || a.address.localeCompare(b.address),
  );
}

/** One finding as a list item: severity, rule (linked), resource, what is wrong, the fix. */
export function findingItem(f: FindingLike, paths: ConstructPaths | undefined, docsBase?: string): string {
  const sev = f.severity === 'error' ? '**error**' : mdEscape(f.severity);
  return (
    `- ${sev} ${ruleDocLink(f.rule, docsBase)} on ${nameCell(paths, f.address)}\n` +
    `  - what is wrong: ${mdEscape(f.message)}\n` +
    `  - fix: ${mdEscape(f.remediation)}\n`
  );
}

/** "3 errors, 1 warning" */
export function findingCounts(fs: readonly FindingLike[]): string {
  const errors = fs.filter((f) => f.severity === 'error').length;
  const other = fs.length - errors;
  return [
    errors ? `${groupDigits(errors)} error${errors === 1 ? '' : 's'}` : '',
    other ? `${groupDigits(other)} warning${other === 1 ? '' : 's'}` : '',
  ]
    .filter(Boolean)
    .join(', ');
}

/**
 * The findings block: a heading with counts, then as many findings as `budget` characters hold
 * (errors first; at least the heading and a line saying how many are not shown).
 */
export function findingsBlock(
  title: string,
  fs: readonly FindingLike[],
  paths: ConstructPaths | undefined,
  docsBase: string | undefined,
  budget = Infinity,
): string {
  const ordered = orderFindings(fs);
  const head = `\n#### ${title} (${findingCounts(ordered)})\n\n`;
  let text = head;
  let shown = 0;
  for (const f of ordered) {
    const item = findingItem(f, paths, docsBase);
    const rest = ordered.length - shown - 1;
    const reserve = rest > 0 ? 120 : 0;
    if (text.length + item.length + reserve > budget) break;
    text += item;
    shown++;
  }
  if (shown < ordered.length)
    text += `- … ${groupDigits(ordered.length - shown)} more finding(s) not shown here (errors are listed first); every one is in the policy report and the SARIF upload.\n`;
  return text;
}

/** A policy finding of a failed synth (cdktf's validation error), with the stack it came from. */
export interface SynthFinding extends FindingLike {
  readonly stack: string;
}

/**
 * The policy findings in a failed `cdktf synth` log. The policy aspect writes each error finding as
 * `[STACK] kfm policy RULE ADDRESS (CONSTRUCT PATH): MESSAGE (fix: REMEDIATION) [bundle DIGEST]` (cdktf's
 * "Validation failed" list). Only such lines are read: nothing else of the log reaches a comment.
 */
export function parseSynthFindings(log: string): SynthFinding[] {
  const out: SynthFinding[] = [];
  const seen = new Set<string>();
  // `[stack] kfm policy RULE ADDRESS (CONSTRUCT PATH): ...`; the path is absent from older logs.
  const re =
    /^\s*\[([^\]\s]+)\] kfm policy (\S+) (\S+)(?: \([^()]*\))?: (.*) \(fix: (.*)\) \[bundle (sha256:[0-9a-f]{64})\]\s*$/;
  for (const line of log.split(/\r?\n/)) {
    const m = re.exec(line);
    if (!m || seen.has(line.trim())) continue;
    seen.add(line.trim());
    out.push({ stack: m[1]!, rule: m[2]!, severity: 'error', address: m[3]!, message: m[4]!, remediation: m[5]! });
  }
  return out;
}
