import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { ReceiptError } from '../../../core/errors';
import { judgePlanFile } from '../../../gates/apply-gate';
import { pinnedBundleDigest } from '../../../gates/pins';
import { Evidence, Rejected } from '../../../gates/evidence';
import { approvalItems, evaluatePromotion, GateItem, judgePlanReceipt } from '../../../gates/promote';
import { judgeWithUnwitnessed } from '../../../gates/unwitnessed';
import { CommandAbout, NO_POSITIONALS, parseCommandArgs, parseEnv, requireOpt } from '../../lib/args';
import { CommandIo } from '../../lib/types';
import { gateEvidence, LEDGER_OPTS, ledgerJson, ledgerSource, printDecision } from './ledger-args';

const OPTIONS = {
  ...LEDGER_OPTS,
  env: { type: 'string', required: true },
  'plan-file': { type: 'string', required: true, help: 'the plan file about to be applied' },
} as const;

const ABOUT: CommandAbout = {
  summary: 'Allow applying a plan file only if it is the newest approved, receipted plan for ENV.',
  example:
    'gate apply --env stage --plan-file plans/stage.tfplan --store .kfm/audit --pub keys/kfm-ci.pub --commit 0123abc',
  exits: '1 when the apply is refused',
};

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ReceiptError(
      code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'IO_ERROR',
      `${path}: cannot read plan file (${code ?? 'error'})`,
    );
  }
  return h.digest('hex');
}

/**
 * `kfm gate apply --env ENV --plan-file TFPLAN --store STORE --pub PUB... --commit SHA
 *   [--approver NAME=PUB...] [--checkpoint FILE...] [--endpoint URL] [--json]`
 *
 * Apply exactly what was approved: allowed only when the plan file's sha256 is a subject of the
 * latest trusted plan receipt for ENV and the commit, that receipt passes policy with the pinned
 * bundle, and (stage, prod) the promotion gate into ENV holds for it; (audit, bootstrap) an
 * independent approval of that receipt is in the ledger, as for prod.
 */
export async function apply(io: CommandIo): Promise<number> {
  const cmd = 'gate apply';
  const { values } = parseCommandArgs(cmd, io.argv, OPTIONS, NO_POSITIONALS, ABOUT);
  const env = parseEnv(cmd, requireOpt(cmd, values, 'env'));
  const planFile = requireOpt(cmd, values, 'plan-file');
  const source = ledgerSource(cmd, values, io.env);
  const { commit } = source;
  const planHex = await sha256File(planFile);
  const gathered = await gateEvidence(cmd, source, values, io);
  const { ledger, evidence } = gathered;
  const { planReceipt } = judgePlanFile(evidence, env, commit, planFile, planHex);
  const judge = (ev: Evidence[], rejected: Rejected[]): GateItem[] => {
    const items = [judgePlanFile(ev, env, commit, planFile, planHex).item];
    const input = { commit, evidence: ev, rejected, pinnedBundle: pinnedBundleDigest };
    // dev is the first tier: only its own plan receipt's checks apply.
    if (env === 'dev') items.push(judgePlanReceipt({ ...input, to: 'stage' }, 'dev').item);
    else if (env === 'stage' || env === 'prod') items.push(...evaluatePromotion({ ...input, to: env }).items);
    else {
      // audit and bootstrap: outside the promotion order, approved like prod (docs/gates.md).
      const judged = judgePlanReceipt({ ...input, to: 'prod' }, env);
      items.push(judged.item, ...approvalItems(input, judged.plan, env));
    }
    return items;
  };
  const items: GateItem[] = [ledger.integrity, ...judgeWithUnwitnessed(judge, gathered)];
  const allowed = items.every((i) => i.ok);
  return printDecision(io, values.json === true, allowed, items, {
    env,
    commit,
    plan_file: { path: planFile, sha256: planHex },
    plan_receipt: planReceipt ? { digest: planReceipt.digest, seq: planReceipt.seq } : null,
    ledger: ledgerJson(gathered),
  });
}
