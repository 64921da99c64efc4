import { utf8Text } from '../../core/json';
import { ReceiptError } from '../../core/errors';
import { readInputFile } from '../../core/files';
import type { EvidenceKeys } from '../../gates/gather';
import type { AnchorOptions } from '../../gates/ledger';
import { checkKeyRoles, loadTrustedKeys, many } from './keys';

/**
 * The keys `gate` and `report` judge evidence under: every `--pub` (receipts and records; at
 * least one) and every `--approver NAME=PUB` (approvals signed as NAME).
 */
export function loadEvidenceKeys(cmd: string, values: Record<string, unknown>): EvidenceKeys {
  const receiptKeys = loadTrustedKeys(many(values.pub));
  const approvers = many(values.approver).map((spec) => {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})=(.+)$/.exec(spec);
    if (!m) throw new ReceiptError('USAGE', `kfm ${cmd}: --approver "${spec}" must be NAME=PUBLIC_KEY_FILE`);
    return { name: m[1]!, key: loadTrustedKeys([m[2]!])[0]! };
  });
  checkKeyRoles(cmd, values);
  return { receiptKeys, approvers };
}

/** Every trusted `--checkpoint FILE`, read. */
export function readCheckpointFiles(values: Record<string, unknown>): AnchorOptions['checkpoints'][number][] {
  return many(values.checkpoint).map((f) => ({ source: f, text: utf8Text(readInputFile(f, 'checkpoint'), f, 'checkpoint', 'INPUT_INVALID') }));
}
