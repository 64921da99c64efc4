import { parseCommandArgs } from '../../lib/args';
import { CommandIo } from '../../lib/types';
import { seqFrom, STORE_OPTS, storeFrom } from './options';

/** `get --store STORE --seq N`: the envelope bytes exactly as appended. */
export async function get(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit get',
    argv,
    { ...STORE_OPTS, seq: { type: 'string', required: true } },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Print the envelope of one entry exactly as appended.',
      example: 'audit get --store .kfm/audit --seq 3 > entry.json',
    },
  );
  const seq = seqFrom('audit get', values);
  const store = storeFrom('audit get', values, io);
  const e = store.logEntry ? await store.logEntry(seq) : await store.get(seq);
  io.stdout(e.envelopeBytes.toString('utf8'));
  return 0;
}
