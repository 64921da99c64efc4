import { verifyLog } from '../../../ledger/verify';
import { loadEvidenceKeys } from '../../lib/evidence-keys';
import { IDENTITY_OPTS } from '../../lib/identity-trust';
import { parseCommandArgs } from '../../lib/args';
import { progress } from '../../lib/progress';
import { WITNESS_OPTS, witnessPolicy } from '../../lib/witnesses';
import { CommandIo } from '../../lib/types';
import { checkpointFiles, ORIGIN_OPT, originFrom, resumeFrom, STORE_OPTS, storeFrom, trustedFrom } from './options';

/**
 * `verify --store STORE --pub PUB... [--approver NAME=PUB...] [--trusted-root FILE
 * --identity-policy FILE] [--checkpoint FILE...] [--strict] [--json] [--origin NAME]`. Junk (what
 * no trusted key or identity signed) is listed as notes and fails the run only with --strict.
 */
export async function verify(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit verify',
    argv,
    {
      ...STORE_OPTS,
      ...ORIGIN_OPT,
      pub: { type: 'string', multiple: true },
      approver: { type: 'string', multiple: true },
      ...IDENTITY_OPTS,
      strict: {
        type: 'boolean',
        help: 'junk (objects no trusted key signed: stray files, foreign envelopes, unsigned bundles or indexes) fails the run',
        default: 'junk is listed as notes, exit 0',
      },
      ...WITNESS_OPTS,
      checkpoint: { type: 'string', multiple: true },
      since: {
        type: 'string',
        arg: 'FILE',
        help: 'a verified checkpoint: check only what was appended after it (consistency and the new entries)',
        default: 'the whole log',
      },
      json: { type: 'boolean' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Verify the whole ledger: every signature, the hash chain, the Merkle tree and every checkpoint.',
      example: 'audit verify --store .kfm/audit --pub keys/kfm-ci.pub --checkpoint cp.txt',
      exits: '3 when any check fails (or, with --strict, when the store holds junk)',
    },
  );
  const trusted = trustedFrom('audit verify', values);
  const { approvers, identities } = loadEvidenceKeys('audit verify', values);
  const policy = witnessPolicy('audit verify', values);
  const store = storeFrom('audit verify', values, io);
  const checkpoints = checkpointFiles(values);
  // --since CP: only what was added after a verified checkpoint (its index gives the tree).
  const since = await resumeFrom(io, store, values.since, trusted, originFrom(values), checkpoints);
  const bar = progress(io, 'verify');
  const report = await verifyLog(store, {
    trusted,
    checkpoints,
    origin: originFrom(values),
    ...policy,
    since,
    approvers,
    identities,
    strict: values.strict === true,
    onEntry: () => bar.tick(),
  });
  bar.done();
  for (const n of report.notes) io.stderr(`kfm: note: ${n}\n`);
  // Junk: never evidence; a note, or with --strict a failure.
  const junkLabel = values.strict ? 'LOG_JUNK' : 'note: junk';
  for (const j of report.junk) io.stderr(`kfm: ${junkLabel}: ${j}\n`);
  if (report.junkCount > report.junk.length)
    io.stderr(`kfm: ${junkLabel}: ... and ${report.junkCount - report.junk.length} more object(s) no trusted key signed\n`);
  for (const p of report.problems) io.stderr(`kfm: LOG_INTEGRITY: ${p}\n`);
  if (report.problemCount > report.problems.length) {
    io.stderr(`kfm: LOG_INTEGRITY: ... and ${report.problemCount - report.problems.length} more problem(s)\n`);
  }
  if (values.json) io.stdout(JSON.stringify(report) + '\n');
  else if (report.ok) {
    io.stdout(
      `ok: ${report.size} entries, root ${report.root}, ${report.checkpoints.length} checkpoint(s) consistent${
        policy.quorum > 0
          ? `, ${report.checkpoints.filter((c) => c.witnessed).length} witnessed (quorum ${policy.quorum})`
          : ''
      }${report.junkCount > 0 ? `; ${report.junkCount} junk object(s) no trusted key signed (not evidence; --strict fails on them)` : ''}\n`,
    );
  } else
    io.stdout(
      `FAILED: ${report.problemCount} problem(s)${report.problemCount === 0 ? `, ${report.junkCount} junk object(s) (--strict)` : ''} in ${report.store} (${report.size} entries read)\n`,
    );
  return report.ok ? 0 : 3;
}
