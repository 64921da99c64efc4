import { FindingLike, orderFindings, RULES_ANCHOR } from './findings';
import { ConstructPaths } from './construct-paths';
import { displayName } from './names';

/** Where a finding's construct is written in the source (repository-relative), if known. */
export type SourceOf = (f: FindingLike) => { readonly file: string; readonly line: number } | undefined;

/** What SARIF says of a rule: the pack's one-line compliant state and fix. */
export interface SarifRule {
  readonly id: string;
  readonly severity: string;
  readonly description: string;
  readonly remediation: string;
  readonly checkov?: readonly string[];
}

export interface SarifOptions {
  /** The judged file, relative to the repository root (a SARIF artifact URI). */
  readonly file: string;
  /** The judged file's text: each result's line is where its resource is defined in it. */
  readonly text: string;
  readonly rules: readonly SarifRule[];
  readonly bundleDigest: string;
  /** The tool's version. */
  readonly version: string;
  /** Each finding's construct in the source: its physical location. @default - the judged file */
  readonly sourceOf?: SourceOf;
  /** Construct paths of the synthesized stack (the logical location of each result). @default - addresses */
  readonly constructPaths?: ConstructPaths;
  /** Where docs/policy.md is on the web (each rule's helpUri). @default - no helpUri */
  readonly docsBase?: string;
  /** Environment judged: code scanning keeps one category per tier. @default - "synth" / "plan" only */
  readonly category?: string;
}

const LEVEL: Record<string, string> = { error: 'error', warning: 'warning' };

/**
 * Policy findings as SARIF 2.1.0 for GitHub code scanning: one rule per pack rule (its compliant
 * state, fix and docs), one result per finding located at the judged file and the line where its
 * resource is defined, with the construct path as the logical location. cdktf 0.21 records no
 * source stack trace in the synthesized JSON (`//.metadata.stackTrace` is unset unless the construct
 * was built with stack traces on), so the synthesized file is the physical location.
 */
export function toSarif(findings: readonly FindingLike[], o: SarifOptions): object {
  const help = o.docsBase ? `${o.docsBase.replace(/\/+$/, '')}/policy.md#${RULES_ANCHOR}` : undefined;
  const rules = [...o.rules].sort((a, b) => a.id.localeCompare(b.id));
  const index = new Map(rules.map((r, i) => [r.id, i]));
  const lines = resourceLines(o.text);
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'kfm-policy',
            semanticVersion: o.version,
            informationUri: help,
            rules: rules.map((r) => ({
              id: r.id,
              name: r.id,
              shortDescription: { text: r.description },
              fullDescription: { text: `${r.description} Fix: ${r.remediation}` },
              help: {
                text: `${r.description}\nFix: ${r.remediation}`,
                markdown: `${r.description}\n\n**Fix:** ${r.remediation}`,
              },
              ...(help ? { helpUri: help } : {}),
              defaultConfiguration: { level: LEVEL[r.severity] ?? 'warning' },
              properties: {
                tags: ['security', 'terraform', ...(r.checkov ?? [])],
                'security-severity': r.severity === 'error' ? '8.0' : '4.0',
              },
            })),
          },
        },
        automationDetails: { id: `kfm-policy/${o.category ?? 'check'}/` },
        properties: { bundleDigest: o.bundleDigest },
        results: orderFindings(findings).map((f) => ({
          ruleId: f.rule,
          ...(index.has(f.rule) ? { ruleIndex: index.get(f.rule) } : {}),
          level: LEVEL[f.severity] ?? 'warning',
          message: { text: sentence(displayName(o.constructPaths, f.address), f) },
          locations: [
            {
              physicalLocation: physical(o, lines, f),
              logicalLocations: [
                { fullyQualifiedName: displayName(o.constructPaths, f.address), kind: 'resource', name: f.address },
              ],
            },
          ],
          partialFingerprints: { 'kfmFinding/v1': `${f.rule}:${f.address}` },
        })),
      },
    ],
  };
}

/**
 * GitHub workflow commands, one a finding: `::error file=F,line=N,title=RULE::message`. Properties
 * and the message are escaped as the runner expects (`%`, CR, LF; `:` and `,` in properties).
 */
export function toGithubAnnotations(
  findings: readonly FindingLike[],
  o: Pick<SarifOptions, 'file' | 'text' | 'constructPaths' | 'sourceOf'>,
): string {
  const lines = resourceLines(o.text);
  const data = (s: string): string => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const prop = (s: string): string => data(s).replace(/:/g, '%3A').replace(/,/g, '%2C');
  return orderFindings(findings)
    .map((f) => {
      const cmd = f.severity === 'error' ? 'error' : 'warning';
      const name = displayName(o.constructPaths, f.address);
      const at = physical(o, lines, f);
      return `::${cmd} file=${prop(at.artifactLocation.uri)},line=${at.region.startLine},title=${prop(`kfm policy ${f.rule}`)}::${data(sentence(name, f))}\n`;
    })
    .join('');
}

/** Line numbers (1-based) of each `"NAME": {` key line, by name, in a pretty-printed JSON file. */
function resourceLines(text: string): Map<string, number> {
  const out = new Map<string, number>();
  text.split('\n').forEach((line, i) => {
    const m = /^\s*"([^"\\]+)": \{\s*$/.exec(line);
    if (m && !out.has(m[1]!)) out.set(m[1]!, i + 1);
    const a = /"address": "([^"\\]+)"/.exec(line);
    if (a && !out.has(a[1]!)) out.set(a[1]!, i + 1);
  });
  return out;
}

/** The line of an address (`type.name[key]`): its own `"address"` line, else its name's key line, else 1. */
function lineOf(lines: Map<string, number>, address: string): number {
  const base = /^(?:data\.)?[^.[\]]+\.([^.[\]]+)/.exec(address);
  return lines.get(address) ?? (base ? lines.get(base[1]!) : undefined) ?? 1;
}

/** "NAME: what is wrong. Fix: what to do." */
function sentence(name: string, f: FindingLike): string {
  const stop = (s: string): string => (/[.!?]$/.test(s.trim()) ? s.trim() : `${s.trim()}.`);
  return `${name}: ${stop(f.message)} Fix: ${stop(f.remediation)}`;
}

/** The construct's source file and line when known, else the judged file at the resource's line. */
function physical(
  o: Pick<SarifOptions, 'file' | 'sourceOf'>,
  lines: Map<string, number>,
  f: FindingLike,
): { artifactLocation: { uri: string }; region: { startLine: number } } {
  const src = o.sourceOf?.(f);
  if (src) return { artifactLocation: { uri: src.file }, region: { startLine: src.line } };
  return { artifactLocation: { uri: o.file }, region: { startLine: lineOf(lines, f.address) } };
}
