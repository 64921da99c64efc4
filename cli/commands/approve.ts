import { ReceiptError } from '../../core/errors';
import { writeFileExclusive } from '../../core/files';
import { approvalStatement } from '../../gates/approval';
import { PREDICATE_TYPES } from '../../attest/predicate-types';
import { signPipelineStatement } from '../../attest/pipeline-statement';
import { NO_POSITIONALS, parseCommandArgs, parseEnv, requireOpt, SIGNED_OUTPUT_OPTS } from '../lib/args';
import { eventTime } from '../lib/clock';
import { IDENTITY_OPTS, loadIdentityTrust } from '../lib/identity-trust';
import { loadSigningKey, loadTrustedKeys, many } from '../lib/keys';
import { BUNDLE_OPT, readRecordFile, writeBundleOption } from '../lib/records';
import { Command } from '../lib/types';

const OPTIONS = {
  env: { type: 'string', required: true },
  'plan-receipt': { type: 'string', required: true, help: 'the signed plan receipt approved (by its digest)' },
  principal: { type: 'string', required: true, arg: 'LOGIN', help: 'who approves (a GitHub login)' },
  ...SIGNED_OUTPUT_OPTS,
  ...BUNDLE_OPT,
  key: { type: 'string', required: true, help: "the approver's own private key" },
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
 * `kfm approve --env ENV --plan-receipt R --principal NAME --key KEY --out A
 *   [--change-record ID] [--pub PUB...] [--timestamp RFC3339] [--json]`
 *
 * Writes a signed approval of one plan receipt (by its envelope digest, gates/approval.ts). The
 * approver signs with their own key; the prod gate refuses approvals by the change's author or by
 * the key that signed the plan receipt. With --pub the plan receipt's signature is verified first.
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
  const key = loadSigningKey(requireOpt(cmd, values, 'key'));
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
  writeFileExclusive(out, signed.bytes);
  writeBundleOption(values, signed.bytes, out);
  io.stdout(
    values.json
      ? JSON.stringify({ digest: signed.digest, out, plan_receipt: a.planReceipt }) + '\n'
      : `${out} ${signed.digest}\n`,
  );
  return 0;
};
