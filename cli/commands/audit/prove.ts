import { utf8Text } from '../../../core/json';
import { readInputFile } from '../../../core/files';
import { ReceiptError } from '../../../core/errors';
import { proveInclusion } from '../../../ledger/inclusion-proof';
import { formatTlogProof } from '../../../ledger/tlog-proof';
import { parseCommandArgs } from '../../lib/args';
import { CommandIo } from '../../lib/types';
import { ORIGIN_OPT, originFrom, seqFrom, STORE_OPTS, storeFrom } from './options';

/** `prove --store STORE --seq N [--checkpoint FILE] [--origin NAME] [--format json|tlog-proof]`: the inclusion proof on stdout. */
export async function prove(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit prove',
    argv,
    {
      ...STORE_OPTS,
      ...ORIGIN_OPT,
      seq: { type: 'string', required: true },
      checkpoint: { type: 'string', help: 'prove against this checkpoint', default: 'the whole log' },
      format: {
        type: 'string',
        arg: 'json|tlog-proof',
        help: 'json (kfm-audit-inclusion-proof/1) or tlog-proof (c2sp.org/tlog-proof@v1: index, path, the --checkpoint)',
        default: 'json',
      },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Print the inclusion proof of one entry as JSON.',
      example: 'audit prove --store .kfm/audit --seq 3 --checkpoint cp.txt > proof.json',
    },
  );
  const seq = seqFrom('audit prove', values);
  const store = storeFrom('audit prove', values, io);
  const cpFile = typeof values.checkpoint === 'string' ? values.checkpoint : undefined;
  const checkpoint = cpFile
    ? { source: cpFile, text: utf8Text(readInputFile(cpFile, 'checkpoint'), cpFile, 'checkpoint', 'INPUT_INVALID') }
    : undefined;
  const format = values.format ?? 'json';
  if (format !== 'json' && format !== 'tlog-proof')
    throw new ReceiptError('USAGE', 'kfm audit prove: --format must be json or tlog-proof');
  if (format === 'tlog-proof' && !checkpoint)
    throw new ReceiptError(
      'USAGE',
      'kfm audit prove: --format tlog-proof needs --checkpoint (the proof carries the checkpoint it leads to)',
    );
  const proof = await proveInclusion(store, seq, originFrom(values), checkpoint);
  io.stdout(format === 'tlog-proof' ? formatTlogProof(proof, checkpoint!.text) : JSON.stringify(proof, null, 2) + '\n');
  return 0;
}
