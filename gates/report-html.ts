import { ConstructPaths } from '../receipts/render/construct-paths';
import { summarizeStatement } from './entry-summary';
import { Evidence } from './evidence';
import { GateResult } from './promote';
import { attr, commitAnchor, commitSection, Row, text } from './report-commit';
import { commitIndex, glossary, LedgerReading, summarySection } from './report-summary';

/**
 * The auditor's picture (`kfm report`): a summary first (what the ledger proves, what the gates
 * block and why), a glossary, an index of commits, then per commit the path dev → stage → prod:
 * each tier's gate decision and records (verdict, time, whole digest, signer, statement). Inline
 * CSS only, no script, no font, no image from anywhere: the Content-Security-Policy forbids every
 * fetch, so it reads the same offline and as a CI artifact. Every value is HTML-escaped.
 *
 * One page while it stays under SINGLE_PAGE_BUDGET bytes; past that (or when asked) the commits'
 * sections become pages of their own beside the index page, each as self-contained.
 */
export interface ReportInput {
  readonly store: string;
  readonly commits: readonly string[];
  readonly evidence: readonly Evidence[];
  /** Gate decisions per commit: promotion into stage and into prod. */
  readonly gates: ReadonlyMap<string, readonly GateResult[]>;
  readonly ledger: LedgerReading;
  /** Entries that did not count as evidence (untrusted signer, wrong role), by seq. */
  readonly rejected: number;
  /** Construct paths per env (from `--synth ENV=cdk.tf.json`), shown beside addresses. */
  readonly constructPaths?: ReadonlyMap<string, ConstructPaths>;
}

/** The largest single page: a browser opens it at once; a 1,000-entry ledger's report stays under it. */
export const SINGLE_PAGE_BUDGET = 5_000_000;

/** Where per-commit pages go, relative to the index page, and the way back. */
export interface PageLayout {
  /** `always`: per-commit pages whatever the size; `auto`: only past SINGLE_PAGE_BUDGET. */
  readonly split: 'auto' | 'always';
  /** The pages' directory as a relative URL from the index page (`report.commits`). */
  readonly pagesHref: string;
  /** The index page as a relative URL from a commit page (`../report.html`). */
  readonly indexHref: string;
}

export interface RenderedReport {
  readonly index: string;
  /** Per-commit pages (file name `<commit>.html`), empty when the index holds every section. */
  readonly pages: readonly { readonly commit: string; readonly name: string; readonly html: string }[];
}

const CSS = `*{box-sizing:border-box}body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0 auto;max-width:1560px;color:#1b1f24;padding:1em 1.5em}
h1{font-size:1.45em;margin:.2em 0}h2{font-size:1.2em;border-bottom:1px solid #d0d7de;padding-bottom:.2em;margin:1.2em 0 .5em}h3{font-size:1.02em;margin:.6em 0 .3em}h4{margin:.5em 0 .3em}
code,pre{font:13px/1.45 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
pre{background:#f6f8fa;border:1px solid #eaeef2;border-radius:6px;padding:.6em .8em;overflow:auto;max-height:36em;white-space:pre-wrap;overflow-wrap:break-word;margin:.3em 0}
a{color:#0969da}a.term{color:inherit;text-decoration:underline dotted}
.intro{color:#57606a;margin:.2em 0 .8em;max-width:75em}
.cols{display:grid;grid-template-columns:minmax(0,1fr) minmax(0,1fr);gap:1.5em}
.summary ul{margin:.2em 0;padding-left:1.2em}.summary li{margin:.15em 0}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #eaeef2;padding:.3em .45em;text-align:left;vertical-align:top;overflow-wrap:break-word}th{white-space:nowrap;font-weight:600}
.tier{border:1px solid #d0d7de;border-radius:6px;padding:.5em .9em;margin:.7em 0;background:#fff}.tier h3{margin:.1em 0 .4em;text-transform:uppercase;letter-spacing:.04em;font-size:.95em}
td.time{font-size:.88em}code.digest{font-size:12px}td.time,td.seq,td.kind,td.verdict-cell,.badge,.ts{white-space:nowrap}
table.records,table.exposure,table.index,table.tiers{table-layout:fixed}
col.c-seq{width:4em}col.c-kind{width:6.5em}col.c-verdict{width:7.5em}col.c-time{width:15em}col.c-signer{width:10em}col.c-digest{width:auto}
col.c-res{width:46%}col.c-commit{width:14em}col.c-entry{width:5.5em}col.c-gate{width:6em}col.c-tier{width:4.5em}
.index th{white-space:normal}
code.digest{white-space:normal;word-break:normal;overflow-wrap:normal}
tr.more>td{border-bottom:2px solid #d0d7de;padding-top:0}
.good{color:#1a7f37}.bad{color:#cf222e}.none,.muted{color:#6e7781}.none{font-style:italic}
.gate{border-left:4px solid #6e7781;padding:.2em .8em;margin:.5em 0;background:#f6f8fa}.gate.allowed{border-color:#1a7f37}.gate.blocked{border-color:#cf222e}
.gate ul,.decision ul{margin:.2em 0;padding-left:1.2em}.verdict{font-weight:700}.construct{color:#6e7781}
.gate.allowed .verdict{color:#1a7f37}.gate.blocked .verdict{color:#cf222e}details summary{cursor:pointer;color:#0969da}
.badge{display:inline-block;border:1px solid currentColor;border-radius:1em;padding:0 .5em;margin:.1em 0;font-size:.85em}
ul.facts{list-style:none;margin:0;padding:0}
.glossary dl{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.25em 1em;margin:.3em 0}.glossary dt{font-weight:600}.glossary dd{margin:0}
nav.back{margin:.3em 0 .8em}
@media (max-width:1100px){.cols{grid-template-columns:minmax(0,1fr)}}@media (min-width:1400px){col.c-commit{width:22em}}`;

