import { VerifiedStatement } from '../../attest/statement';
import type { ApplyReceiptPredicate, DriftReceiptPredicate, PlanReceiptPredicate } from '../../attest/predicates';
import { predicateOf } from '../../attest/validate';
import { PREDICATE_TYPES } from '../../attest/predicate-types';
import { ConstructPaths } from './construct-paths';
import { groupDigits, mdCode, mdEscape, naturalCompare } from './escape';
import { FindingLike, findingsBlock } from './findings';
import { nameCell } from './names';
import { ExposureChange, exposureBlock } from './exposure';
import { destructiveSections } from './destroys';
import { KeylessSigner, signerLines } from './signer';
import { byAddress, Change, Section, countsTable, groupKey, notesCell, pathsCell, table, where } from './cells';

/** GitHub's comment limit: the default for `--max-chars`. */
export const DEFAULT_MAX_CHARS = 65536;

export interface MarkdownOptions {
  /**
   * Longest output, in characters.
   * @default - 65,536 (GitHub's comment limit)
   */
  readonly maxChars?: number;
  /**
   * Where the full rendering is (the job summary or an artifact), linked when this one is folded.
   * @default - no link; the signed receipt is named
   */
  readonly fullLink?: string;
  /**
   * Where the HTML evidence report is, linked in the footer.
   * @default - no link
   */
  readonly reportLink?: string;
  /**
   * Construct paths from the synthesized stack: each resource is named by its construct path.
   * @default - addresses without cdktf's hash suffix
   */
  readonly constructPaths?: ConstructPaths;
  /**
   * Where the repository's docs/ folder is on the web (`https://github.com/O/R/blob/SHA/docs`):
   * each finding's rule links its documentation in docs/policy.md.
   * @default - rule ids without links
   */
  readonly docsBase?: string;
  /**
   * The plan's exposure changes, shown after the findings.
   * @default - the receipt's own `exposure` facts (none: no section)
   */
  readonly exposure?: readonly ExposureChange[];
  /**
   * The keyless signer (a Sigstore identity trusted for this record): shown in place of the key id.
   * @default - a keyed record: its key id
   */
  readonly signer?: KeylessSigner;
}

type Obj = Record<string, unknown>;

/**
 * Render a verified receipt for a reviewer, never longer than `maxChars`: the summary, then every
 * destructive change in full (destroy, replace with Terraform's reason and paths, forget), then
 * updates with their changed attribute paths (never values), then creates and reads grouped by
 * module and resource type in collapsible `<details>`, addresses in natural order. When it does
 * not fit, the largest non-destructive sections fold to counts per type and the output links the
 * full rendering. Every value from the receipt is escaped (escape.ts).
 */
export function renderMarkdown(v: VerifiedStatement, artifact: string, opts: number | MarkdownOptions = {}): string {
  const o: MarkdownOptions = typeof opts === 'number' ? { maxChars: opts } : opts;
  const maxChars = o.maxChars ?? DEFAULT_MAX_CHARS;
  const head = commonHead(v, o.signer);
  const sections: Section[] = [];
  const plan = predicateOf(v, 'plan');
  const apply = predicateOf(v, 'apply');
  const drift = predicateOf(v, 'drift');
  let total = 0;
  if (plan) total = planPart(plan, head, sections, o);
  else if (apply) total = applyPart(apply, head, sections, o.constructPaths);
  else if (drift) total = driftPart(drift, head, sections, o.constructPaths);
  else head.push('', `Predicate type ${mdCode(v.predicateType)}.`);
  return fit(head, sections, total, artifact, v.envelopeDigest, maxChars, o);
}

/** Title, commit, actor and receipt lines: every predicate type (unknown ones too) gets them. */
function commonHead(v: VerifiedStatement, signer?: KeylessSigner): string[] {
  const p = v.predicate as Obj;
  const repo = (p.repo ?? {}) as Obj;
  const actor = (p.actor ?? {}) as Obj;
  const paren = (x: unknown): string => (x === undefined || x === null ? '' : ` (${mdEscape(String(x))})`);
  const head = [
    `### ${kindTitle(v.predicateType)} — ${mdCode(String(p.env))}`,
    '',
    `- Commit: ${repo.commit ? mdCode(String(repo.commit)) : '_unknown_'}${repo.branch ? ` on ${mdCode(String(repo.branch))}` : ''}${paren(repo.source)}`,
  ];
  if (p.actor !== undefined)
    head.push(`- Actor: ${actor.principal ? mdCode(String(actor.principal)) : '_unknown_'}${paren(actor.method)}`);
  if (v.predicateType === PREDICATE_TYPES.approval) head.push(...approvalLines(p));
  if (signer) head.push(...signerLines(v.envelopeDigest, p.kind, signer));
  else
    head.push(
      `- Receipt: ${mdCode(v.envelopeDigest)} (${mdEscape(String(p.kind))}, verified with key ${mdCode(v.key.keyid.slice(0, 16))}…)`,
    );
  return head;
}

