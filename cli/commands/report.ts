import { ReceiptError } from '../../core/errors';
import { readInputFile, refuseExisting, writeFileExclusive } from '../../core/files';
import { auditReport } from '../../gates/report';
import { NO_POSITIONALS, parseCommandArgs, requireOpt } from '../lib/args';
import { many } from '../lib/keys';
import { loadEvidenceKeys, readCheckpointFiles } from '../lib/evidence-keys';
import { Command } from '../lib/types';
import { WITNESS_OPTS, witnessPolicy } from '../lib/witnesses';
import { TIER_NAMES } from '../../core/vocabulary';
import { parseConstructPaths } from '../../receipts/render/construct-paths';
import { PageLayout, SINGLE_PAGE_BUDGET } from '../../gates/report-html';
import { dirname, join, relative, resolve, sep } from 'node:path';

const COMMIT = /^[0-9a-f]{7,64}$/;

const OPTIONS = {
  store: { type: 'string', required: true },
  pub: { type: 'string', multiple: true, required: true, help: 'trusted key of receipts and records' },
  approver: { type: 'string', multiple: true },
  commit: { type: 'string', help: 'only this commit', default: 'every commit in the ledger, newest first' },
  checkpoint: { type: 'string', multiple: true, default: 'the checkpoints stored in the ledger' },
  ...WITNESS_OPTS,
  endpoint: { type: 'string' },
  synth: {
    type: 'string',
    multiple: true,
    arg: 'ENV=CDK_TF_JSON',
    help: "construct paths of ENV's synthesized stack, shown beside addresses",
    default: 'addresses only',
  },
  out: { type: 'string', required: true, arg: 'HTML', help: 'the page to write; never overwritten' },
  pages: {
    type: 'string',
    arg: 'DIR',
    help: 'write each commit as its own page in DIR (never overwritten), linked from the --out index page',
    default: `one page; past ${SINGLE_PAGE_BUDGET / 1e6} MB, per-commit pages in HTML's name with .commits`,
  },
} as const;

/** Where the per-commit pages go, and the relative links between them and the index page. */
export function layoutOf(out: string, pages: string | undefined): { dir: string; layout: PageLayout } {
  const dir = pages ?? `${out.replace(/\.html?$/i, '')}.commits`;
  const url = (p: string) => p.split(sep).map(encodeURIComponent).join('/');
  return {
    dir,
    layout: {
      split: pages === undefined ? 'auto' : 'always',
      pagesHref: url(relative(dirname(resolve(out)), resolve(dir))) || '.',
      indexHref: url(relative(resolve(dir), resolve(out))),
    },
  };
}

/** Write the per-commit pages (if any), then the index page: nothing when the directory exists. */
function writeReport(out: string, dir: string, r: { html: string; pages: readonly { name: string; html: string }[] }) {
  if (r.pages.length) {
    refuseExisting(dir, 'choose another --pages DIR', 'the per-commit pages');
    for (const p of r.pages) writeFileExclusive(join(dir, p.name), p.html);
  }
  writeFileExclusive(out, r.html);
}

/** `--synth ENV=CDK_TF_JSON`, each parsed into construct paths by env. */
function constructPathsOf(cmd: string, specs: readonly string[]) {
  return new Map(
    specs.map((spec) => {
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
}

/**
 * `kfm report --store S --pub KEY... [--approver NAME=PUB...] [--commit SHA] [--checkpoint FILE...]
 *   --out report.html`: the auditor's page (gates/report.ts). Exit 0 when written, whatever
 * the gates decide: the page shows blocked promotions; it is not itself a gate.
 */
export const report: Command = async (io) => {
  const cmd = 'report';
  const { values } = parseCommandArgs(cmd, io.argv, OPTIONS, NO_POSITIONALS, {
    summary: 'Write one self-contained HTML page of the evidence: per commit, dev → stage → prod.',
    example: 'report --store .kfm/audit --pub keys/kfm-ci.pub --commit 0123abc --out report.html',
  });
  const out = requireOpt(cmd, values, 'out');
  refuseExisting(out);
  const pages = typeof values.pages === 'string' ? values.pages : undefined;
  if (pages !== undefined) refuseExisting(pages, 'choose another --pages DIR', 'the per-commit pages');
  const { dir, layout } = layoutOf(out, pages);
  const store = requireOpt(cmd, values, 'store');
  const only = typeof values.commit === 'string' ? values.commit.toLowerCase() : undefined;
  if (only !== undefined && !COMMIT.test(only))
    throw new ReceiptError('USAGE', `kfm ${cmd}: --commit is not a hex commit SHA (7-64 hex digits)`);
  if (many(values.pub).length === 0) throw new ReceiptError('USAGE', `kfm ${cmd}: --pub is required`);
  const endpoint = typeof values.endpoint === 'string' ? values.endpoint : undefined;
  const r = await auditReport({
    source: { store, options: { endpoint, env: io.env }, commit: only ?? '' },
    keys: loadEvidenceKeys(cmd, values),
    checkpoints: readCheckpointFiles(values),
    only,
    constructPaths: constructPathsOf(cmd, many(values.synth)),
    layout,
    witnesses: witnessPolicy(cmd, values),
  });
  writeReport(out, dir, r);
  io.stdout(
    `report ${out}: ${r.commits.length} commit(s), ${r.records} record(s), ledger ${r.verifies ? 'verifies' : 'DOES NOT VERIFY'}${r.pages.length ? `; ${r.pages.length} per-commit page(s) in ${dir}` : ''}\n`,
  );
  return 0;
};
