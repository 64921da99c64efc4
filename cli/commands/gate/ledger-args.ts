import { printable } from '../../../core/printable';
import { ReceiptError } from '../../../core/errors';
import { EvidenceSource, gatherEvidence, GatheredEvidence } from '../../../gates/gather';
import { GateItem } from '../../../gates/promote';
import { requireOpt } from '../../lib/args';
import { RECORD_AND_LOG_KEY_OPTS, loadEvidenceKeys, readCheckpointFiles, requireLogKey } from '../../lib/evidence-keys';
import { IDENTITY_OPTS } from '../../lib/identity-trust';
import { WITNESS_OPTS, witnessPolicy, witnessUrls } from '../../lib/witnesses';
import { CommandIo } from '../../lib/types';

const COMMIT = /^[0-9a-f]{7,64}$/;

/** The options every gate reads the ledger with. */
export const LEDGER_OPTS = {
  store: { type: 'string', required: true },
  ...RECORD_AND_LOG_KEY_OPTS,
  approver: { type: 'string', multiple: true, arg: 'NAME=PUB', help: 'key NAME signs prod approvals with' },
  ...IDENTITY_OPTS,
  commit: { type: 'string', help: 'the commit judged' },
  endpoint: { type: 'string' },
  checkpoint: {
    type: 'string',
    multiple: true,
    arg: 'FILE',
    help: 'trusted checkpoint the ledger must be consistent with',
    default: 'unanchored read',
  },
  ...WITNESS_OPTS,
  'witness-url': {
    type: 'string',
    multiple: true,
    arg: 'NAME=URL',
    help: 'where to ask witness NAME the tree size it holds (tlog-witness add-checkpoint), at decision time',
  },
  'accept-store-view': {
    type: 'boolean',
    help: "with witnesses that cannot be asked, judge the store's newest witnessed checkpoint anyway (said in the decision)",
  },
  json: { type: 'boolean', help: 'the decision and every gate item as JSON' },
} as const;

/** Where a gate reads the ledger: --store, --commit (hex), --endpoint, the trusted --checkpoint files and witnesses. */
export function ledgerSource(
  cmd: string,
  values: Record<string, unknown>,
  env: CommandIo['env'],
  commitRequired = true,
): EvidenceSource & { readonly commit: string } {
  const store = requireOpt(cmd, values, 'store');
  const commit = commitRequired ? requireOpt(cmd, values, 'commit') : (values.commit as string | undefined);
  if (commit !== undefined && !COMMIT.test(commit))
    throw new ReceiptError('USAGE', `kfm ${cmd}: --commit "${commit}" is not a hex commit SHA`);
  requireLogKey(cmd, values);
  const policy = witnessPolicy(cmd, values);
  const anchor = {
    checkpoints: readCheckpointFiles(values),
    witnesses: policy.witnesses,
    quorum: policy.quorum,
    urls: witnessUrls(cmd, values, policy),
    acceptStoreView: values['accept-store-view'] === true,
  };
  return { store, commit: commit ?? '', options: { endpoint: values.endpoint as string | undefined, env }, anchor };
}

/**
 * Gather the evidence (gates/gather.ts) under the command's keys, saying on stderr when the read
 * is unanchored: deleted newest entries or a rewritten history cannot then be seen.
 */
export async function gateEvidence(
  cmd: string,
  source: EvidenceSource,
  values: Record<string, unknown>,
  io: CommandIo,
): Promise<GatheredEvidence> {
  const gathered = await gatherEvidence(source, loadEvidenceKeys(cmd, values));
  const { ledger } = gathered;
  if (!ledger.judged.anchored && ledger.integrity.ok) {
    io.stderr(
      `gate: note: unanchored read of ${source.store}: no trusted --checkpoint, so deleted newest entries or a rewritten history cannot be seen (docs/gates.md)\n`,
    );
  }
  if (ledger.storeViewAccepted) {
    io.stderr(
      `gate: note: too few witnesses answered; judging the store's newest witnessed checkpoint as --accept-store-view says (a deleted newer one cannot be seen)\n`,
    );
  }
  return gathered;
}

/** The ledger judged, as the JSON output names it. */
export function ledgerJson({ ledger }: GatheredEvidence) {
  return { size: ledger.judged.size, root: ledger.judged.root, anchored: ledger.judged.anchored };
}

/** Print a gate decision (every item, or JSON) and return its exit code: 0 allowed, 1 denied. */
export function printDecision(
  io: CommandIo,
  json: boolean,
  allowed: boolean,
  items: readonly GateItem[],
  extra: Record<string, unknown>,
): number {
  // In a terminal stdout and stderr are one screen: the BLOCKED lines below are said once.
  const oneScreen = !json && io.stdoutIsTTY === true && io.stderrIsTTY === true;
  // Details quote what signers wrote (a refused approval's principal): one printable line each.
  const detail = (i: GateItem) => printable(i.detail);
  if (!oneScreen) for (const i of items) if (!i.ok) io.stderr(`gate: BLOCKED ${i.requirement}: ${detail(i)}\n`);
  if (json) {
    io.stdout(JSON.stringify({ allowed, ...extra, items }) + '\n');
  } else {
    for (const i of items) io.stdout(`${i.ok ? 'ok     ' : 'BLOCKED'} ${i.requirement}: ${detail(i)}\n`);
    io.stdout(`${allowed ? 'ALLOWED' : 'DENIED'}\n`);
  }
  return allowed ? 0 : 1;
}
