import { TrustedKey } from '../attest/sign/ed25519';
import { DEFAULT_ORIGIN } from '../ledger/checkpoint';
import { Witness } from '../ledger/cosignature';
import { openStore } from '../ledger/open-store';
import { CheckpointInput, verifyLog } from '../ledger/verify';
import { ConstructPaths } from '../receipts/render/construct-paths';
import { summarizeStatement } from './entry-summary';
import { Evidence, Rejected } from './evidence';
import { EvidenceKeys, EvidenceSource, gatherEvidence } from './gather';
import { pinnedBundleDigest } from './pins';
import { evaluatePromotion, GateResult } from './promote';
import { PageLayout, renderReport, ReportInput } from './report-html';
import { LedgerReading } from './report-summary';

const COMMIT = /^[0-9a-f]{7,64}$/;

/** What `kfm report` shows. */
export interface AuditReportRequest {
  readonly source: EvidenceSource;
  readonly keys: EvidenceKeys;
  /** Checkpoints the ledger must be consistent with, besides the ones it stores. */
  readonly checkpoints: readonly CheckpointInput[];
  /** Only commits starting with this (lower-case hex); every commit in the ledger when absent. */
  readonly only?: string;
  /** Construct paths per env, shown beside addresses. */
  readonly constructPaths: ReadonlyMap<string, ConstructPaths>;
  /** One page, or an index and per-commit pages (gates/report-html.ts); one page when absent. */
  readonly layout?: PageLayout;
  /** Trusted witnesses and how many cosignatures a checkpoint needs; none: cosignatures not checked. */
  readonly witnesses?: { readonly witnesses: readonly Witness[]; readonly quorum: number };
}

/**
 * The auditor's page (gates/report-html.ts) and what it covers: the evidence gathered as the
 * gates gather it, the whole ledger verified, and per commit the promotion gates into stage and
 * prod (a ledger that does not verify fails each of them).
 */
export async function auditReport(req: AuditReportRequest) {
  const { evidence, rejected } = await gatherEvidence(req.source, req.keys);
  const trusted: TrustedKey[] = [...req.keys.receiptKeys, ...req.keys.approvers.map((a) => a.key)];
  const v = await verifyLog(openStore(req.source.store, req.source.options), {
    trusted,
    checkpoints: req.checkpoints,
    origin: DEFAULT_ORIGIN,
    ...req.witnesses,
  });
  const input = reportInputOf({
    store: req.source.store,
    evidence,
    rejected,
    ledger: { ok: v.ok, size: v.size, root: v.root, problems: v.problems, checkpoints: v.checkpoints },
    only: req.only,
    constructPaths: req.constructPaths,
  });
  const rendered = renderReport(input, req.layout ?? { split: 'auto', pagesHref: '.', indexHref: '.' });
  return {
    html: rendered.index,
    pages: rendered.pages,
    commits: input.commits,
    records: evidence.length,
    verifies: v.ok,
  };
}

/**
 * What the page shows, from evidence already gathered and a ledger already verified: the commits
 * covered and, per commit, the promotion gates' own decisions (a ledger that does not verify
 * fails each of them).
 */
export function reportInputOf(r: {
  readonly store: string;
  readonly evidence: readonly Evidence[];
  readonly rejected: readonly Rejected[];
  readonly ledger: LedgerReading;
  readonly only?: string;
  readonly constructPaths?: ReadonlyMap<string, ConstructPaths>;
}): ReportInput {
  const commits = commitsShown(r.evidence, r.only);
  const integrity = {
    requirement: 'audit ledger',
    ok: r.ledger.ok,
    detail: r.ledger.ok ? `${r.ledger.size} entries verify` : `does not verify: ${r.ledger.problems[0] ?? ''}`,
  };
  const gates = new Map<string, GateResult[]>(
    commits.map((commit) => [commit, promotionsOf(commit, r.evidence, r.rejected, integrity)]),
  );
  return {
    constructPaths: r.constructPaths,
    store: r.store,
    commits,
    evidence: r.evidence,
    gates,
    ledger: r.ledger,
    rejected: r.rejected.length,
  };
}

/** The commits the page covers: those matching `only` (or `only` itself), else all, newest first. */
function commitsShown(evidence: readonly Evidence[], only: string | undefined): string[] {
  const newest = new Map<string, number>();
  for (const e of evidence) {
    const c = summarizeStatement({ predicateType: e.predicateType, predicate: e.predicate, subject: e.subject }).commit;
    if (c && COMMIT.test(c)) newest.set(c, Math.max(newest.get(c) ?? 0, e.seq));
  }
  if (!only) return [...newest.entries()].sort((a, b) => b[1] - a[1]).map(([c]) => c);
  const matching = [...newest.keys()].filter((c) => c.startsWith(only));
  return matching.length ? matching : [only];
}

/** The promotion gates into stage and prod of one commit, each behind the ledger's own integrity. */
function promotionsOf(
  commit: string,
  evidence: readonly Evidence[],
  rejected: readonly Rejected[],
  integrity: { requirement: string; ok: boolean; detail: string },
): GateResult[] {
  return (['stage', 'prod'] as const).map((to) => {
    const r = evaluatePromotion({ to, commit, evidence, rejected, pinnedBundle: pinnedBundleDigest });
    return { ...r, allowed: r.allowed && integrity.ok, items: [integrity, ...r.items] };
  });
}
