/**
 * What a log needs before it asks witnesses: its root at a fixed size, the consistency proofs
 * from the sizes the witnesses hold, and those sizes (read from the witnessed checkpoints it
 * stored earlier). One streaming pass per call; memory O(proofs × log n).
 */
import { ReceiptError, isReceiptError } from '../../core/errors';
import { TrustedKey } from '../../attest/sign/ed25519';
import { parseCheckpoint, verifyCheckpoint } from '../checkpoint';
import { consistencyRanges, leafHash, MerkleFrontier, RangeHasher } from '../merkle';
import { AuditStore, StoredEntry } from '../store';
import { checkCosignatures, Witness } from '../cosignature';

export interface TreeProofs {
  readonly size: number;
  readonly root: Buffer;
  /** PROOF(m, size) for each requested m with 0 < m < size. */
  readonly proofs: ReadonlyMap<number, Buffer[]>;
}

/** The root of the first `size` entries and PROOF(m, size) for each m in `olds` (others ignored). */
export async function treeWithProofs(
  store: AuditStore,
  size: number,
  olds: readonly number[],
  visit?: (e: StoredEntry) => void,
): Promise<TreeProofs> {
  const wanted = [...new Set(olds.filter((m) => m > 0 && m < size))].sort((a, b) => a - b);
  const ranges = wanted.map((m) => consistencyRanges(m, size));
  const hasher = new RangeHasher(ranges.flat());
  const frontier = new MerkleFrontier();
  for await (const e of store.entries()) {
    if (e.seq > size) break;
    const leaf = leafHash(e.entryBytes);
    frontier.push(leaf);
    hasher.push(leaf);
    visit?.(e);
  }
  if (frontier.size !== size) {
    throw new ReceiptError('LOG_INTEGRITY', `${store.spec}: log ended at ${frontier.size} entries, expected ${size}`);
  }
  const hashes = hasher.hashes();
  const proofs = new Map<number, Buffer[]>();
  let off = 0;
  wanted.forEach((m, i) => {
    proofs.set(m, hashes.slice(off, off + ranges[i].length));
    off += ranges[i].length;
  });
  return { size, root: frontier.root(), proofs };
}

/**
 * For each witness, the largest tree size it cosigned among the checkpoints stored in the log
 * (signed by `logKey` for `origin`); 0 when none. Unreadable checkpoints are skipped: this is a
 * hint for the first request, and the witness's 409 corrects it.
 */
export async function witnessedSizes(
  store: AuditStore,
  logKey: TrustedKey,
  origin: string,
  witnesses: readonly Witness[],
  above?: number,
): Promise<Map<string, number>> {
  const out = new Map(witnesses.map((w) => [w.name, 0]));
  for await (const c of store.checkpoints({ above })) {
    try {
      const cp = parseCheckpoint(c.bytes.toString('utf8'), c.name);
      verifyCheckpoint(cp, [logKey], origin, c.name);
      for (const r of checkCosignatures(cp, witnesses)) {
        if (r.status === 'valid' && cp.size > out.get(r.witness)!) out.set(r.witness, cp.size);
      }
    } catch (e) {
      if (!isReceiptError(e)) throw e;
    }
  }
  return out;
}