/** An approval: who approved which plan receipt, under which change record, when. */
function approvalLines(p: Obj): string[] {
  const plan = (p.plan_receipt ?? {}) as Obj;
  const at = ((p.timestamps ?? {}) as Obj).approved;
  return [
    `- Approver: ${p.principal ? mdCode(String(p.principal)) : '_unknown_'} (${mdEscape(String(p.decision ?? 'no decision'))}${at ? ` at ${mdCode(String(at))}` : ''})`,
    `- Change record: ${p.change_record ? mdCode(String(p.change_record)) : '_none_'}`,
    `- Plan receipt approved: ${plan.digest ? mdCode(String(plan.digest)) : '_unknown_'}${plan.commit ? ` for commit ${mdCode(String(plan.commit))}` : ''}`,
  ];
}

const num = (x: unknown): string => mdEscape(groupDigits(Number(x ?? 0)));

/** A plan receipt's summary and policy lines, then its changes and drift; returns how many records. */
function planPart(p: PlanReceiptPredicate, head: string[], sections: Section[], o: MarkdownOptions): number {
  const paths = o.constructPaths;
  const s = p.summary;
  head.push('');
  head.push(
    `**Plan: ${num(s.add)} to add, ${num(s.change)} to change, ${num(s.remove)} to destroy.**` +
      (s.import ? ` ${num(s.import)} to import.` : '') +
      (s.forget ? ` ${num(s.forget)} to forget.` : ''),
  );
  head.push(
    `Replace ${num(s.replace)} · move ${num(s.move)} · read ${num(s.read)} · no-op ${num(s.noop)}${s.errored ? ' · **plan errored**' : ''}`,
  );
  const pol = p.policy;
  if (pol)
    head.push(
      '',
      `Policy: **${mdEscape(String(pol.verdict))}** (${pol.findings.length} finding(s), bundle ${mdCode(String(pol.bundle_digest).slice(0, 23))}…)`,
    );
  const findings = (pol?.findings ?? []) as FindingLike[];
  if (pol && findings.length) {
    const title = pol.verdict === 'fail' ? '❌ Policy findings' : 'Policy findings';
    sections.push({
      full: findingsBlock(title, findings, paths, o.docsBase),
      changes: 0,
      shrink: (budget) => ({ text: findingsBlock(title, findings, paths, o.docsBase, budget), notShown: 0 }),
    });
  }
  // The receipt's own facts (policy/engine/exposure.ts at receipt time) unless the caller gave them.
  const exposure = o.exposure ?? p.exposure ?? [];
  const changes = p.changes as Change[];
  const deleted = new Set(changes.filter((c) => c.action === 'delete').map((c) => c.address));
  if (exposure.length)
    sections.push({
      full: exposureBlock(exposure, paths, Infinity, deleted),
      changes: 0,
      shrink: (budget) => ({ text: exposureBlock(exposure, paths, budget, deleted), notShown: 0 }),
    });
  const drift = p.drift as Change[];
  changeSections(changes, sections, paths);
  if (drift.length) sections.push(driftSection(drift, paths));
  return changes.length + drift.length;
}

/** An apply receipt's status line and plan receipt, then what became of each change. */
function applyPart(p: ApplyReceiptPredicate, head: string[], sections: Section[], paths?: ConstructPaths): number {
  const s = p.summary;
  head.push('');
  head.push(
    `**Apply ${mdEscape(String(s.status))}: ${num(s.add)} added, ${num(s.change)} changed, ${num(s.remove)} destroyed.** ${s.errored.length} errored, ${s.not_applied.length} not applied.`,
  );
  head.push(`Plan receipt: ${mdCode(String(p.plan_receipt.digest))}`);
  const changes = p.changes as ApplyChange[];
  applySections(changes, sections, paths);
  return changes.length;
}

