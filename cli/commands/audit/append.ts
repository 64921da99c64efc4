import { hasIndexNotes, verifiedAppendStart } from '../../../ledger/append-start';
import { parseAppendable } from '../../../ledger/entry';
import { requireStore } from '../../../ledger/init-store';
import { openStore } from '../../../ledger/open-store';
import { parseCommandArgs } from '../../lib/args';
import { loadTrustedKeys, many } from '../../lib/keys';
import { progress } from '../../lib/progress';
import { isKeylessBundle, readRecordFile } from '../../lib/records';
import { CommandIo } from '../../lib/types';
import { STORE_OPTS, storeFrom } from './options';

/**
 * `append FILE... --store STORE [--endpoint URL] [--init] [--log-pub PUB...]`: all files are checked
 * before anything is written, and the store must exist (`kfm audit init`) unless `--init` creates it.
 * With the log's public key, the chain is read from the newest index note that verifies under it
 * (ledger/append-start.ts) instead of from entry 1; what is appended, and where, is the same.
 */
export async function append(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'audit append',
    argv,
    {
      ...STORE_OPTS,
      init: {
        type: 'boolean',
        help: 'create the store first if it does not exist (as kfm audit init); without it a missing store is refused',
        default: 'refuse a store that does not exist',
      },
      'log-pub': {
        type: 'string',
        multiple: true,
        arg: 'PUB',
        help: "the log's key (signs checkpoints and index notes): start from the newest index note that verifies under it instead of reading the log from entry 1",
        default: 'read the log from entry 1',
      },
    },
    { min: 1, max: 10000, names: 'FILE... (DSSE envelopes)' },
    {
      summary: 'Append signed envelopes to the ledger; every file is checked before anything is written.',
      example: 'audit append receipts-out/dev.plan.receipt.json --store .kfm/audit',
    },
  );
  const store = storeFrom('audit append', values, io);
  const logKeys = loadTrustedKeys(many(values['log-pub']));
  const inputs = positionals.map((f) => {
    const bytes = readRecordFile(f, 'envelope');
    // A keyless Sigstore bundle is itself the record (its certificate is what is verified).
    if (!isKeylessBundle(bytes, f)) parseAppendable(bytes, f);
    return bytes;
  });
  // After every file is checked, before anything is written: the store must exist (or --init).
  const endpoint = typeof values.endpoint === 'string' ? values.endpoint : undefined;
  const spec = values.store as string;
  await requireStore(spec, store, values.init === true, (s) => openStore(s, { endpoint, env: io.env }));
  if (logKeys.length > 0 && store.startAt && store.entryVersions) {
    const start = await verifiedAppendStart(store, logKeys, (seq, wanted) => store.entryVersions!(seq, wanted));
    if (start !== undefined) store.startAt(start);
    // Said only when the store holds notes and none of them will do (a young ledger has none yet).
    else if (await hasIndexNotes(store))
      io.stderr('kfm: note: no index note verifies under --log-pub; reading the log from entry 1\n');
  }
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
