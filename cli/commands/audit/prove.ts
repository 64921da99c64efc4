import { readInputFile } from '../../../core/files';
import { proveInclusion } from '../../../ledger/inclusion-proof';
import { parseCommandArgs } from '../../lib/args';
import { CommandIo } from '../../lib/types';
import { ORIGIN_OPT, originFrom, seqFrom, STORE_OPTS, storeFrom } from './options';

/** `prove --store STORE --seq N [--checkpoint FILE] [--origin NAME]`: inclusion proof JSON on stdout. */
export async function prove(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit prove',
    argv,
    {
      ...STORE_OPTS,
      ...ORIGIN_OPT,
      seq: { type: 'string', required: true },
      checkpoint: { type: 'string', help: 'prove against this checkpoint', default: 'the whole log' },
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
    ? { source: cpFile, text: readInputFile(cpFile, 'checkpoint').toString('utf8') }
    : undefined;
  const proof = await proveInclusion(store, seq, originFrom(values), checkpoint);
  io.stdout(JSON.stringify(proof, null, 2) + '\n');
  return 0;
}
