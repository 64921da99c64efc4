import { TIER_NAMES } from '../core/vocabulary';
import { constructPathOf, ConstructPaths } from '../receipts/render/construct-paths';
import { naturalCompare } from '../receipts/render/escape';
import { EntrySummary } from './entry-summary';
import { Evidence } from './evidence';
import { GateResult } from './promote';

/**
 * One commit's section of the evidence report (gates/report-html.ts): per tier, the gate into it
 * and its records, each with verdict, time, whole digest and signer, its plan's destructive and
 * exposure changes, and its statement pretty-printed in a block that wraps long lines.
 */

/** A record and its summary, computed once per report. */
export interface Row {
  readonly e: Evidence;
  readonly sum: Omit<EntrySummary, 'payloadType' | 'keyid'>;
}

/** Escape for an attribute value. */
export const attr = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** Escape for text content: quotes need none, so a statement's JSON stays half the size. */
export const text = (s: unknown): string => String(s).replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`);

/** `s` escaped, with a break opportunity (`<wbr>`, which adds no character to a copy) every `n` characters. */
const groupsOf = (s: string, n: number): string =>
  (s.match(new RegExp(`.{1,${n}}`, 'g')) ?? [s]).map(text).join('<wbr>');

/**
 * A digest shown whole, breakable only after `sha256:` and between groups of 16 hex digits,
 * never letter by letter.
 */
export function digestHtml(d: string): string {
  const i = d.indexOf(':');
  return `<code class="digest">${text(d.slice(0, i + 1))}<wbr>${groupsOf(d.slice(i + 1), 16)}</code>`;
}

/** A ledger root (base64 of a SHA-256 Merkle root), whole, breakable at its middle. */
export const rootHtml = (root: string): string => `<code class="root">${groupsOf(root, 22)}</code>`;

/** Free text (a gate's reason, a ledger problem): escaped, each `sha256:` digest in it breakable as digestHtml's. */
export const prose = (s: string): string =>
  text(s).replace(/sha256:([0-9a-f]{17,})/g, (_, hex: string) => `sha256:<wbr>${groupsOf(hex, 16)}`);

/** A commit SHA shown whole, breakable only at its middle. */
export function shaHtml(c: string): string {
  return `<code class="sha">${groupsOf(c, 20)}</code>`;
}

/** An address, path or name: escaped, breakable after `.` `/` `:` and before `[`, never inside a word. */
export function breakable(s: string): string {
  return text(s)
    .replace(/([./:])(?=.)/g, '$1<wbr>')
    .replace(/\[/g, '<wbr>[');
}

const GOOD = new Set(['pass', 'applied', 'none', 'approved', 'promoted', 'ok']);

export function verdictOf(sum: Row['sum']): { text: string; good: boolean } {
  const t = sum.verdict ?? (sum.kind === 'approval' ? 'approved' : sum.kind === 'promotion' ? 'promoted' : '—');
  return { text: t, good: GOOD.has(t) };
}

const DESTRUCTIVE = ['delete', 'replace', 'create-forget', 'forget'];

const nameOf = (paths: ConstructPaths | undefined, address: string): string => {
  const cp = constructPathOf(paths, address);
  return `<code>${breakable(address)}</code>${cp ? ` <span class="construct">(${breakable(cp)})</span>` : ''}`;
};

/** A plan's destructive changes, each with its construct path when known: what a reviewer checks first. */
function destructiveList(e: Evidence, paths: ConstructPaths | undefined): string {
  const changes = Array.isArray(e.predicate.changes)
    ? (e.predicate.changes as { address?: unknown; action?: unknown }[])
    : [];
  const bad = changes
    .filter((c) => typeof c.address === 'string' && DESTRUCTIVE.includes(String(c.action)))
    .sort((a, b) => naturalCompare(String(a.address), String(b.address)));
  if (!bad.length) return '';
  const items = bad.map((c) => `<li><b>${text(c.action)}</b> ${nameOf(paths, String(c.address))}</li>`);
  return `<details class="destructive"><summary class="bad">${bad.length} destructive change(s)</summary><ul>${items.join('')}</ul></details>`;
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/**
 * The plan's exposure changes (`predicate.exposure`: receipts/render/exposure.ts's ExposureChange,
 * facts before and after, never raw values), when the receipt records them. A malformed element
 * is skipped: the statement itself stays below for the auditor to read.
 */
function exposureTable(e: Evidence, paths: ConstructPaths | undefined): string {
  const raw = Array.isArray(e.predicate.exposure) ? (e.predicate.exposure as unknown[]) : [];
  const rows = raw
    .filter(
      (x): x is Record<string, unknown> =>
        typeof x === 'object' && x !== null && typeof (x as { address?: unknown }).address === 'string',
    )
    .sort((a, b) => naturalCompare(String(a.address), String(b.address)))
    .map((x) => {
      const facts = (v: unknown, cls: string) =>
        strings(v)
          .map((f) => `<li class="${cls}"><code>${text(f)}</code></li>`)
          .join('') || '<li class="none">—</li>';
      return `<tr><td>${nameOf(paths, String(x.address))}</td><td><ul class="facts">${facts(x.removed, 'bad')}</ul></td><td><ul class="facts">${facts(x.added, 'good')}</ul></td></tr>`;
    });
  if (!rows.length) return '';
  return `<details class="exposure" open><summary>${rows.length} exposure change(s)</summary>
<table class="exposure"><colgroup><col class="c-res"><col><col></colgroup><thead><tr><th>resource</th><th>before (removed)</th><th>after (added)</th></tr></thead><tbody>${rows.join('')}</tbody></table></details>`;
}

const KIND_ORDER = ['plan', 'approval', 'apply', 'drift', 'smoke', 'promotion', 'other'];

function statementOf(e: Evidence): string {
  return JSON.stringify(
    {
      _type: 'https://in-toto.io/Statement/v1',
      subject: e.subject,
      predicateType: e.predicateType,
      predicate: e.predicate,
    },
    null,
    2,
  );
}

function recordRows(rows: readonly Row[], paths: ConstructPaths | undefined): string {
  if (!rows.length) return '<p class="none">No trusted records for this tier and commit.</p>';
  const body = [...rows]
    .sort((a, b) => KIND_ORDER.indexOf(a.sum.kind) - KIND_ORDER.indexOf(b.sum.kind) || a.e.seq - b.e.seq)
    .map(({ e, sum }) => {
      const v = verdictOf(sum);
      const extra = sum.kind === 'plan' ? exposureTable(e, paths) + destructiveList(e, paths) : '';
      return `<tr data-kind="${attr(sum.kind)}" data-verdict="${attr(v.text)}" data-seq="${attr(e.seq)}">
<td class="seq">${text(e.seq)}</td><td class="kind">${text(sum.kind)}</td><td class="${v.good ? 'good' : 'bad'} verdict-cell">${text(v.text)}</td><td class="time">${text(sum.time ?? '—')}</td>
<td class="digest-cell">${digestHtml(e.digest)}</td><td class="signer"><code title="${attr(e.signer)}">${text(e.signer.slice(0, 16))}</code></td></tr>
<tr class="more"><td colspan="6">${extra}<details class="statement"><summary>statement of entry ${text(e.seq)}</summary><pre>${text(statementOf(e))}</pre></details></td></tr>`;
    });
  return `<table class="records"><colgroup><col class="c-seq"><col class="c-kind"><col class="c-verdict"><col class="c-time"><col class="c-digest"><col class="c-signer"></colgroup><thead><tr><th>seq</th><th>record</th><th>verdict</th><th>time</th><th>digest</th><th>signer key</th></tr></thead><tbody>
${body.join('\n')}
</tbody></table>`;
}

export function gateBlock(g: GateResult): string {
  const items = g.items
    .map(
      (i) =>
        `<li class="${i.ok ? 'good' : 'bad'}" data-ok="${i.ok}"><b>${i.ok ? '✔' : '✘'} ${text(i.requirement)}</b>: ${prose(i.detail)}</li>`,
    )
    .join('\n');
  return `<div class="gate ${g.allowed ? 'allowed' : 'blocked'}" data-to="${attr(g.to)}" data-allowed="${g.allowed}">
<h4>Gate: promote into ${text(g.to)}: <span class="verdict">${g.allowed ? 'ALLOWED' : 'BLOCKED'}</span></h4>
<ul>${items}</ul></div>`;
}

/** `c-<commit>`: the section's id, for the index's links. */
export const commitAnchor = (commit: string): string => `c-${commit}`;

/** One commit's section: dev, stage and prod one under another, each full width. */
export function commitSection(
  commit: string,
  rows: readonly Row[],
  gates: readonly GateResult[],
  constructPaths: ReadonlyMap<string, ConstructPaths> | undefined,
): string {
  const tiers = TIER_NAMES.map((env) => {
    const gate = gates.find((g) => g.to === env);
    const mine = rows.filter((r) => r.sum.env === env);
    return `<div class="tier" data-env="${attr(env)}"><h3>${text(env)}</h3>${gate ? gateBlock(gate) : ''}${recordRows(mine, constructPaths?.get(env))}</div>`;
  });
  return `<section class="commit" id="${attr(commitAnchor(commit))}" data-commit="${attr(commit)}"><h2>Commit ${shaHtml(commit)}</h2>
${tiers.join('\n')}</section>`;
}