/** A drift receipt's counts and last good commit, then the drifted resources. */
function driftPart(p: DriftReceiptPredicate, head: string[], sections: Section[], paths?: ConstructPaths): number {
  const s = p.summary;
  head.push('');
  head.push(
    `**Drift: ${num(s.drifted)} resource(s) changed outside Terraform** (update ${num(s.update)}, delete ${num(s.delete)}, create ${num(s.create)}, move ${num(s.move)}); failing checks ${num(s.checks_failed)}.`,
  );
  if (p.last_good) head.push(`Last known good commit: ${mdCode(String(p.last_good))}`);
  const drift = p.drift as Change[];
  changeSections(drift, sections, paths);
  return drift.length;
}

function kindTitle(t: string): string {
  if (t === PREDICATE_TYPES.plan) return 'Terraform plan receipt';
  if (t === PREDICATE_TYPES.apply) return 'Terraform apply receipt';
  if (t === PREDICATE_TYPES.drift) return 'Terraform drift receipt';
  if (t === PREDICATE_TYPES.approval) return 'Approval';
  return 'Receipt';
}

function changeSections(changes: readonly Change[], out: Section[], paths: ConstructPaths | undefined): void {
  const by = (actions: string[]): Change[] => changes.filter((c) => actions.includes(c.action)).sort(byAddress);
  out.push(...destructiveSections(changes, paths));
  for (const [actions, title] of [
    [['update'], 'Update in place'],
    [['no-op'], 'Import or move only'],
  ] as const) {
    const g = by([...actions]);
    if (!g.length) continue;
    const rows = g.map((c) => [nameCell(paths, c.address), mdCode(groupKey(c).type), pathsCell(c), notesCell(c)]);
    const h = `\n#### ${title} (${groupDigits(g.length)})\n\n`;
    out.push({
      full: h + table(['Resource', 'Type', 'Changed paths', 'Notes'], rows) + '\n',
      folded: h + countsTable(g) + '\n',
      changes: g.length,
    });
  }
  for (const [action, title] of [
    ['create', 'Create'],
    ['read', 'Read (data sources)'],
  ] as const) {
    const g = by([action]);
    if (!g.length) continue;
    const groups = new Map<string, { module: string; type: string; items: Change[] }>();
    for (const c of g) {
      const k = groupKey(c);
      const id = `${k.module}\u0000${k.type}`;
      const e = groups.get(id) ?? { ...k, items: [] };
      e.items.push(c);
      groups.set(id, e);
    }
    const ordered = [...groups.values()].sort(
      (a, b) => naturalCompare(a.module, b.module) || naturalCompare(a.type, b.type),
    );
    const h = `\n#### ${title} (${groupDigits(g.length)})\n`;
    const blocks = ordered.map((e) => {
      const rows = e.items.map((c) => [nameCell(paths, c.address), notesCell(c)]);
      return `\n<details><summary>${mdCode(e.type)} × ${groupDigits(e.items.length)} ${where(e.module)}</summary>\n\n${table(['Resource', 'Notes'], rows)}\n\n</details>\n`;
    });
    out.push({ full: h + blocks.join(''), folded: h + '\n' + countsTable(g) + '\n', changes: g.length });
  }
}

function driftSection(drift: readonly Change[], paths: ConstructPaths | undefined): Section {
  const rows = [...drift]
    .sort(byAddress)
    .map((d) => [nameCell(paths, d.address), mdCode(groupKey(d).type), mdEscape(d.action), pathsCell(d)]);
  const h = `\n#### Drift detected outside Terraform (${groupDigits(drift.length)})\n\n`;
  return {
    full: h + table(['Resource', 'Type', 'Action', 'Changed paths'], rows) + '\n',
    folded: h + countsTable(drift) + '\n',
    changes: drift.length,
  };
}

interface ApplyChange {
  address: string;
  planned: string | null;
  completed: string[];
  status: string;
}

/** Apply: what did not go as planned first and in full, then what was applied. */
function applySections(changes: readonly ApplyChange[], out: Section[], paths: ConstructPaths | undefined): void {
  const row = (c: ApplyChange): string[] => [
    nameCell(paths, c.address),
    c.planned ? mdEscape(c.planned) : '_not in plan_',
    mdEscape(c.completed.join(', ')),
    c.status === 'applied' ? mdEscape(c.status) : `**${mdEscape(c.status)}**`,
  ];
  const headers = ['Resource', 'Planned', 'Completed', 'Status'];
  const bad = changes.filter((c) => c.status !== 'applied').sort(byAddress);
  const good = changes.filter((c) => c.status === 'applied').sort(byAddress);
  if (bad.length)
    out.push({
      full: `\n#### ⚠️ Not applied as planned (${groupDigits(bad.length)})\n\n${table(headers, bad.map(row))}\n`,
      changes: bad.length,
    });
  if (good.length) {
    const h = `\n#### Applied (${groupDigits(good.length)})\n\n`;
    out.push({
      full: h + table(headers, good.map(row)) + '\n',
      folded: h + countsTable(good.map((c) => ({ address: c.address, action: c.planned ?? '' }))) + '\n',
      changes: good.length,
    });
  }
}

