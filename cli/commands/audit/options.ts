/** What the `kfm audit` verbs share: the store and origin options, keys, and `--since`. */
import { utf8Text } from '../../../core/json';
import { ReceiptError } from '../../../core/errors';
import { readInputFile } from '../../../core/files';
import { TrustedKey } from '../../../attest/sign/ed25519';
import { DEFAULT_ORIGIN, parseCheckpoint, verifyCheckpoint } from '../../../ledger/checkpoint';
import { openStore } from '../../../ledger/open-store';
import { SinceStart, sinceStart } from '../../../ledger/log-index-read';
import { AuditStore } from '../../../ledger/store';
import { CheckpointInput } from '../../../ledger/verify';
import { OptionSpec, requireOpt } from '../../lib/args';
import { many, requireTrustedKeys } from '../../lib/keys';
import { CommandIo } from '../../lib/types';

export const STORE_OPTS: OptionSpec = { store: { type: 'string', required: true }, endpoint: { type: 'string' } };
export const ORIGIN_OPT: OptionSpec = { origin: { type: 'string' } };

export function storeFrom(cmd: string, values: Record<string, unknown>, io: CommandIo): AuditStore {
  const spec = requireOpt(cmd, values, 'store');
  const endpoint = typeof values.endpoint === 'string' ? values.endpoint : undefined;
  return openStore(spec, { endpoint, env: io.env });
}

export function originFrom(values: Record<string, unknown>): string {
  return typeof values.origin === 'string' && values.origin.length > 0 ? values.origin : DEFAULT_ORIGIN;
}

export function trustedFrom(cmd: string, values: Record<string, unknown>): TrustedKey[] {
  return requireTrustedKeys(cmd, many(values.pub));
}

export function seqFrom(cmd: string, values: Record<string, unknown>): number {
  const s = requireOpt(cmd, values, 'seq');
  if (!/^[1-9][0-9]{0,11}$/.test(s))
    throw new ReceiptError('USAGE', `kfm ${cmd}: --seq "${s}" is not a sequence number (1, 2, ...)`);
  return Number(s);
}

/** `--checkpoint FILE...`: each file's text, named by the file. */
export function checkpointFiles(values: Record<string, unknown>): CheckpointInput[] {
  return ((values.checkpoint as string[] | undefined) ?? []).map((f) => ({
    source: f,
    text: utf8Text(readInputFile(f, 'checkpoint'), f, 'checkpoint', 'INPUT_INVALID'),
  }));
}

/**
 * `--since FILE`: where a verify (or a checkpoint) resumes — FILE verified under `trusted`, and
 * its index in the store. Without an index, FILE joins `checkpoints` and the whole log is read.
 */
export async function resumeFrom(
  io: CommandIo,
  store: AuditStore,
  file: unknown,
  trusted: readonly TrustedKey[],
  origin: string,
  checkpoints: CheckpointInput[],
  resumeUnder?: TrustedKey,
): Promise<SinceStart | undefined> {
  if (typeof file !== 'string') return undefined;
  const text = utf8Text(readInputFile(file, 'checkpoint'), file, 'checkpoint', 'INPUT_INVALID');
  const cp = parseCheckpoint(text, file);
  // Its index counts only under the key that signed it.
  const signer = verifyCheckpoint(cp, trusted, origin, file);
  // A checkpoint continues only an index its own key signed: under another --pub key (an
  // approver's, say) FILE is checked like a --checkpoint and the whole log is read.
  const own = resumeUnder === undefined || signer.keyid === resumeUnder.keyid;
  const since = own ? await sinceStart(store, cp, file, [signer]) : undefined;
  if (since === undefined) {
    const why = own
      ? 'the store holds no index for this checkpoint'
      : `signed by ${signer.source}, not by --key, so its index is not continued`;
    io.stderr(`kfm: note: ${file}: ${why}; verifying the whole log against it\n`);
    checkpoints.push({ source: file, text });
  }
  return since;
}
