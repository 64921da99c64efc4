/**
 * Witness rounds for a checkpoint (c2sp.org/tlog-witness): sign the tree, ask each witness for a
 * cosignature with a consistency proof from the size it holds, and store the note once a quorum
 * cosigned it. A witness ahead of this tree is a rollback, unless another appender grew the log
 * and had it cosigned meanwhile: then the larger tree is signed and asked again (a few rounds).
 */
import { createHash } from 'node:crypto';
import { ReceiptError } from '../../core/errors';
import { SigningKey, TrustedKey, trustedKeyOf } from '../../attest/sign/ed25519';
import { SignedCheckpoint, signCheckpoint } from '../checkpoint';
import { consistencyRanges } from '../merkle';
import { IndexBuilder, writeIndex } from '../log-index-build';
import { indexFor, SinceStart } from '../log-index-read';
import { AuditStore } from '../store';
import { collectCosignatures } from '../witness/client';
import { treeWithProofs, witnessedSizes } from '../witness/log-tree';
import { bundlesHeld, indexUpTo } from './index-pass';
import type { CheckpointLogOptions, CheckpointOutcome } from './types';

/** The tree at one size: its root, consistency proofs on demand, and its index (written when asked). */
interface Tree {
  readonly root: Buffer;
  proof(m: number): Promise<Buffer[]>;
  index(): Promise<string>;
}

export async function witnessedCheckpoint(store: AuditStore, o: CheckpointLogOptions): Promise<CheckpointOutcome> {
  const logKey = trustedKeyOf(o.key, 'log key');
  // Resumed: what the witnesses hold is at or above the trusted checkpoint (a witness that holds
  // less answers 409 with its size, and gets its proof from the index).
  const held = await witnessedSizes(store, logKey, o.origin, o.witnesses, o.since && o.since.size - 1);
  let size = await store.size();
  for (let round = 1; ; round++) {
    const tree = await treeAt(store, o, size, [...held.values()], logKey);
    const note = signCheckpoint({ origin: o.origin, size, root: tree.root }, o.key);
    const { note: cosigned, answers } = await collectCosignatures(o.endpoints, {
      note,
      firstOld: (w) => held.get(w) ?? 0,
      proof: (m) => tree.proof(m),
      timeoutMs: o.timeoutMs,
    });
    const cosigners = answers.filter((x) => x.cosigned).map((x) => x.witness);
    if (cosigners.length >= o.quorum) {
      const index = await tree.index();
      const bytes = Buffer.from(cosigned, 'utf8');
      const stored = await store.putCheckpoint(
        size,
        createHash('sha256').update(bytes).digest('hex').slice(0, 8),
        bytes,
      );
      return { size, root: tree.root, note: cosigned, stored, index, witnessed: { cosigners, answers } };
    }
    const ahead = Math.max(0, ...answers.map((x) => x.ahead ?? 0));
    const now = ahead > 0 && round < 3 ? await store.size() : size;
    if (now >= ahead && now > size) {
      for (const x of answers) if (x.ahead !== undefined) held.set(x.witness, x.ahead);
      size = now;
      continue;
    }
    for (const x of answers) o.onAnswer?.(x);
    throw new ReceiptError(
      'CHECKPOINT_INVALID',
      `checkpoint of tree size ${size} not witnessed: ${cosigners.length} of ${answers.length} witness(es) cosigned, quorum ${o.quorum}; nothing stored or written`,
    );
  }
}

/**
 * The tree at `size`, built in the same pass as the signed index that lets gates read by proof:
 * continued from a verified checkpoint's index when there is one, else from entry 1 (with the
 * proofs from the sizes the witnesses hold computed on the way).
 */
async function treeAt(
  store: AuditStore,
  o: CheckpointLogOptions,
  size: number,
  olds: number[],
  logKey: TrustedKey,
): Promise<Tree> {
  const haveBundle = await bundlesHeld(store);
  if (o.since && o.since.size <= size) return resumedTree(store, o, size, haveBundle, o.since, logKey);
  const builder = new IndexBuilder(haveBundle);
  const full = await treeWithProofs(store, size, olds, (e) => builder.push(e));
  const proofs = new Map<number, Promise<Buffer[]>>([...full.proofs].map(([m, p]) => [m, Promise.resolve(p)]));
  return {
    root: full.root,
    proof: (m) => {
      if (!proofs.has(m))
        proofs.set(
          m,
          treeWithProofs(store, size, [m]).then((t) => t.proofs.get(m)!),
        );
      return proofs.get(m)!;
    },
    index: () => writeIndex(store, builder, o.origin, o.key),
  };
}

/**
 * The tree at `size` continued from a verified checkpoint's index: the new index is written
 * first (it is derived data, and names no checkpoint until one of this size and root is
 * trusted), then consistency proofs for the witnesses come from it, not from reading the log.
 */
async function resumedTree(
  store: AuditStore,
  o: { origin: string; key: SigningKey },
  size: number,
  haveBundle: (first: number) => boolean,
  since: SinceStart,
  logKey: TrustedKey,
): Promise<Tree> {
  const builder = await indexUpTo(store, size, haveBundle, since);
  const root = builder.root;
  const index = await writeIndex(store, builder, o.origin, o.key);
  const tree = await indexFor(store, { origin: o.origin, size, root } as SignedCheckpoint, [logKey]);
  if (tree === undefined)
    throw new ReceiptError('STORE_UNAVAILABLE', `${index}: the index just written cannot be read`);
  return {
    root,
    proof: async (m) =>
      m > 0 && m < size ? Promise.all(consistencyRanges(m, size).map((r) => tree.subtreeHash(r.start, r.end))) : [],
    index: async () => index,
  };
}
