import { CommandAbout, OptionSpec, parseCommandArgs } from '../../lib/args';
import { CommandIo } from '../../lib/types';
import { ENVELOPE, readVerifiedArg } from './shared';

const OPTIONS: OptionSpec = { pub: { type: 'string', multiple: true, required: true }, json: { type: 'boolean' } };

const ABOUT: CommandAbout = {
  summary: 'Verify a receipt (DSSE envelope) with trusted public keys, offline.',
  example: 'receipt verify dev.plan.receipt.json --pub keys/kfm-ci.pub',
  exits: '3 when no trusted key verifies it',
};

export function verify(io: CommandIo): number {
  const cmd = 'receipt verify';
  const { values: v, positionals } = parseCommandArgs(cmd, io.argv, OPTIONS, ENVELOPE, ABOUT);
  const { path, r } = readVerifiedArg(cmd, v, positionals);
  const p = r.predicate;
  if (v.json === true) {
    io.stdout(
      JSON.stringify({
        verified: true,
        digest: r.envelopeDigest,
        keyid: r.key.keyid,
        predicateType: r.predicateType,
        kind: p.kind ?? null,
        env: p.env ?? null,
        subject: r.statement.subject,
      }) + '\n',
    );
  } else
    io.stdout(
      `verified ${path}: ${String(p.kind ?? r.predicateType)} env=${String(p.env ?? '-')} ${r.envelopeDigest} key ${r.key.keyid}\n`,
    );
  return 0;
}
