import { ReceiptError } from '../../../core/errors';
import { writeFileExclusive } from '../../../core/files';
import { newestApplyReceipt } from '../../../gates/apply-gate';
import { CommandAbout, NO_POSITIONALS, parseCommandArgs, parseEnv, requireOpt } from '../../lib/args';
import { CommandIo } from '../../lib/types';
import { gateEvidence, LEDGER_OPTS, ledgerSource } from './ledger-args';

const OPTIONS = {
  ...LEDGER_OPTS,
  kind: { type: 'string', required: true, arg: 'apply', help: 'the kind of record' },
  env: { type: 'string', required: true },
  out: { type: 'string', required: true, help: 'where to write the envelope' },
} as const;

const ABOUT: CommandAbout = {
  summary: 'Write the newest trusted apply receipt of ENV from the ledger (what drift and smoke bind to).',
  example: 'gate evidence --kind apply --env dev --store .kfm/audit --pub keys/kfm-ci.pub --out dev.apply.json',
  exits: '1 when the ledger holds none',
};

/**
 * `kfm gate evidence --kind apply --env ENV --store STORE --pub PUB... --out FILE [--commit SHA]
 *   [--checkpoint FILE...] [--endpoint URL] [--json]`
 *
 * Write the newest trusted apply receipt of ENV (first occurrences only, as the gates count them)
 * to FILE, exactly as appended: what scripts/drift.sh and smoke.sh bind their records to.
 * Exit 1 when there is none, 3 when the ledger does not verify.
 */
export async function evidence(io: CommandIo): Promise<number> {
  const cmd = 'gate evidence';
  const { values } = parseCommandArgs(cmd, io.argv, OPTIONS, NO_POSITIONALS, ABOUT);
  const kind = requireOpt(cmd, values, 'kind');
  if (kind !== 'apply') throw new ReceiptError('USAGE', `kfm ${cmd}: --kind must be "apply"`);
  const env = parseEnv(cmd, requireOpt(cmd, values, 'env'));
  const out = requireOpt(cmd, values, 'out');
  const source = ledgerSource(cmd, values, io.env, false);
  const { ledger, evidence } = await gateEvidence(cmd, source, values, io);
  if (!ledger.integrity.ok) throw new ReceiptError('LOG_INTEGRITY', `kfm ${cmd}: ${ledger.integrity.detail}`);
  const newest = newestApplyReceipt(evidence, env, source.commit || undefined);
  if (!newest) {
    io.stderr(
      `gate: no trusted ${env} apply receipt${source.commit ? ` for commit ${source.commit}` : ''} in ${source.store}\n`,
    );
    return 1;
  }
  const entry = ledger.entries.find((e) => e.seq === newest.seq)!;
  writeFileExclusive(out, entry.envelopeBytes);
  io.stdout(
    values.json === true
      ? JSON.stringify({ kind, env, seq: newest.seq, digest: newest.digest, out }) + '\n'
      : `${out} ${newest.digest} (entry ${newest.seq})\n`,
  );
  return 0;
}
