/**
 * `kfm audit mirror --from STORE --to STORE [--endpoint URL] [--to-endpoint URL] [--json]`: copy the
 * ledger (entries, bundles, index, checkpoints) into a second store and check that both have the same
 * root at every checkpoint. Run again to resume; the mirror's existing content is compared, never
 * overwritten, and a store that disagrees is refused (ledger/mirror.ts). Restoring is the same
 * command with the stores swapped: `--from MIRROR --to NEW-PRIMARY`.
 */
import { openStore } from '../../../ledger/open-store';
import { mirrorLedger } from '../../../ledger/mirror';
import { parseCommandArgs, requireOpt } from '../../lib/args';
import { progress } from '../../lib/progress';
import { CommandIo } from '../../lib/types';

export async function mirror(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit mirror',
    argv,
    {
      from: {
        type: 'string',
        required: true,
        arg: 'STORE',
        help: 'the ledger to copy (directory or s3://BUCKET/PREFIX)',
      },
      to: {
        type: 'string',
        required: true,
        arg: 'STORE',
        help: 'the mirror: empty, or holding a prefix of the same ledger',
      },
      endpoint: { type: 'string' },
      'to-endpoint': { type: 'string', arg: 'URL', help: 'S3 endpoint of --to', default: '--endpoint' },
      json: { type: 'boolean' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary:
        'Mirror the ledger into another store (resumable, never overwrites) and compare roots at each checkpoint.',
      example: 'audit mirror --from s3://kfm-audit-prod/audit --to s3://kfm-audit-prod-replica/audit',
      exits: '3 when the mirror holds content that disagrees, or a root differs',
    },
  );
  const endpoint = typeof values.endpoint === 'string' ? values.endpoint : undefined;
  const toEndpoint = typeof values['to-endpoint'] === 'string' ? values['to-endpoint'] : endpoint;
  const from = openStore(requireOpt('audit mirror', values, 'from'), { endpoint, env: io.env });
  const to = openStore(requireOpt('audit mirror', values, 'to'), { endpoint: toEndpoint, env: io.env });
  const bar = progress(io, 'mirror');
  const report = await mirrorLedger(from, to, { onEntry: () => bar.tick() });
  bar.done();
  if (values.json) {
    io.stdout(JSON.stringify(report) + '\n');
    return 0;
  }
  const { entries: e, derived: d, checkpoints: c } = report;
  io.stdout(
    `ok: ${e.copied + e.present} entries (${e.copied} copied), ${d.copied + d.present} bundles and index files (${d.copied} copied), ` +
      `${c.copied + c.present} checkpoints (${c.copied} copied); same root at each checkpoint\n`,
  );
  for (const r of report.roots) io.stdout(`  size ${r.size} root ${r.root}\n`);
  return 0;
}
