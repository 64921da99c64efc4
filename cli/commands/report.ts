import { ReceiptError } from '../../core/errors';
import { readInputFile, refuseExisting, writeFileExclusive } from '../../core/files';
import { DEFAULT_ORIGIN } from '../../ledger/checkpoint';
import { openStore } from '../../ledger/open-store';
import { verifyLog } from '../../ledger/verify';
import { summarizeStatement } from '../../gates/entry-summary';
import { evaluatePromotion, GateResult } from '../../gates/promote';
import { pinnedBundleDigest } from '../../gates/pins';
import { renderReportHtml } from '../../gates/report-html';
import { parseCommandArgs, requireOpt } from '../lib/args';
import { loadTrustedKeys, many } from '../lib/keys';
import { Command } from '../lib/types';
import { TIER_NAMES } from '../../core/vocabulary';
import { parseConstructPaths } from '../../receipts/render/construct-paths';
import { loadEvidence } from './gate';

const COMMIT = /^[0-9a-f]{7,64}$/;

/**
 * `kfm report --store S --pub KEY... [--approver NAME=PUB...] [--commit SHA] [--checkpoint FILE...]
 *   --out report.html`: the auditor's page (gates/report-html.ts). Exit 0 when written, whatever
 * the gates decide: the page shows blocked promotions; it is not itself a gate.
 */
export const report: Command = async (io) => {
  const cmd = 'report';
  const { values } = parseCommandArgs(
    cmd,
    io.argv,
    {
      store: { type: 'string', required: true },
      pub: { type: 'string', multiple: true, required: true, help: 'trusted key of receipts and records' },
      approver: { type: 'string', multiple: true },
      commit: { type: 'string', help: 'only this commit', default: 'every commit in the ledger, newest first' },
      checkpoint: { type: 'string', multiple: true, default: 'the checkpoints stored in the ledger' },
      endpoint: { type: 'string' },
      synth: {
        type: 'string',
        multiple: true,
        arg: 'ENV=CDK_TF_JSON',
        help: "construct paths of ENV's synthesized stack, shown beside addresses",
        default: 'addresses only',
      },
      out: { type: 'string', required: true, arg: 'HTML', help: 'the page to write; never overwritten' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Write one self-contained HTML page of the evidence: per commit, dev → stage → prod.',
      example: 'report --store .kfm/audit --pub keys/kfm-ci.pub --commit 0123abc --out report.html',
    },
  );
  const out = requireOpt(cmd, values, 'out');
  refuseExisting(out);
  const storeSpec = requireOpt(cmd, values, 'store');
  const only = typeof values.commit === 'string' ? values.commit.toLowerCase() : undefined;
  if (only !== undefined && !COMMIT.test(only))
    throw new ReceiptError('USAGE', `kfm ${cmd}: --commit is not a hex commit SHA (7-64 hex digits)`);
  if (many(values.pub).length === 0) throw new ReceiptError('USAGE', `kfm ${cmd}: --pub is required`);
  const endpoint = typeof values.endpoint === 'string' ? values.endpoint : undefined;
  const { evidence, rejected } = await loadEvidence(
    cmd,
    { store: storeSpec, commit: only ?? '', endpoint, env: io.env },
    values,
  );
  const trusted = loadTrustedKeys([
    ...many(values.pub),
    ...many(values.approver).map((a) => a.slice(a.indexOf('=') + 1)),
  ]);
  const checkpoints = many(values.checkpoint).map((f) => ({
    source: f,
    text: readInputFile(f, 'checkpoint').toString('utf8'),
  }));
  const v = await verifyLog(openStore(storeSpec, { endpoint, env: io.env }), {
    trusted,
    checkpoints,
    origin: DEFAULT_ORIGIN,
  });
  const newest = new Map<string, number>();
  for (const e of evidence) {
    const c = summarizeStatement({ predicateType: e.predicateType, predicate: e.predicate, subject: e.subject }).commit;
    if (c && COMMIT.test(c)) newest.set(c, Math.max(newest.get(c) ?? 0, e.seq));
  }
  const commits = only
    ? [...newest.keys()]
        .filter((c) => c.startsWith(only))
        .concat(newest.size && [...newest.keys()].some((c) => c.startsWith(only)) ? [] : [only])
    : [...newest.entries()].sort((a, b) => b[1] - a[1]).map(([c]) => c);
  const gates = new Map<string, GateResult[]>();
  for (const commit of commits)
    gates.set(
      commit,
      (['stage', 'prod'] as const).map((to) => {
        const r = evaluatePromotion({ to, commit, evidence, rejected, pinnedBundle: pinnedBundleDigest });
        const integrity = {
          requirement: 'audit ledger',
          ok: v.ok,
          detail: v.ok ? `${v.size} entries verify` : `does not verify: ${v.problems[0] ?? ''}`,
        };
        return { ...r, allowed: r.allowed && v.ok, items: [integrity, ...r.items] };
      }),
    );
  const constructPaths = new Map(
    many(values.synth).map((spec) => {
      const i = spec.indexOf('=');
      const env = spec.slice(0, i);
      if (i <= 0 || !(TIER_NAMES as readonly string[]).includes(env))
        throw new ReceiptError(
          'USAGE',
          `kfm ${cmd}: --synth must be ENV=CDK_TF_JSON with ENV one of ${TIER_NAMES.join(', ')}`,
        );
      const file = spec.slice(i + 1);
      return [env, parseConstructPaths(readInputFile(file, 'synthesized stack JSON'), file)] as const;
    }),
  );
  const html = renderReportHtml({
    constructPaths,
    store: storeSpec,
    commits,
    evidence,
    gates,
    ledger: { ok: v.ok, size: v.size, root: v.root, problems: v.problems, checkpoints: v.checkpoints },
    rejected: rejected.length,
  });
  writeFileExclusive(out, html);
  io.stdout(
    `report ${out}: ${commits.length} commit(s), ${evidence.length} record(s), ledger ${v.ok ? 'verifies' : 'DOES NOT VERIFY'}\n`,
  );
  return 0;
};
