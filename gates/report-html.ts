import { TIER_NAMES } from '../core/vocabulary';
import { constructPathOf, ConstructPaths } from '../receipts/render/construct-paths';
import { naturalCompare } from '../receipts/render/escape';
import { summarizeStatement } from './entry-summary';
import { Evidence } from './evidence';
import { GateResult } from './promote';

/**
 * The auditor's picture (`kfm report`): one self-contained HTML page, per commit, of the path
 * dev → stage → prod: each tier's records (plan, apply, drift, smoke, approval, promotion) with
 * verdict, digest, signer and time, each gate decision with its items, the ledger's verification,
 * and every statement expandable. Inline CSS only, no script, no font, no image from anywhere:
 * the Content-Security-Policy forbids every fetch, so it reads the same offline and as a CI
 * artifact. Every value is HTML-escaped.
 */
export interface ReportInput {
  readonly store: string;
  readonly commits: readonly string[];
  readonly evidence: readonly Evidence[];
  /** Gate decisions per commit: promotion into stage and into prod. */
  readonly gates: ReadonlyMap<string, readonly GateResult[]>;
  readonly ledger: {
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
  };
  /** Entries that did not count as evidence (untrusted signer, wrong role), by seq. */
  readonly rejected: number;
  /** Construct paths per env (from `--synth ENV=cdk.tf.json`), shown beside addresses. */
  readonly constructPaths?: ReadonlyMap<string, ConstructPaths>;
}

const DESTRUCTIVE = ['delete', 'replace', 'create-forget', 'forget'];

/** A plan's destructive changes, each with its construct path when known: what a reviewer checks first. */
function destructiveList(e: Evidence, paths: ConstructPaths | undefined): string {
  const changes = Array.isArray(e.predicate.changes)
    ? (e.predicate.changes as { address?: unknown; action?: unknown }[])
    : [];
  const bad = changes
    .filter((c) => typeof c.address === 'string' && DESTRUCTIVE.includes(String(c.action)))
    .sort((a, b) => naturalCompare(String(a.address), String(b.address)));
  if (!bad.length) return '';
  const items = bad.map((c) => {
    const cp = constructPathOf(paths, String(c.address));
    return `<li><b>${esc(c.action)}</b> <code>${esc(c.address)}</code>${cp ? ` <span class="construct">(${esc(cp)})</span>` : ''}</li>`;
  });
  return `<details class="destructive"><summary class="bad">${bad.length} destructive change(s)</summary><ul>${items.join('')}</ul></details>`;
}

const esc = (s: unknown): string => String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const GOOD = new Set(['pass', 'applied', 'none', 'approved', 'promoted', 'ok']);

function verdictOf(e: Evidence): { text: string; good: boolean } {
  const sum = summarizeStatement({ predicateType: e.predicateType, predicate: e.predicate, subject: e.subject });
  const text = sum.verdict ?? (sum.kind === 'approval' ? 'approved' : sum.kind === 'promotion' ? 'promoted' : '—');
  return { text, good: GOOD.has(text) };
}

const KIND_ORDER = ['plan', 'approval', 'apply', 'drift', 'smoke', 'promotion', 'other'];

function recordRows(records: readonly Evidence[], paths: ConstructPaths | undefined): string {
  if (!records.length) return '<p class="none">No trusted records for this tier and commit.</p>';
  const rows = [...records]
    .map((e) => ({
      e,
      sum: summarizeStatement({ predicateType: e.predicateType, predicate: e.predicate, subject: e.subject }),
    }))
    .sort((a, b) => KIND_ORDER.indexOf(a.sum.kind) - KIND_ORDER.indexOf(b.sum.kind) || a.e.seq - b.e.seq)
    .map(({ e, sum }) => {
      const v = verdictOf(e);
      const statement = JSON.stringify(
        {
          _type: 'https://in-toto.io/Statement/v1',
          subject: e.subject,
          predicateType: e.predicateType,
          predicate: e.predicate,
        },
        null,
        2,
      );
      return `<tr data-kind="${esc(sum.kind)}" data-verdict="${esc(v.text)}">
<td>${esc(e.seq)}</td><td>${esc(sum.kind)}</td><td class="${v.good ? 'good' : 'bad'}">${esc(v.text)}</td>
<td><code title="${esc(e.digest)}">${esc(e.digest.slice(0, 19))}…</code></td><td><code>${esc(e.signer.slice(0, 16))}</code></td><td>${esc(sum.time ?? '—')}</td>
<td>${sum.kind === 'plan' ? destructiveList(e, paths) : ''}<details><summary>statement</summary><pre>${esc(statement)}</pre></details></td></tr>`;
    });
  return `<table class="records"><thead><tr><th>seq</th><th>record</th><th>verdict</th><th>digest</th><th>signer key</th><th>time</th><th></th></tr></thead><tbody>
${rows.join('\n')}
</tbody></table>`;
}

