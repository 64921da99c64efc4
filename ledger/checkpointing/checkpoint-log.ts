/**
 * `kfm audit checkpoint` as a library: sign a checkpoint of a log only after it verifies, with
 * the index that lets gates read by proof (written in the same pass, and signed by the same
 * key), and — with witnesses — only once a quorum of them cosigned it (witnessed.ts holds the
 * rounds). The caller writes the note where it wants it; the store holds it under checkpoints/.
 */
import { ReceiptError } from '../../core/errors';
import { noteKeyHash, signCheckpoint } from '../checkpoint';
import { writeIndex } from '../log-index-build';
import { AuditStore } from '../store';
import { verifyLog } from '../verify';
import { bundlesHeld, indexUpTo } from './index-pass';
import { CheckpointLogOptions, CheckpointOutcome } from './types';
import { witnessedCheckpoint } from './witnessed';

export type { CheckpointLogOptions, CheckpointOutcome };

/**
 * Verify, then sign and store a checkpoint with its index. LOG_INTEGRITY (nothing signed) when
 * the log does not verify: the full verify (entry signatures need `pubs`; chain, tree and
 * consistency with every stored checkpoint always).
 */
export async function checkpointLog(store: AuditStore, o: CheckpointLogOptions): Promise<CheckpointOutcome> {
  const report = await verifyLog(store, {
    trusted: [o.own, ...o.pubs],
    checkpoints: o.checkpoints,
    origin: o.origin,
    envelopeSignatures: o.pubs.length > 0,
    since: o.since,
    approvers: o.approvers,
  });
  if (!report.ok) {
    throw new ReceiptError(
      'LOG_INTEGRITY',
      `kfm audit checkpoint: ${store.spec} does not verify (${report.problemCount} problem(s)), nothing signed; first: ${report.problems[0] ?? 'unknown'}`,
    );
  }
  o.onVerified?.();
  if (o.endpoints.length > 0) return witnessedCheckpoint(store, o);
  // One pass: the tree, the index (commit and digest → seqs, range roots) and any missing bundle;
  // resumed, only from the checkpoint's last incomplete range on.
  const builder = await indexUpTo(store, report.size, await bundlesHeld(store), o.since);
  const root = builder.root;
  if (root.toString('base64') !== report.root)
    throw new ReceiptError('LOG_INTEGRITY', `${store.spec}: changed while it was checkpointed; run it again`);
  const index = await writeIndex(store, builder, o.origin, o.key);
  const note = signCheckpoint({ origin: o.origin, size: report.size, root }, o.key);
  const keyHash = noteKeyHash(o.origin, o.key.publicKey).toString('hex');
  const stored = await store.putCheckpoint(report.size, keyHash, Buffer.from(note, 'utf8'));
  return { size: report.size, root, note, stored, index };
}
