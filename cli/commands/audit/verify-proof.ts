import { utf8Text } from '../../../core/json';
import { parseJsonText, readInputFile } from '../../../core/files';
import { readRecordFile } from '../../lib/records';
import { ReceiptError } from '../../../core/errors';
import { parseCheckpoint, SignedCheckpoint, verifyCheckpoint } from '../../../ledger/checkpoint';
import { isTlogProof, parseTlogProof } from '../../../ledger/tlog-proof';
import { requireQuorum } from '../../../ledger/cosignature';
import { checkInclusionProof } from '../../../ledger/inclusion-proof';
import { parseCommandArgs, requireOpt } from '../../lib/args';
import { WITNESS_OPTS, witnessPolicy } from '../../lib/witnesses';
import { CommandIo } from '../../lib/types';
import { ORIGIN_OPT, originFrom, trustedFrom } from './options';

/**
 * The proof and the checkpoint it is checked against: a tlog-proof's own checkpoint (which a
 * `--checkpoint` given too must equal), or for a JSON proof the required `--checkpoint`.
 */
function proofAndCheckpoint(
  proofText: string,
  proofFile: string,
  cpArg: string | undefined,
): { parsed: unknown; cp: SignedCheckpoint; cpFile: string } {
  const given =
    cpArg === undefined ? undefined : parseCheckpoint(utf8Text(readInputFile(cpArg, 'checkpoint'), cpArg, 'checkpoint', 'INPUT_INVALID'), cpArg);
  if (isTlogProof(proofText)) {
    const t = parseTlogProof(proofText, proofFile);
    if (given && (given.text !== t.checkpoint.text || !given.root.equals(t.checkpoint.root))) {
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `${proofFile}: its checkpoint differs from ${cpArg} (another tree or origin)`,
      );
    }
    return { parsed: t.proof, cp: t.checkpoint, cpFile: `${proofFile} (checkpoint)` };
  }
  if (!given) throw new ReceiptError('USAGE', 'kfm audit verify-proof: --checkpoint is required for a JSON proof');
  return { parsed: parseJsonText(proofText, proofFile, 'inclusion proof JSON'), cp: given, cpFile: cpArg! };
}

/** `verify-proof --proof FILE --checkpoint FILE --pub PUB... [--envelope FILE]`: offline, no store needed. */
export async function verifyProof(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit verify-proof',
    argv,
    {
      ...ORIGIN_OPT,
      proof: {
        type: 'string',
        required: true,
        arg: 'FILE',
        help: 'inclusion proof (kfm audit prove): JSON, or a c2sp.org/tlog-proof@v1 file',
      },
      checkpoint: {
        type: 'string',
        help: 'trusted checkpoint (a tlog-proof carries its own; if given too it must be the same)',
        default: 'required for a JSON proof',
      },
      ...WITNESS_OPTS,
      pub: { type: 'string', multiple: true },
      envelope: { type: 'string', arg: 'FILE', help: 'also check the proven entry holds this envelope' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Verify an inclusion proof offline against a signed checkpoint (no store needed).',
      example: 'audit verify-proof --proof proof.json --checkpoint cp.txt --pub keys/kfm-ci.pub',
      exits: '3 when the proof or checkpoint does not verify',
    },
  );
  const proofFile = requireOpt('audit verify-proof', values, 'proof');
  const trusted = trustedFrom('audit verify-proof', values);
  const policy = witnessPolicy('audit verify-proof', values);
  const proofText = utf8Text(readInputFile(proofFile, 'proof'), proofFile, 'proof', 'INPUT_INVALID');
  const { parsed, cp, cpFile } = proofAndCheckpoint(proofText, proofFile, values.checkpoint as string | undefined);
  verifyCheckpoint(cp, trusted, originFrom(values), cpFile);
  const witnessed = policy.quorum > 0 ? requireQuorum(cp, policy.witnesses, policy.quorum, cpFile) : undefined;
  const envFile = typeof values.envelope === 'string' ? values.envelope : undefined;
  const envelope = envFile ? { source: envFile, bytes: readRecordFile(envFile, 'envelope') } : undefined;
  const r = checkInclusionProof(parsed, proofFile, cp, cpFile, envelope);
  io.stdout(
    JSON.stringify({
      ok: true,
      seq: r.seq,
      treeSize: r.treeSize,
      envelopeDigest: r.envelopeDigest,
      entryHash: r.entryHash,
      ...(witnessed ? { witnesses: witnessed.cosigners } : {}),
    }) + '\n',
  );
  return 0;
}
