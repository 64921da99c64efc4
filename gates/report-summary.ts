import { TIER_NAMES } from '../core/vocabulary';
import { GateResult } from './promote';
import { attr, breakable, prose, Row, rootHtml, shaHtml, text, verdictOf } from './report-commit';

/**
 * The top of the evidence report (gates/report-html.ts): what the ledger proves, what the gates
 * block and why (their own decisions, grouped), a glossary of the words the page uses, and an
 * index of commits linking to each commit's section or page.
 */

export interface LedgerReading {
  readonly ok: boolean;
  readonly size: number;
  readonly root: string;
  readonly problems: readonly string[];
  readonly checkpoints: readonly {
    readonly source: string;
    readonly size: number | null;
    readonly ok: boolean;
    readonly witnessed?: boolean;
    readonly cosigners?: readonly string[];
  }[];
}

/** What each word means here: short, for an auditor who has not read the design. */
export const GLOSSARY: readonly (readonly [string, string])[] = [
  [
    'receipt',
    'A signed statement of one step: a plan, an apply, a drift check, a smoke test, an approval. Signed with Ed25519 in a DSSE envelope around an in-toto statement; anyone with the public key can check it.',
  ],
  [
    'ledger',
    'The audit log: every receipt appended in order, each entry chained to the one before by its hash. Nothing is edited or removed.',
  ],
  [
    'root',
    'One SHA-256 digest that sums up every entry of the ledger (a Merkle tree root). Change, drop or reorder any entry and the root changes.',
  ],
  [
    'checkpoint',
    'A signed note of the ledger’s size and root at one moment, kept outside the ledger. A later ledger must still contain exactly what the checkpoint saw.',
  ],
  [
    'consistent',
    'The ledger read now extends the checkpoint: its first N entries are the very entries the checkpoint recorded (proved by a Merkle consistency proof). Not consistent means history was rewritten.',
  ],
  [
    'witness',
    'An independent party that checks each new checkpoint is consistent with the last one it saw, and says so by signing it.',
  ],
  [
    'cosignature',
    'A witness’s signature on a checkpoint. A cosigned checkpoint cannot be quietly replaced by whoever runs the ledger.',
  ],
  [
    'gate',
    'The rule that decides whether a commit may be promoted into a tier (dev → stage → prod), from the receipts alone: each requirement proved by a trusted record, or the promotion is blocked.',
  ],
  [
    'digest',
    'sha256:… of the exact bytes of a signed record: the name other records and approvals use to refer to it.',
  ],
];

/** The glossary section: each word's anchor (`#g-root`) is what the summary's terms link to. */
export function glossary(): string {
  const items = GLOSSARY.map(([t, d]) => `<dt id="g-${attr(t)}">${text(t)}</dt><dd>${text(d)}</dd>`).join('');
  return `<section class="glossary" id="glossary"><h2>Glossary</h2><dl>${items}</dl></section>`;
}

const term = (t: string, shown = t): string => `<a class="term" href="#g-${attr(t)}">${text(shown)}</a>`;

function witnessLine(all: number, witnessed: number, cosigners: readonly string[], unchecked: boolean): string {
  if (unchecked)
    return `<li class="muted">${term('witness', 'Witness')} ${term('cosignature', 'cosignatures')} not checked by this report (give <code>--witness NAME=PUB</code> to check them).</li>`;
  if (!witnessed)
    return `<li class="bad">None of the ${all} checkpoint(s) carries its quorum of ${term('witness')} ${term('cosignature', 'cosignatures')}.</li>`;
  return `<li class="good">${witnessed} checkpoint(s) ${term('witness', 'witnessed')} (${term('cosignature', 'cosigned')}) by ${text(cosigners.join(', '))}.</li>`;
}

