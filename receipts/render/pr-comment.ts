import { VerifiedStatement } from '../../attest/statement';
import { predicateOf } from '../../attest/validate';
import type { PlanReceiptPredicate } from '../../attest/predicates';
import { ConstructPaths } from './construct-paths';
import { groupDigits, mdCode, mdEscape } from './escape';
import { FindingLike, findingCounts, findingsBlock, SynthFinding } from './findings';
import { DEFAULT_MAX_CHARS, renderMarkdown } from './markdown';
import type { ExposureChange } from './exposure';

/** The tiers, in the order a reviewer reads them: what reaches production first. */
export const COMMENT_ORDER = ['prod', 'stage', 'dev'] as const;
export type CommentEnv = (typeof COMMENT_ORDER)[number];

/** What one environment contributes to the PR comment. */
export interface CommentEnvInput {
  readonly env: CommentEnv;
  /** The verified plan receipt and the file it came from. @default - none: the plan job made none */
  readonly receipt?: { readonly statement: VerifiedStatement; readonly artifact: string };
  /** Why there is no receipt (one line, from us, never from the input). @default - "the plan job did not produce one" */
  readonly missing?: string;
  /** Construct paths of the env's synthesized stack. @default - addresses */
  readonly constructPaths?: ConstructPaths;
  /**
   * Exposure changes of the env's plan: the receipt's own `exposure` facts, or for a receipt written
   * before the field, those of its plan JSON. @default - the receipt's facts; "—" when not a plan receipt
   */
  readonly exposure?: readonly ExposureChange[];
  /** Policy findings of a failed synth of this env's stacks. @default - none */
  readonly synthFindings?: readonly SynthFinding[];
}

export interface CommentOptions {
  /** Longest comment, characters. @default - 65,536 (GitHub's limit) */
  readonly maxChars?: number;
  /** The commit the comment is about. */
  readonly commit?: string;
  /** This run (full renderings, artifacts, the SARIF upload). @default - no link */
  readonly runUrl?: string;
  /** docs/ on the web, for rule links. @default - rule ids without links */
  readonly docsBase?: string;
  /** First line (the sticky comment's marker). @default - none */
  readonly marker?: string;
}

interface Row {
  env: CommentEnv;
  add: string;
  change: string;
  destroy: string;
  policy: string;
  exposure: string;
}

/**
 * The one PR comment for all environments, within `maxChars`: a summary table across them at the
 * top (adds, changes, destroys, replacements, forgets, policy), then prod, stage and dev, each
 * with its findings first. Each environment gets a fair share of what is left after those before
 * it (what prod does not use goes to stage, then dev).
 */
export function renderPrComment(inputs: readonly CommentEnvInput[], o: CommentOptions = {}): string {
  const maxChars = o.maxChars ?? DEFAULT_MAX_CHARS;
  const byEnv = new Map(inputs.map((i) => [i.env, i]));
  const ordered = COMMENT_ORDER.map((env) => byEnv.get(env) ?? { env });
  const head = [
    ...(o.marker ? [o.marker] : []),
    `## kfm plan receipts${o.commit ? ` for ${mdCode(o.commit.slice(0, 12))}` : ''}`,
    '',
    summaryTable(ordered.map(summaryRow)),
    '',
    `Signed review receipts (ephemeral key, not gate evidence)${o.runUrl ? `; full renderings, artifacts and the policy SARIF in [this run](${encodeURI(o.runUrl)})` : ''}. Prod first.`,
  ].join('\n');
  let out = head + '\n';
  ordered.forEach((e, i) => {
    const left = ordered.length - i;
    const budget = Math.floor((maxChars - out.length - 2 * left) / left);
    out += '\n' + envSection(e, Math.max(200, budget), o).trim() + '\n';
  });
  return out.length <= maxChars ? out : out.slice(0, maxChars);
}

function summaryRow(e: CommentEnvInput): Row {
  const plan = e.receipt ? predicateOf(e.receipt.statement, 'plan') : undefined;
  const synth = e.synthFindings ?? [];
  if (!plan) {
    const policy = synth.length ? `**fail at synth**: ${findingCounts(synth)}` : '—';
    return { env: e.env, add: '—', change: '—', destroy: e.receipt ? 'not a plan' : 'no plan', policy, exposure: '—' };
  }
  const s = plan.summary;
  const destroy = [
    s.remove ? `**${groupDigits(s.remove)}**` : '0',
    s.replace ? `${groupDigits(s.replace)} replace` : '',
    s.forget ? `${groupDigits(s.forget)} forget` : '',
  ]
    .filter(Boolean)
    .join(' · ');
  const facts = e.exposure ?? plan.exposure ?? [];
  const exposure = facts.length ? `**${groupDigits(facts.length)}**` : '0';
  return {
    env: e.env,
    add: groupDigits(s.add),
    change: groupDigits(s.change),
    destroy,
    policy: policyCell(plan),
    exposure,
  };
}

function policyCell(plan: PlanReceiptPredicate): string {
  const pol = plan.policy;
  if (!pol) return 'not run';
  const fs = pol.findings as FindingLike[];
  if (pol.verdict === 'pass') return fs.length ? `pass (${findingCounts(fs)})` : 'pass';
  return `**fail**: ${findingCounts(fs) || 'no finding recorded'}`;
}

function summaryTable(rows: readonly Row[]): string {
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(['Environment', 'Add', 'Change', 'Destroy', 'Policy', 'Exposure changes']),
    line(['---', '---:', '---:', '---', '---', '---:']),
    ...rows.map((r) => line([`**${r.env}**`, r.add, r.change, r.destroy, r.policy, r.exposure])),
  ].join('\n');
}

/** One environment: its rendered receipt, or why there is none and the synth-time findings. */
function envSection(e: CommentEnvInput, budget: number, o: CommentOptions): string {
  const synth = e.synthFindings ?? [];
  if (e.receipt && predicateOf(e.receipt.statement, 'plan')) {
    return renderMarkdown(e.receipt.statement, e.receipt.artifact, {
      maxChars: budget,
      constructPaths: e.constructPaths,
      fullLink: o.runUrl,
      docsBase: o.docsBase,
      exposure: e.exposure,
    });
  }
  const why = e.missing ?? `the ${mdCode(`plan (${e.env})`)} job did not produce one`;
  if (!synth.length)
    return `### ${mdCode(e.env)}\n\nNo plan receipt: ${why}.${o.runUrl ? ` See the [run log](${encodeURI(o.runUrl)}).` : ''}\n`;
  const stacks = [...new Set(synth.map((f) => f.stack))].map(mdCode).join(', ');
  const intro = `### ${mdCode(e.env)}\n\nNo plan: ${mdEscape('cdktf synth')} failed the policy pack on stack ${stacks}, so nothing was planned.\n`;
  return (
    intro + findingsBlock('❌ Policy findings at synth', synth, e.constructPaths, o.docsBase, budget - intro.length)
  );
}

/** The tier of a stack name (`prod`, `k8s-prod`), or undefined (`audit`). */
export function tierOfStack(stack: string): CommentEnv | undefined {
  const m = /(?:^|-)(dev|stage|prod)$/.exec(stack);
  return m ? (m[1] as CommentEnv) : undefined;
}
