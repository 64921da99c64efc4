import { initStore } from '../../../ledger/init-store';
import { openStore } from '../../../ledger/open-store';
import { parseCommandArgs } from '../../lib/args';
import { CommandIo } from '../../lib/types';
import { STORE_OPTS, storeFrom } from './options';

/**
 * `init --store STORE [--endpoint URL] [--json]`: create the store explicitly (a directory and its
 * folders; for S3 the bucket is the audit stack's, so init checks that it answers). `kfm audit
 * append` refuses a store that does not exist, so a mistyped --store never starts a new ledger.
 */
export async function init(io: CommandIo, argv: readonly string[]): Promise<number> {
  const cmd = 'audit init';
  const { values } = parseCommandArgs(
    cmd,
    argv,
    { ...STORE_OPTS, json: { type: 'boolean', help: 'print {store, created, entries}', default: 'one line' } },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Create an audit store (appends refuse a store that does not exist); idempotent.',
      example: 'audit init --store .kfm/audit',
    },
  );
  storeFrom(cmd, values, io); // checks --store and --endpoint before anything is created
  const endpoint = typeof values.endpoint === 'string' ? values.endpoint : undefined;
  const r = await initStore(values.store as string, (spec) => openStore(spec, { endpoint, env: io.env }));
  if (values.json === true) io.stdout(JSON.stringify(r) + '\n');
  else io.stdout(`${r.store}: ${r.created ? 'created' : 'already a store'}, ${r.entries} entries\n`);
  return 0;
}