function shell(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${text(title)}</title><style>${CSS}</style></head>
<body>${body}
</body></html>
`;
}

/** Each record's summary computed once, grouped by commit. */
function rowsOf(input: ReportInput): { rows: Row[]; byCommit: Map<string, Row[]> } {
  const rows = input.evidence.map((e) => ({
    e,
    sum: summarizeStatement({ predicateType: e.predicateType, predicate: e.predicate, subject: e.subject }),
  }));
  const byCommit = new Map<string, Row[]>(input.commits.map((c) => [c, []]));
  for (const r of rows) if (r.sum.commit !== null) byCommit.get(r.sum.commit)?.push(r);
  return { rows, byCommit };
}

const INTRO = `<p class="intro">What the audit ledger proves, per commit and tier: every record verified under a trusted key, and each promotion gate’s decision with the items behind it. Words in dotted underline are in the <a href="#glossary">glossary</a>.</p>`;

function indexPage(
  input: ReportInput,
  rows: readonly Row[],
  byCommit: ReadonlyMap<string, readonly Row[]>,
  link: (c: string) => string,
  sections: string,
): string {
  return shell(
    'kfm evidence report',
    `<h1>kfm evidence report: dev → stage → prod</h1>
${INTRO}
${summarySection(input.ledger, input.store, rows, input.rejected, input.gates, input.commits)}
${commitIndex(input.commits, byCommit, input.gates, link)}
${glossary()}
${sections}`,
  );
}

/** A commit page's name: its SHA, which the index checked is hex. */
const pageName = (commit: string): string => `${commit.replace(/[^0-9a-f]/g, '')}.html`;

/** The report as one page, or as an index page and per-commit pages (see PageLayout). */
export function renderReport(input: ReportInput, layout: PageLayout): RenderedReport {
  const { rows, byCommit } = rowsOf(input);
  const section = (c: string) =>
    commitSection(c, byCommit.get(c) ?? [], input.gates.get(c) ?? [], input.constructPaths);
  if (layout.split === 'auto') {
    const single = singlePage(input, rows, byCommit);
    if (Buffer.byteLength(single) <= SINGLE_PAGE_BUDGET) return { index: single, pages: [] };
  }
  const href = (c: string) => `${layout.pagesHref}/${pageName(c)}`;
  const pages = input.commits.map((c) => ({
    commit: c,
    name: pageName(c),
    html: shell(
      `kfm evidence report: commit ${c}`,
      `<nav class="back"><a href="${attr(layout.indexHref)}">← summary and index of every commit</a> · <a href="${attr(`${layout.indexHref}#glossary`)}">glossary</a></nav>
<h1>kfm evidence report: dev → stage → prod</h1>
${section(c)}`,
    ),
  }));
  return { index: indexPage(input, rows, byCommit, href, ''), pages };
}

/** The report as one self-contained page, every commit's section on it, whatever its size. */
export function renderReportHtml(input: ReportInput): string {
  const { rows, byCommit } = rowsOf(input);
  return singlePage(input, rows, byCommit);
}

function singlePage(input: ReportInput, rows: readonly Row[], byCommit: ReadonlyMap<string, readonly Row[]>): string {
  const sections = input.commits
    .map((c) => commitSection(c, byCommit.get(c) ?? [], input.gates.get(c) ?? [], input.constructPaths))
    .join('\n');
  return indexPage(input, rows, byCommit, (c) => `#${commitAnchor(c)}`, sections);
}
