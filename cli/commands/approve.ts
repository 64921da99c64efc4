import { decodeStatementPayload, parseEnvelope, verifyEnvelope } from '../../attest/dsse/envelope';
import { ReceiptError } from '../../core/errors';
import { sha256Hex, sha256Tagged } from '../../core/digest';
import { readInputFile, writeFileExclusive } from '../../core/files';
import { str } from '../../gates/evidence';
import { PREDICATE_KINDS, PREDICATE_TYPES } from '../../attest/predicate-types';
import { hexOf, signPipelineStatement } from '../../attest/pipeline-statement';
import { parseCommandArgs, parseEnv, requireOpt } from '../lib/args';
import { eventTime } from '../lib/clock';
import { loadSigningKey, loadTrustedKeys, many } from '../lib/keys';
import { Command } from '../lib/types';

/**
 * `kfm approve --env ENV --plan-receipt R --principal NAME --key KEY --out A
 *   [--change-record ID] [--pub PUB...] [--timestamp RFC3339] [--json]`
 *
 * Writes a signed approval of one plan receipt (by its envelope digest). The approver signs with
 * their own key; the prod gate refuses approvals by the change's author or by the key that signed
 * the plan receipt. With --pub the plan receipt's signature is verified before approving.
 */
export const approve: Command = async (io) => {
  const cmd = 'approve';
  const { values } = parseCommandArgs(
    cmd,
    io.argv,
    {
      env: { type: 'string', required: true },
      'plan-receipt': { type: 'string', required: true, help: 'the signed plan receipt approved (by its digest)' },
      principal: { type: 'string', required: true, arg: 'LOGIN', help: 'who approves (a GitHub login)' },
      key: { type: 'string', required: true, help: "the approver's own private key" },
      out: { type: 'string', required: true },
      'change-record': { type: 'string', arg: 'ID', help: 'change record id (required for prod)', default: 'none' },
      pub: {
        type: 'string',
        multiple: true,
        help: "verify the plan receipt's signature with this key first",
        default: 'not verified here',
      },
      timestamp: { type: 'string' },
      json: { type: 'boolean' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Sign an approval of one plan receipt, as someone other than its author.',
      example:
        'approve --env prod --plan-receipt prod.plan.receipt.json --principal alice --key ~/.kfm/alice.key --change-record CHG-1 --out prod.approval.json',
    },
  );
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

  const bytes = readInputFile(receiptPath, 'plan receipt');
  const envelope = parseEnvelope(bytes.toString('utf8'), receiptPath);
  if (trusted.length > 0) verifyEnvelope(envelope, trusted, receiptPath);
  // Without --pub the receipt is not authenticated here (the gate verifies it), but we still
  // refuse to approve anything that is not a plan receipt for this env.
  const statement = decodeStatementPayload(envelope, receiptPath);
  if (statement.predicateType !== PREDICATE_TYPES.plan) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${receiptPath}: predicateType "${String(statement.predicateType)}" is not a plan receipt (${PREDICATE_TYPES.plan})`,
    );
  }
  if (str(statement.predicate, 'env') !== env) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${receiptPath}: predicate.env "${String(str(statement.predicate, 'env'))}" does not match --env ${env}`,
    );
  }
  const digest = sha256Tagged(bytes);
  const predicate = {
    kind: PREDICATE_KINDS.approval,
    env,
    decision: 'approved',
    principal,
    change_record: changeRecord ?? null,
    plan_receipt: { digest, commit: str(statement.predicate, 'repo', 'commit') ?? null },
    repo: { commit: str(statement.predicate, 'repo', 'commit') ?? null },
    timestamps: { approved: eventTime(cmd, values.timestamp as string | undefined, io.env) },
  };
  // Subjects: the plan receipt approved and, when given, the change record (sha256 of its id).
  const subjects = [{ name: receiptPath.split('/').pop() ?? 'plan-receipt', digest: { sha256: hexOf(digest) } }];
  if (changeRecord !== undefined)
    subjects.push({
      name: `change-record:${changeRecord}`,
      digest: { sha256: sha256Hex(Buffer.from(changeRecord, 'utf8')) },
    });
  const signed = signPipelineStatement(PREDICATE_TYPES.approval, subjects, predicate, key);
  writeFileExclusive(out, signed.bytes);
  io.stdout(
    values.json
      ? JSON.stringify({ digest: signed.digest, out, plan_receipt: digest }) + '\n'
      : `${out} ${signed.digest}\n`,
  );
  return 0;
};
