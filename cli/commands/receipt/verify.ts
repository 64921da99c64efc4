import { readInputFile } from '../../../core/files';
import { CommandAbout, OptionSpec, parseCommandArgs } from '../../lib/args';
import { IDENTITY_OPTS, loadIdentityTrust, SIGNER_PUB_OPT } from '../../lib/identity-trust';
import { CommandIo } from '../../lib/types';
import { keys as keyLib } from './lazy';
import { ENVELOPE, strs } from './shared';

const OPTIONS: OptionSpec = {
  ...SIGNER_PUB_OPT,
  ...IDENTITY_OPTS,
  json: { type: 'boolean' },
};

const ABOUT: CommandAbout = {
  summary: 'Verify a receipt (DSSE envelope or Sigstore bundle) with trusted keys or trusted identities, offline.',
  example: 'receipt verify dev.plan.receipt.json --pub keys/kfm-ci.pub',
  exits: '3 when no trusted key or identity verifies it',
};

export function verify(io: CommandIo): number {
  const cmd = 'receipt verify';
  const { values: v, positionals } = parseCommandArgs(cmd, io.argv, OPTIONS, ENVELOPE, ABOUT);
  const identities = loadIdentityTrust(cmd, v);
  const keys = identities ? keyLib().loadTrustedKeys(strs(v, 'pub')) : keyLib().requireTrustedKeys(cmd, strs(v, 'pub'));
  const path = positionals[0]!;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { recordBytes } =
    require('../../../attest/sigstore/bundle') as typeof import('../../../attest/sigstore/bundle');
  const { readVerifiedRecord, signerLabel } =
    require('../../../attest/sigstore/trusted-signer') as typeof import('../../../attest/sigstore/trusted-signer');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const r = readVerifiedRecord(recordBytes(readInputFile(path, 'envelope'), path), path, keys, identities);
  const p = r.predicate;
  const signer = signerLabel(r.signedBy);
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
        // An approval's principal (who approves), for callers that check it against a login.
        ...(typeof p.principal === 'string' ? { principal: p.principal } : {}),
        ...(r.signedBy.kind === 'identity'
          ? { identity: r.signedBy.identity, roles: r.signedBy.trusted.map((t) => t.role) }
          : {}),
      }) + '\n',
    );
  } else
    io.stdout(
      `verified ${path}: ${String(p.kind ?? r.predicateType)} env=${String(p.env ?? '-')} ${r.envelopeDigest} ${r.signedBy.kind === 'key' ? 'key' : 'identity'} ${signer}\n`,
    );
  return 0;
}