function checkpointLines(l: LedgerReading): string {
  const cps = l.checkpoints;
  if (!cps.length)
    return `<li class="bad">No ${term('checkpoint', 'checkpoints')} given or stored: this reading is not anchored to any earlier one.</li>`;
  const bad = cps.filter((c) => !c.ok);
  const witnessed = cps.filter((c) => c.witnessed);
  const cosigners = [...new Set(witnessed.flatMap((c) => c.cosigners ?? []))].sort();
  const newest = [...cps].sort((a, b) => (b.size ?? 0) - (a.size ?? 0))[0]!;
  const list = cps
    .map(
      (c) =>
        `<li class="${c.ok ? 'good' : 'bad'}">${text(c.source)}: size ${text(c.size ?? '?')}, ${c.ok ? 'consistent' : 'NOT consistent'}${
          c.witnessed === undefined
            ? ''
            : c.witnessed
              ? `, witnessed by ${text((c.cosigners ?? []).join(', '))}`
              : ', NOT witnessed'
        }</li>`,
    )
    .join('');
  return `<li class="${bad.length ? 'bad' : 'good'}">${cps.length} ${term('checkpoint', 'checkpoint(s)')}, ${bad.length ? `${bad.length} NOT ${term('consistent')}` : `all ${term('consistent')}`} with this ledger; the newest at size ${text(newest.size ?? '?')}.</li>
${witnessLine(
  cps.length,
  witnessed.length,
  cosigners,
  cps.every((c) => c.witnessed === undefined),
)}
<li><details class="checkpoints"><summary>each checkpoint</summary><ul>${list}</ul></details></li>`;
}

/** Per tier: the newest commit applied there, and the newest one its gate allows (or a promotion record names). */
function tierTable(
  rows: readonly Row[],
  gates: ReadonlyMap<string, readonly GateResult[]>,
  commits: readonly string[],
): string {
  const newest = (env: string, kind: string, good: (r: Row) => boolean) =>
    rows.filter((r) => r.sum.env === env && r.sum.kind === kind && good(r)).sort((a, b) => b.e.seq - a.e.seq)[0];
  const cell = (r: Row | undefined) =>
    r
      ? `${shaHtml(r.sum.commit ?? '?')}<br><span class="muted">entry ${text(r.e.seq)}${r.sum.time ? `, <span class="ts">${text(r.sum.time)}</span>` : ''}</span>`
      : '<span class="none">none</span>';
  const body = TIER_NAMES.map((env) => {
    const applied = newest(env, 'apply', (r) => verdictOf(r.sum).text === 'applied');
    const promoted = newest(env, 'promotion', () => true);
    const allowed = commits.find((c) => (gates.get(c) ?? []).some((g) => g.to === env && g.allowed));
    const gateCell =
      env === 'dev'
        ? '<span class="muted">no gate (first tier)</span>'
        : allowed
          ? shaHtml(allowed)
          : '<span class="bad">no commit</span>';
    return `<tr data-env="${attr(env)}"><th>${text(env)}</th><td>${cell(applied)}</td><td>${cell(promoted)}</td><td>${gateCell}</td></tr>`;
  });
  return `<table class="tiers"><colgroup><col class="c-tier"><col><col><col></colgroup><thead><tr><th>tier</th><th>newest commit applied</th><th>newest promotion record</th><th>newest commit the ${term('gate')} allows in</th></tr></thead><tbody>${body.join('')}</tbody></table>`;
}

/** The gates' decisions, grouped: per target, how many commits are allowed, and each failing requirement with its count and newest reason. */
function blocked(gates: ReadonlyMap<string, readonly GateResult[]>, commits: readonly string[]): string {
  if (!commits.length) return '<p class="none">No commit to judge.</p>';
  const parts = (['stage', 'prod'] as const).map((to) => {
    const results = commits
      .map((c) => (gates.get(c) ?? []).find((g) => g.to === to))
      .filter((g): g is GateResult => !!g);
    const allowed = results.filter((g) => g.allowed).length;
    const reasons = new Map<string, { count: number; detail: string; commit: string }>();
    for (const g of results)
      for (const i of g.items.filter((x) => !x.ok)) {
        const r = reasons.get(i.requirement);
        if (r) r.count++;
        else reasons.set(i.requirement, { count: 1, detail: i.detail, commit: g.commit });
      }
    const items = [...reasons.entries()]
      .sort((a, b) => b[1].count - a[1].count)
      .map(
        ([req, r]) =>
          `<li class="bad" data-requirement="${attr(req)}"><b>${text(req)}</b>: ${r.count} commit(s). Newest: <span class="detail">${prose(r.detail)}</span></li>`,
      )
      .join('');
    return `<div class="decision" data-to="${attr(to)}" data-allowed="${allowed}" data-blocked="${results.length - allowed}"><h3>Into ${text(to)}: <span class="${allowed ? 'good' : 'bad'}">${allowed} of ${results.length} commit(s) allowed</span></h3>${items ? `<ul>${items}</ul>` : ''}</div>`;
  });
  return parts.join('');
}

