import { parseAppendable } from '../../../ledger/entry';
import { parseCommandArgs } from '../../lib/args';
import { progress } from '../../lib/progress';
import { isKeylessBundle, readRecordFile } from '../../lib/records';
import { CommandIo } from '../../lib/types';
import { STORE_OPTS, storeFrom } from './options';

/** `append FILE... --store STORE [--endpoint URL]`: all files are checked before anything is written. */
export async function append(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'audit append',
    argv,
    STORE_OPTS,
    { min: 1, max: 10000, names: 'FILE... (DSSE envelopes)' },
    {
      summary: 'Append signed envelopes to the ledger; every file is checked before anything is written.',
      example: 'audit append receipts-out/dev.plan.receipt.json --store .kfm/audit',
    },
  );
  const store = storeFrom('audit append', values, io);
  const inputs = positionals.map((f) => {
    const bytes = readRecordFile(f, 'envelope');
    // A keyless Sigstore bundle is itself the record (its certificate is what is verified).
    if (!isKeylessBundle(bytes, f)) parseAppendable(bytes, f);
    return bytes;
  });
  const bar = progress(io, 'append', inputs.length);
  // A batch reads what its replay checks need first, many requests at once (not one per file).
  if (inputs.length > 1) await store.prepareAppend?.(inputs);
  for (const bytes of inputs) {
    bar.tick();
    // An envelope already in the log is answered with its first entry and not written again.
    const r = await store.append(bytes);
    io.stdout(JSON.stringify({ seq: r.seq, digest: r.digest, ...(r.existing ? { existing: true } : {}) }) + '\n');
  }
  bar.done();
  return 0;
}