/**
 * The header always; destructive sections always, in full; then the other sections in full while
 * the whole fits, folding the largest first to counts per type. Only when even that does not fit
 * (a header or a destructive list beyond the limit) is the text cut, saying so.
 */
function fit(
  head: string[],
  sections: Section[],
  total: number,
  artifact: string,
  digest: string,
  maxChars: number,
  o: MarkdownOptions,
): string {
  const links: string[] = [];
  if (o.fullLink) links.push(`[full rendering](${linkTarget(o.fullLink)})`);
  if (o.reportLink) links.push(`[evidence report](${linkTarget(o.reportLink)})`);
  const footer =
    `\n---\nFull signed receipt: ${mdCode(artifact)} (${mdCode(digest)}); verify with <code>kfm receipt verify</code>.` +
    (links.length ? ` ${links.join(' · ')}.` : '') +
    '\n';
  const folded = new Set<number>();
  const shrunk = new Map<number, { text: string; notShown: number }>();
  const render = (): { text: string; notShown: number } => {
    let text = head.join('\n') + '\n';
    let notShown = 0;
    sections.forEach((s, i) => {
      const cut = shrunk.get(i);
      if (cut) {
        text += cut.text;
        notShown += cut.notShown;
      } else if (folded.has(i)) {
        text += s.folded!;
        notShown += s.changes;
      } else text += s.full;
    });
    if (notShown > 0)
      text += `\n> **${groupDigits(notShown)} of ${groupDigits(total)} change(s) not shown** one by one here (limit ${groupDigits(maxChars)} characters): they are counted per type above. Every replacement and forget is listed; destroys are counted by type and reason.${o.fullLink ? ` All of them: [full rendering](${linkTarget(o.fullLink)}).` : ' All of them are in the signed receipt below.'}\n`;
    return { text: text + footer, notShown };
  };
  let r = render();
  const foldable = sections
    .map((s, i) => ({ i, len: s.full.length - (s.folded?.length ?? s.full.length) }))
    .filter((x) => sections[x.i]!.folded !== undefined)
    .sort((a, b) => b.len - a.len || a.i - b.i);
  for (const f of foldable) {
    if (r.text.length <= maxChars) break;
    folded.add(f.i);
    r = render();
  }
  // Then cut row lists (the last first: destroys before findings) to what still fits.
  for (let i = sections.length - 1; i >= 0 && r.text.length > maxChars; i--) {
    const s = sections[i]!;
    if (!s.shrink || folded.has(i)) continue;
    const over = r.text.length - maxChars + 200; // room for the "not shown" line
    shrunk.set(i, s.shrink(Math.max(0, s.full.length - over)));
    r = render();
  }
  if (r.text.length <= maxChars) return r.text;
  // Pathological (a tiny --max-chars, or more destructive changes than a comment holds): hard cut
  // at a line boundary, still naming the artifact.
  const tail = `\n\n> **Cut at ${groupDigits(maxChars)} characters**: not everything is shown, destructive changes included. Full signed receipt ${mdCode(artifact)}${o.fullLink ? `; [full rendering](${linkTarget(o.fullLink)})` : ''}.\n`;
  let cut = r.text.slice(0, Math.max(0, maxChars - tail.length));
  const nl = cut.lastIndexOf('\n');
  if (nl > 0) cut = cut.slice(0, nl);
  const open = (cut.match(/<details>/g) ?? []).length - (cut.match(/<\/details>/g) ?? []).length;
  const close = open > 0 ? '\n\n</details>' : '';
  cut = cut.slice(0, Math.max(0, maxChars - tail.length - close.length));
  return (cut + close + tail).slice(0, maxChars);
}

/** A link target the caller gave (a run URL): percent-encode what could end the link or open markup. */
function linkTarget(url: string): string {
  return encodeURI(url).replace(/[()<>[\]'"*_`|\\]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}
