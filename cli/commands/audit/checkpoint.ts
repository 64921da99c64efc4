import { refuseExisting, writeFileExclusive } from '../../../core/files';
import { TrustedKey } from '../../../attest/sign/ed25519';
import { checkpointLog, CheckpointOutcome } from '../../../ledger/checkpointing/checkpoint-log';
import { parseCommandArgs, requireOpt } from '../../lib/args';
import { checkOneKeyOneRole, loadSigningKey, loadTrustedKeys, many } from '../../lib/keys';
import { loadEvidenceKeys } from '../../lib/evidence-keys';
import { WITNESS_OPTS, witnessEndpoints, witnessPolicy, witnessTimeoutMs } from '../../lib/witnesses';
import { CommandIo } from '../../lib/types';
import { checkpointFiles, ORIGIN_OPT, originFrom, resumeFrom, STORE_OPTS, storeFrom } from './options';

/**
 * `checkpoint --store STORE --key KEY --out FILE [--pub PUB...] [--approver NAME=PUB...] [--checkpoint FILE...] [--since FILE] [--origin NAME]
 *   [--witness NAME=PUB --witness-url NAME=URL ... --quorum N --witness-timeout SECONDS]`
 * With witnesses, the note is stored and written only when `--quorum` of them cosigned it.
 */
export async function checkpoint(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit checkpoint',
    argv,
    {
      ...STORE_OPTS,
      ...ORIGIN_OPT,
      ...WITNESS_OPTS,
      key: { type: 'string', required: true },
      out: { type: 'string', required: true },
      pub: {
        type: 'string',
        multiple: true,
        help: 'trusted key of the entries (verified before signing)',
        default: 'entry signatures not checked',
      },
      approver: {
        type: 'string',
        multiple: true,
        arg: 'NAME=PUB',
        help: "an approver's key: approvals it signed verify; never trusted for checkpoints or indexes (unlike --pub)",
      },
      checkpoint: { type: 'string', multiple: true, arg: 'FILE', help: 'earlier checkpoint the log must extend' },
      since: {
        type: 'string',
        arg: 'FILE',
        help: 'a trusted checkpoint with an index in the store: verify and index only what came after it',
        default: 'the whole log',
      },
      'witness-url': { type: 'string', multiple: true, arg: 'NAME=URL', help: 'witness to ask for a cosignature' },
      'witness-timeout': {
        type: 'string',
        arg: 'SECONDS',
        help: 'how long to wait for each witness (whole seconds, 1 to 999)',
        default: '10',
      },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Sign a checkpoint (C2SP note: origin, size, root) of the ledger.',
      example: 'audit checkpoint --store .kfm/audit --key .kfm/keys/kfm-signing.key --out cp.txt',
    },
  );
  const keyPath = requireOpt('audit checkpoint', values, 'key');
  const out = requireOpt('audit checkpoint', values, 'out');
  const key = loadSigningKey(keyPath);
  const policy = witnessPolicy('audit checkpoint', values);
  const endpoints = witnessEndpoints('audit checkpoint', values, policy);
  const timeoutMs = witnessTimeoutMs('audit checkpoint', values);
  refuseExisting(out);
  const pubs = loadTrustedKeys(many(values.pub));
  const { approvers } = loadEvidenceKeys('audit checkpoint', values);
  const store = storeFrom('audit checkpoint', values, io);
  const origin = originFrom(values);
  const own: TrustedKey = { publicKey: key.publicKey, keyid: key.keyid, source: `${keyPath} (public part)` };
  checkOwnKeyRole(own, policy.witnesses, approvers);
  const checkpoints = checkpointFiles(values);
  // --since: the checkpoint verified earlier vouches for the log up to it (it was signed only
  // after a verify); verify what came after it and continue its index.
  const since = await resumeFrom(io, store, values.since, [own, ...pubs], origin, checkpoints, own);
  const r = await checkpointLog(store, {
    origin,
    key,
    own,
    pubs,
    approvers,
    checkpoints,
    since,
    endpoints,
    ...policy,
    timeoutMs,
    onVerified: () => {
      if (pubs.length === 0)
        io.stderr('kfm: note: entry signatures not checked (no --pub); chain, tree and stored checkpoints verified\n');
    },
    onAnswer: (x) => io.stderr(`kfm: witness ${x.witness}: ${x.answer}\n`),
  });
  writeFileExclusive(out, r.note);
  io.stdout(JSON.stringify(outcomeJson(r, out, policy.quorum)) + '\n');
  return 0;
}

/** What `audit checkpoint` prints (keys in this order; with witnesses, who cosigned and what each answered). */
function outcomeJson(r: CheckpointOutcome, out: string, quorum: number): Record<string, unknown> {
  const root = r.root.toString('base64');
  const w = r.witnessed;
  if (w === undefined) return { size: r.size, root, out, stored: r.stored, index: r.index };
  return {
    size: r.size,
    root,
    out,
    stored: r.stored,
    quorum,
    cosigners: w.cosigners,
    witnesses: w.answers.map((x) => ({ name: x.witness, cosigned: x.cosigned, answer: x.answer })),
    index: r.index,
  };
}

/**
 * The log's checkpoint key may be a --pub too, never a witness's or an approver's: a witness
 * with the log's own key would "witness" the log's own rollback (exit 2, naming both uses).
 */
function checkOwnKeyRole(
  own: TrustedKey,
  witnesses: readonly { name: string; key: TrustedKey }[],
  approvers: readonly { name: string; key: TrustedKey }[],
): void {
  checkOneKeyOneRole('audit checkpoint', [
    { role: 'key', name: '', key: own },
    ...witnesses.map((w) => ({ role: 'witness', name: w.name, key: w.key })),
    ...approvers.map((a) => ({ role: 'approver', name: a.name, key: a.key })),
  ]);
}
