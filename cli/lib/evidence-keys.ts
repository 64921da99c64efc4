import { utf8Text } from '../../core/json';
import { ReceiptError } from '../../core/errors';
import { readInputFile } from '../../core/files';
import type { EvidenceKeys } from '../../gates/gather';
import type { AnchorOptions } from '../../gates/ledger';
import { loadIdentityTrust } from './identity-trust';
import { checkKeyRoles, loadTrustedKeys, many } from './keys';
import type { FlagSpec } from './args';

/**
 * `--pub` (record keys) and `--log-pub` (the log's own key, for a ledger whose records are signed
 * keyless, docs/sigstore.md) of the verbs that judge evidence: at least one of them (`requireLogKey`).
 */
export const RECORD_AND_LOG_KEY_OPTS = {
  pub: {
    type: 'string',
    multiple: true,
    help: 'trusted key of receipts and records (and of checkpoints without --log-pub)',
    default: 'required unless --log-pub',
  },
  'log-pub': {
    type: 'string',
    multiple: true,
    arg: 'PUB',
    help: "the log's key: trusted for checkpoints and indexes only, never as the signer of a record",
    default: 'the --pub keys sign checkpoints',
  },
} as const satisfies Record<string, FlagSpec>;

/** At least one key the log's checkpoints verify under: a --pub or a --log-pub. */
export function requireLogKey(cmd: string, values: Record<string, unknown>): void {
  if (many(values.pub).length === 0 && many(values['log-pub']).length === 0) {
    throw new ReceiptError(
      'USAGE',
      `kfm ${cmd}: at least one --pub PUB (trusted key) or --log-pub PUB (the log's key, with keyless records) is required`,
    );
  }
}

/**
 * The keys `gate` and `report` judge evidence under: every `--pub` (receipts and records; at
 * least one) and every `--approver NAME=PUB` (approvals signed as NAME); with `--trusted-root`
 * and `--identity-policy`, the identities trusted per role for keyless records.
 */
export function loadEvidenceKeys(cmd: string, values: Record<string, unknown>): EvidenceKeys {
  const receiptKeys = loadTrustedKeys(many(values.pub));
  const approvers = many(values.approver).map((spec) => {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})=(.+)$/.exec(spec);
    if (!m) throw new ReceiptError('USAGE', `kfm ${cmd}: --approver "${spec}" must be NAME=PUBLIC_KEY_FILE`);
    return { name: m[1]!, key: loadTrustedKeys([m[2]!])[0]! };
  });
  checkKeyRoles(cmd, values);
  const identities = loadIdentityTrust(cmd, values);
  const logKeys = loadTrustedKeys(many(values['log-pub']));
  return { receiptKeys, approvers, ...(logKeys.length > 0 ? { logKeys } : {}), ...(identities ? { identities } : {}) };
}

/** Every trusted `--checkpoint FILE`, read. */
export function readCheckpointFiles(values: Record<string, unknown>): AnchorOptions['checkpoints'][number][] {
  return many(values.checkpoint).map((f) => ({ source: f, text: utf8Text(readInputFile(f, 'checkpoint'), f, 'checkpoint', 'INPUT_INVALID') }));
}
