import { ReceiptError } from '../../core/errors';
import { refuseExisting, writeFileExclusive } from '../../core/files';
import { generateP256Pem } from '../../attest/sign/p256';
import { parseSigningKey, SigningKey } from '../../attest/sign/ed25519';
import { approvalStatement } from '../../gates/approval';
import { PREDICATE_TYPES } from '../../attest/predicate-types';
import { signPipelineStatement } from '../../attest/pipeline-statement';
import { NO_POSITIONALS, parseCommandArgs, parseEnv, requireOpt, SIGNED_OUTPUT_OPTS } from '../lib/args';
import { eventTime } from '../lib/clock';
import { IDENTITY_OPTS, loadIdentityTrust } from '../lib/identity-trust';
import { keylessOptionsOf, SIGSTORE_SERVICE_OPTS } from '../lib/keyless';
import { loadSigningKey, loadTrustedKeys, many } from '../lib/keys';
import { BUNDLE_OPT, readRecordFile, writeBundleOption } from '../lib/records';
import { Command } from '../lib/types';

const OPTIONS = {
  env: { type: 'string', required: true },
  'plan-receipt': { type: 'string', required: true, help: 'the signed plan receipt approved (by its digest)' },
  principal: { type: 'string', required: true, arg: 'LOGIN', help: 'who approves (a GitHub login)' },
  ...SIGNED_OUTPUT_OPTS,
  ...BUNDLE_OPT,
  key: {
    type: 'string',
    help: "the approver's own private key",
    default: 'required unless --keyless (then a fresh P-256 key in memory)',
  },
  keyless: {
    type: 'boolean',
    help: 'sign with your own Sigstore identity (OIDC login, SIGSTORE_ID_TOKEN): --out is a keyless bundle',
    default: 'signed with --key',
  },
  ...SIGSTORE_SERVICE_OPTS,
  'change-record': { type: 'string', arg: 'ID', help: 'change record id (required for prod)', default: 'none' },
  pub: {
    type: 'string',
    multiple: true,
    help: "verify the plan receipt's signature with this key first",
    default: 'not verified here',
  },
  ...IDENTITY_OPTS,
} as const;

/**
 * `kfm approve --env ENV --plan-receipt R --principal NAME (--key KEY | --keyless [--fulcio-url URL]
 *   [--rekor-url URL] [--tsa-url URL]) --out A [--change-record ID] [--pub PUB...]
 *   [--trusted-root FILE --identity-policy FILE] [--timestamp RFC3339] [--json]`
 *
 * Writes a signed approval of one plan receipt (by its envelope digest, gates/approval.ts). The
 * approver signs with their own key, or with `--keyless` under their own Sigstore identity (the
 * OIDC login in SIGSTORE_ID_TOKEN, e.g. `npx sigstore token`): a key made in memory signs the
 * approval, Fulcio certifies it for that identity, and --out is the keyless bundle, which the gates
 * count when the identity policy names that identity as an approver with this principal. The prod
 * gate refuses approvals by the change's author or by the signer of the plan receipt. With --pub
 * (or the identity flags) the plan receipt's signature is verified first.
 */
export const approve: Command = async (io) => {
  const cmd = 'approve';
  const { values } = parseCommandArgs(cmd, io.argv, OPTIONS, NO_POSITIONALS, {
    summary: 'Sign an approval of one plan receipt, as someone other than its author.',
    example:
      'approve --env prod --plan-receipt prod.plan.receipt.json --principal alice --key ~/.kfm/alice.key --change-record CHG-1 --out prod.approval.json',
  });
  const env = parseEnv(cmd, requireOpt(cmd, values, 'env'));
  const receiptPath = requireOpt(cmd, values, 'plan-receipt');
  const principal = requireOpt(cmd, values, 'principal');
  const out = requireOpt(cmd, values, 'out');
  const keyless = values.keyless === true;
  const key = approverKey(cmd, values, keyless);
  const trusted = loadTrustedKeys(many(values.pub));
  const changeRecord = values['change-record'] as string | undefined;
  if (changeRecord !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._:/-]{1,63}$/.test(changeRecord)) {
    throw new ReceiptError(
      'USAGE',
      `kfm ${cmd}: --change-record "${changeRecord}" must be an id like CR-1234 (letters, digits, . _ : / -)`,
    );
  }
  const a = approvalStatement({
    env,
    principal,
    changeRecord,
    receipt: { bytes: readRecordFile(receiptPath, 'plan receipt'), source: receiptPath },
    trusted,
    identities: loadIdentityTrust(cmd, values),
    at: eventTime(cmd, values.timestamp as string | undefined, io.env),
  });
  const signed = signPipelineStatement(PREDICATE_TYPES.approval, a.subject, a.predicate, key);
  let record: { bytes: Buffer; digest: string } = { bytes: Buffer.from(signed.bytes), digest: signed.digest };
  if (keyless) {
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { certifyEnvelope } =
      require('../../attest/sigstore/keyless') as typeof import('../../attest/sigstore/keyless');
    /* eslint-enable @typescript-eslint/no-require-imports */
    record = await certifyEnvelope(record.bytes, out, keylessOptionsOf(cmd, values, key));
  }
  writeFileExclusive(out, record.bytes);
  writeBundleOption(values, record.bytes, out);
  io.stdout(
    values.json
      ? JSON.stringify({ digest: record.digest, out, plan_receipt: a.planReceipt }) + '\n'
      : `${out} ${record.digest}\n`,
  );
  return 0;
};

/**
 * The key that signs the approval: `--key`; with `--keyless`, `--key` if given (a P-256 key) else
 * a fresh P-256 key in memory, which Fulcio certifies (gone when the process ends). `--bundle`
 * with `--keyless` is refused: --out already is the bundle.
 */
function approverKey(cmd: string, values: Record<string, unknown>, keyless: boolean): SigningKey {
  if (!keyless) {
    for (const f of Object.keys(SIGSTORE_SERVICE_OPTS)) {
      if (values[f] !== undefined) throw new ReceiptError('USAGE', `kfm ${cmd}: --${f} goes with --keyless`);
    }
    return loadSigningKey(requireOpt(cmd, values, 'key'));
  }
  if (values.bundle !== undefined) {
    throw new ReceiptError('USAGE', `kfm ${cmd}: --keyless writes a Sigstore bundle to --out; drop --bundle`);
  }
  refuseExisting(requireOpt(cmd, values, 'out'), 'choose another --out', 'an approval');
  if (typeof values.key === 'string') return loadSigningKey(values.key);
  return parseSigningKey(generateP256Pem().privatePem, 'the approval key (in memory)');
}
