import { ReceiptError } from '../../../core/errors';
import { ENTRY_KINDS, EntryKind, summarizeEnvelope } from '../../../gates/entry-summary';
import { parseCommandArgs } from '../../lib/args';
import { CommandIo } from '../../lib/types';
import { STORE_OPTS, storeFrom } from './options';

/**
 * `list --store STORE [--env ENV] [--commit SHA] [--kind KIND] [--json]`: one line per entry: seq,
 * kind, env, commit, time, signer key id and digest. Signatures are not checked here (the key id
 * is as the envelope claims it): `kfm audit verify` checks them.
 */
export async function list(io: CommandIo, argv: readonly string[]): Promise<number> {
  const { values } = parseCommandArgs(
    'audit list',
    argv,
    {
      ...STORE_OPTS,
      env: { type: 'string', help: 'only entries for this environment', default: 'all' },
      commit: { type: 'string', help: 'only entries for this commit (or a prefix of it, >= 7 hex)', default: 'all' },
      kind: { type: 'string', arg: 'KIND', help: `only this kind: ${ENTRY_KINDS.join(', ')}`, default: 'all' },
      json: { type: 'boolean', help: 'one JSON object per line', default: 'aligned columns with a header' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'List the ledger: seq, kind, env, commit, time, signer key id (unverified) and digest.',
      example: 'audit list --store .kfm/audit --env prod --kind approval',
    },
  );
  const kind = typeof values.kind === 'string' ? values.kind : undefined;
  if (kind !== undefined && !(ENTRY_KINDS as readonly string[]).includes(kind))
    throw new ReceiptError('USAGE', `kfm audit list: --kind must be one of ${ENTRY_KINDS.join(', ')}`);
  const envF = typeof values.env === 'string' ? values.env : undefined;
  const commitF = typeof values.commit === 'string' ? values.commit.toLowerCase() : undefined;
  if (commitF !== undefined && !/^[0-9a-f]{7,64}$/.test(commitF))
    throw new ReceiptError('USAGE', `kfm audit list: --commit is not a hex commit SHA (7-64 hex digits)`);
  const store = storeFrom('audit list', values, io);
  if (!values.json)
    io.stdout(
      `${'SEQ'.padEnd(8)} ${'KIND'.padEnd(9)} ${'ENV'.padEnd(5)} ${'COMMIT'.padEnd(12)} ${'TIME'.padEnd(24)} ${'SIGNER'.padEnd(16)} DIGEST\n`,
    );
  for await (const e of store.entries()) {
    const sum = summarizeEnvelope(e.envelopeBytes, store.entryName(e.seq));
    if (kind !== undefined && sum.kind !== (kind as EntryKind)) continue;
    if (envF !== undefined && sum.env !== envF) continue;
    if (commitF !== undefined && !(sum.commit ?? '').toLowerCase().startsWith(commitF)) continue;
    if (values.json)
      io.stdout(
        JSON.stringify({
          seq: e.seq,
          digest: e.digest,
          payloadType: sum.payloadType,
          predicateType: sum.predicateType,
          kind: sum.kind,
          env: sum.env,
          commit: sum.commit,
          time: sum.time,
          keyid: sum.keyid,
          verdict: sum.verdict,
        }) + '\n',
      );
    else
      io.stdout(
        [
          String(e.seq).padEnd(8),
          sum.kind.padEnd(9),
          printable(sum.env ?? '-', 5),
          printable((sum.commit ?? '-').slice(0, 12), 12),
          printable(sum.time ?? '-', 24),
          printable((sum.keyid ?? '-').slice(0, 16), 16),
          e.digest,
        ].join(' ') + '\n',
      );
  }
  return 0;
}

/** A column from signed-but-unverified input: no control characters, at most `w` wide. */
function printable(v: string, w: number): string {
  return v
    .replace(/[^\x20-\x7e]/g, '?')
    .slice(0, Math.max(w, 20))
    .padEnd(w);
}