/** The summary at the top: what is proven, what is blocked and why. */
export function summarySection(
  l: LedgerReading,
  store: string,
  rows: readonly Row[],
  rejected: number,
  gates: ReadonlyMap<string, readonly GateResult[]>,
  commits: readonly string[],
): string {
  const kinds = new Map<string, number>();
  for (const r of rows) kinds.set(r.sum.kind, (kinds.get(r.sum.kind) ?? 0) + 1);
  const counts = [...kinds.entries()].map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
  const problems = l.problems.map((p) => `<li class="bad">${prose(p)}</li>`).join('');
  return `<section class="summary ledger" data-ok="${l.ok}"><h2>Summary: the ledger <span class="${l.ok ? 'good' : 'bad'} verdict">${l.ok ? 'verifies' : 'DOES NOT VERIFY'}</span></h2>
<div class="cols"><div><h3>What is proven</h3><ul class="proven">
<li class="${l.ok ? 'good' : 'bad'}"><code class="path">${breakable(store)}</code>: ${text(l.size)} entries${l.ok ? ', every signature and the hash chain check' : ''}. ${term('root', 'Root')}: ${l.root ? rootHtml(l.root) : '—'}</li>
${checkpointLines(l)}
<li>${rows.length} trusted record(s) in the ledger: ${text(counts)}; this report covers ${commits.length} commit(s)${rejected ? `; <span class="bad">${text(rejected)} entr${rejected === 1 ? 'y' : 'ies'} not counted as evidence (untrusted key or role)</span>` : ''}.</li>
${problems}</ul></div>
<div><h3>What is blocked, and why</h3>${blocked(gates, commits)}</div></div>
<h3>Where each tier stands</h3>${tierTable(rows, gates, commits)}</section>`;
}

/** The index: one row per commit, newest first, linking to its section or page. */
export function commitIndex(
  commits: readonly string[],
  byCommit: ReadonlyMap<string, readonly Row[]>,
  gates: ReadonlyMap<string, readonly GateResult[]>,
  link: (commit: string) => string,
): string {
  if (!commits.length) return '<p class="none">No trusted records in the ledger.</p>';
  const body = commits.map((c) => {
    const rows = byCommit.get(c) ?? [];
    const tiers = TIER_NAMES.map((env) => {
      const mine = rows.filter((r) => r.sum.env === env).sort((a, b) => a.e.seq - b.e.seq);
      const badges = mine
        .map((r) => {
          const v = verdictOf(r.sum);
          return `<span class="badge ${v.good ? 'good' : 'bad'}" title="entry ${attr(r.e.seq)}">${text(r.sum.kind)}: ${text(v.text)}</span>`;
        })
        .join(' ');
      return `<td>${badges || '<span class="none">—</span>'}</td>`;
    });
    const gate = (to: string) => {
      const g = (gates.get(c) ?? []).find((x) => x.to === to);
      return g ? `<td class="${g.allowed ? 'good' : 'bad'}">${g.allowed ? 'allowed' : 'blocked'}</td>` : '<td>—</td>';
    };
    const newest = rows.length ? String(Math.max(...rows.map((r) => r.e.seq))) : '—';
    return `<tr data-commit="${attr(c)}"><td><a href="${attr(link(c))}">${shaHtml(c)}</a></td><td class="seq">${newest}</td>${tiers.join('')}${gate('stage')}${gate('prod')}</tr>`;
  });
  return `<section class="index" id="index"><h2>Commits (${commits.length}, newest first)</h2>
<table class="index"><colgroup><col class="c-commit"><col class="c-entry"><col><col><col><col class="c-gate"><col class="c-gate"></colgroup><thead><tr><th>commit</th><th>newest entry</th><th>dev</th><th>stage</th><th>prod</th><th>into stage</th><th>into prod</th></tr></thead><tbody>
${body.join('\n')}
</tbody></table></section>`;
}
