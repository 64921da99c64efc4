/**
 * `kfm audit checkpoint` as a library: sign a checkpoint of a log only after it verifies, with
 * the index that lets gates read by proof (written in the same pass, and signed by the same
 * key), and — with witnesses — only once a quorum of them cosigned it (witnessed.ts holds the
 * rounds). The caller writes the note where it wants it; the store holds it under checkpoints/.
 */
import { createHash } from 'node:crypto';
import { ReceiptError } from '../../core/errors';
import { noteKeyHash, signCheckpoint } from '../checkpoint';
import { IndexBuilder, writeIndex } from '../log-index-build';
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
  // Witnessed checkpoints build their index in their own rounds (witnessed.ts).
  const witnessed = o.endpoints.length > 0;
  const haveBundle = witnessed ? () => true : await bundlesHeld(store);
  // From entry 1, the index is built from the entries the verify reads (in order, each once,
  // only while the log is intact): one read of the log instead of two.
  let fromVerify = o.since === undefined && !witnessed ? new IndexBuilder(haveBundle) : undefined;
  const report = await verifyLog(store, {
    onEntry: fromVerify && ((e) => fromVerify?.push(e)),
    onReread: fromVerify && (() => void (fromVerify = new IndexBuilder(haveBundle))),
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
  if (witnessed) return witnessedCheckpoint(store, o);
  // One pass: the tree, the index (commit and digest → seqs, range roots) and any missing bundle;
  // resumed, only from the checkpoint's last incomplete range on.
  const builder =
    fromVerify?.next === report.size + 1 ? fromVerify : await indexUpTo(store, report.size, haveBundle, o.since);
  const root = builder.root;
  if (root.toString('base64') !== report.root)
    throw new ReceiptError('LOG_INTEGRITY', `${store.spec}: changed while it was checkpointed; run it again`);
  const index = await writeIndex(store, builder, o.origin, o.key);
  const note = signCheckpoint({ origin: o.origin, size: report.size, root }, o.key);
  const stored = await storeCheckpoint(store, report.size, noteKeyHash(o.origin, o.key.publicKey), note);
  return { size: report.size, root, note, stored, index };
}

/**
 * Store an unwitnessed checkpoint under checkpoints/<size>.<key hash>.txt, or, when other bytes
 * already hold that name, under the hash of its own bytes. The key-hash name is predictable
 * (the same for every checkpoint of the log), so anyone who can add an object can plant junk at
 * the next size's name before the CI signs it (on S3 the first version stays for good). The
 * log verified just before, consistent with every stored checkpoint, so what holds the name is
 * not a checkpoint of this log (junk to verify): never a reason to refuse. A witnessed note is
 * named by its content already (witnessed.ts).
 */
async function storeCheckpoint(store: AuditStore, size: number, keyHash: Buffer, note: string): Promise<string> {
  const bytes = Buffer.from(note, 'utf8');
  try {
    return await store.putCheckpoint(size, keyHash.toString('hex'), bytes);
  } catch (e) {
    if (!(e instanceof ReceiptError && e.code === 'LOG_INTEGRITY')) throw e;
    return store.putCheckpoint(size, createHash('sha256').update(bytes).digest('hex').slice(0, 8), bytes);
  }
}