function gateBlock(g: GateResult): string {
  const items = g.items
    .map(
      (i) =>
        `<li class="${i.ok ? 'good' : 'bad'}" data-ok="${i.ok}"><b>${i.ok ? '✔' : '✘'} ${esc(i.requirement)}</b>: ${esc(i.detail)}</li>`,
    )
    .join('\n');
  return `<div class="gate ${g.allowed ? 'allowed' : 'blocked'}" data-to="${esc(g.to)}" data-allowed="${g.allowed}">
<h4>Gate: promote into ${esc(g.to)}: <span class="verdict">${g.allowed ? 'ALLOWED' : 'BLOCKED'}</span></h4>
<ul>${items}</ul></div>`;
}

function ledgerBlock(l: ReportInput['ledger'], store: string, rejected: number): string {
  const cps = l.checkpoints.length
    ? `<ul>${l.checkpoints
        .map(
          (c) =>
            `<li class="${c.ok ? 'good' : 'bad'}">${esc(c.source)}: size ${esc(c.size ?? '?')}, ${c.ok ? 'consistent' : 'NOT consistent'}${
              c.witnessed === undefined
                ? ''
                : c.witnessed
                  ? `, witnessed by ${esc((c.cosigners ?? []).join(', '))}`
                  : ', NOT witnessed'
            }</li>`,
        )
        .join('')}</ul>`
    : '<p class="none">No checkpoints given or stored: this reading is not anchored.</p>';
  const problems = l.problems.length
    ? `<ul>${l.problems.map((p) => `<li class="bad">${esc(p)}</li>`).join('')}</ul>`
    : '';
  return `<section class="ledger" data-ok="${l.ok}">
<h2>Audit ledger: <span class="${l.ok ? 'good' : 'bad'} verdict">${l.ok ? 'verifies' : 'DOES NOT VERIFY'}</span></h2>
<p><code>${esc(store)}</code>: ${esc(l.size)} entries, root <code>${esc(l.root)}</code>${rejected ? `; ${esc(rejected)} entr${rejected === 1 ? 'y' : 'ies'} not counted as evidence (untrusted key or role)` : ''}.</p>
<h3>Checkpoints</h3>${cps}${problems}</section>`;
}

const CSS = `body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:2em auto;max-width:1200px;color:#1b1f24;padding:0 1em}
h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #d0d7de;padding-bottom:.2em}h3{font-size:1.05em}h4{margin:.6em 0 .3em}
code,pre{font:12px ui-monospace,SFMono-Regular,Menlo,monospace}pre{background:#f6f8fa;padding:.6em;overflow:auto;max-height:30em;white-space:pre-wrap}
.path{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:1em}.tier{border:1px solid #d0d7de;border-radius:6px;padding:.6em .8em;background:#fff;min-width:0}.gate li,td code,td{overflow-wrap:anywhere}th{white-space:nowrap}
.tier h3{margin:.2em 0 .5em}table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eaeef2;padding:.25em .35em;text-align:left;vertical-align:top}
.good{color:#1a7f37}.bad{color:#cf222e}.none{color:#6e7781;font-style:italic}.gate{border-left:4px solid #6e7781;padding:.2em .7em;margin:.6em 0;background:#f6f8fa}
.gate.allowed{border-color:#1a7f37}.gate.blocked{border-color:#cf222e}.gate ul{margin:.2em 0;padding-left:1.2em}.verdict{font-weight:700}.construct{color:#6e7781}
.gate.allowed .verdict{color:#1a7f37}.gate.blocked .verdict{color:#cf222e}details summary{cursor:pointer;color:#0969da}
@media (max-width:900px){.path{grid-template-columns:1fr}}`;

export function renderReportHtml(input: ReportInput): string {
  const commits = input.commits.map((commit) => {
    const gates = input.gates.get(commit) ?? [];
    const tiers = TIER_NAMES.map((env) => {
      const records = input.evidence.filter((e) => {
        const s = summarizeStatement({ predicateType: e.predicateType, predicate: e.predicate, subject: e.subject });
        return s.env === env && s.commit === commit;
      });
      const gate = gates.find((g) => g.to === env);
      return `<div class="tier" data-env="${esc(env)}"><h3>${esc(env)}</h3>${gate ? gateBlock(gate) : ''}${recordRows(records, input.constructPaths?.get(env))}</div>`;
    });
    return `<section class="commit" data-commit="${esc(commit)}"><h2>Commit <code>${esc(commit)}</code></h2>
<div class="path">${tiers.join('\n')}</div></section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>kfm evidence report</title><style>${CSS}</style></head>
<body><h1>kfm evidence report: dev → stage → prod</h1>
<p>What the audit ledger proves, per commit and tier: every record verified under a trusted key, and each promotion gate's decision with the items behind it.</p>
${ledgerBlock(input.ledger, input.store, input.rejected)}
${commits.length ? commits.join('\n') : '<p class="none">No trusted records in the ledger.</p>'}
</body></html>
`;
}
