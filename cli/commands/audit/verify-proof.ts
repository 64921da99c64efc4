import { parseJsonText, readInputFile } from '../../../core/files';
import { readRecordFile } from '../../lib/records';
import { parseCheckpoint, verifyCheckpoint } from '../../../ledger/checkpoint';
import { requireQuorum } from '../../../ledger/cosignature';
import { checkInclusionProof } from '../../../ledger/inclusion-proof';
import { parseCommandArgs, requireOpt } from '../../lib/args';
import { WITNESS_OPTS, witnessPolicy } from '../../lib/witnesses';
import { CommandIo } from '../../lib/types';
import { ORIGIN_OPT, originFrom, trustedFrom } from './options';

/** `verify-proof --proof FILE --checkpoint FILE --pub PUB... [--envelope FILE]`: offline, no store needed. */
export async function verifyProof(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit verify-proof',
    argv,
    {
      ...ORIGIN_OPT,
      proof: { type: 'string', required: true, arg: 'FILE', help: 'inclusion proof JSON (kfm audit prove)' },
      checkpoint: { type: 'string', required: true },
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
  const cpFile = requireOpt('audit verify-proof', values, 'checkpoint');
  const trusted = trustedFrom('audit verify-proof', values);
  const policy = witnessPolicy('audit verify-proof', values);
  const cp = parseCheckpoint(readInputFile(cpFile, 'checkpoint').toString('utf8'), cpFile);
  verifyCheckpoint(cp, trusted, originFrom(values), cpFile);
  const witnessed = policy.quorum > 0 ? requireQuorum(cp, policy.witnesses, policy.quorum, cpFile) : undefined;
  const parsed = parseJsonText(readInputFile(proofFile, 'proof').toString('utf8'), proofFile, 'inclusion proof JSON');
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
