/**
 * RFC 6962 / RFC 9162 §2.1 Merkle tree hashing, inclusion and consistency proofs.
 *
 *   leaf = SHA-256(0x00 ‖ entry bytes)     node = SHA-256(0x01 ‖ left ‖ right)
 *   MTH(D[n]) with k the largest power of two < n: node(MTH(D[0:k]), MTH(D[k:n]))
 *
 * Proof generation is written over ranges [start, end) of leaves (the RFC's D[a:b]) so a
 * caller that streams the log can compute just the subtree hashes a proof needs
 * (`RangeHasher`) without holding the log in memory.
 */
import { createHash } from 'node:crypto';

export const HASH_SIZE = 32;

export function leafHash(entry: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.from([0]))
    .update(entry)
    .digest();
}

export function nodeHash(left: Buffer, right: Buffer): Buffer {
  return createHash('sha256')
    .update(Buffer.from([1]))
    .update(left)
    .update(right)
    .digest();
}

/** MTH of the empty tree: SHA-256 of the empty string. */
export const EMPTY_ROOT = createHash('sha256').digest();

/** A leaf range [start, end) of the tree; a proof is a list of the MTHs of such ranges. */
export interface LeafRange {
  readonly start: number;
  readonly end: number;
}

/** Largest power of two strictly less than n (n ≥ 2). */
function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** RFC 6962 PATH(m, D[n]) as leaf ranges. Requires 0 ≤ m < n. */
export function inclusionRanges(index: number, size: number): LeafRange[] {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) {
    throw new RangeError(`inclusion proof: leaf index ${index} not in a tree of size ${size}`);
  }
  const out: LeafRange[] = [];
  const path = (m: number, start: number, n: number): void => {
    if (n === 1) return;
    const k = splitPoint(n);
    if (m < k) {
      path(m, start, k);
      out.push({ start: start + k, end: start + n });
    } else {
      path(m - k, start + k, n - k);
      out.push({ start, end: start + k });
    }
  };
  path(index, 0, size);
  return out;
}

/** RFC 6962 PROOF(m, D[n]) = SUBPROOF(m, D[n], true) as leaf ranges. Empty for m = n; requires 0 < m ≤ n. */
export function consistencyRanges(first: number, second: number): LeafRange[] {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 1 || first > second) {
    throw new RangeError(`consistency proof: sizes ${first} and ${second} need 0 < first ≤ second`);
  }
  const out: LeafRange[] = [];
  const sub = (m: number, start: number, n: number, complete: boolean): void => {
    if (m === n) {
      if (!complete) out.push({ start, end: start + n });
      return;
    }
    const k = splitPoint(n);
    if (m <= k) {
      sub(m, start, k, complete);
      out.push({ start: start + k, end: start + n });
    } else {
      sub(m - k, start + k, n - k, false);
      out.push({ start, end: start + k });
    }
  };
  sub(first, 0, second, true);
  return out;
}

/** Recursive MTH over in-memory leaf hashes (for tests and small trees). */
export function rootOfLeafHashes(leaves: readonly Buffer[], start = 0, end = leaves.length): Buffer {
  const n = end - start;
  if (n === 0) return EMPTY_ROOT;
  if (n === 1) return leaves[start];
  const k = splitPoint(n);
  return nodeHash(rootOfLeafHashes(leaves, start, start + k), rootOfLeafHashes(leaves, start + k, end));
}

/**
 * Streaming MTH in O(log n) memory: the compact range of perfect subtrees (sizes follow the
 * binary digits of n, largest first). The root folds them right to left, which is exactly
 * RFC 6962's split at the largest power of two.
 */
export class MerkleFrontier {
  private readonly stack: { size: number; hash: Buffer }[] = [];
  private count = 0;

  /** An independent copy (a reader that may read the same entries twice starts each pass from one). */
  clone(): MerkleFrontier {
    const c = new MerkleFrontier();
    c.stack.push(...this.stack.map((x) => ({ size: x.size, hash: x.hash })));
    c.count = this.count;
    return c;
  }

  get size(): number {
    return this.count;
  }

  push(leaf: Buffer): void {
    this.pushSubtree(1, leaf);
  }

  /**
   * Push the root of a perfect subtree of `size` leaves (a power of two) that starts where the
   * frontier ends and is no larger than its smallest subtree (e.g. whole 256-entry ranges first).
   */
  pushSubtree(size: number, hash: Buffer): void {
    let node = { size, hash };
    while (this.stack.length > 0 && this.stack[this.stack.length - 1].size === node.size) {
      const left = this.stack.pop()!;
      node = { size: left.size * 2, hash: nodeHash(left.hash, node.hash) };
    }
    this.stack.push(node);
    this.count += size;
  }

  root(): Buffer {
    if (this.stack.length === 0) return EMPTY_ROOT;
    let h = this.stack[this.stack.length - 1].hash;
    for (let i = this.stack.length - 2; i >= 0; i--) h = nodeHash(this.stack[i].hash, h);
    return h;
  }
}

/**
 * Computes the MTH of a fixed set of leaf ranges while the leaves stream past once, in order.
 * Ranges may overlap; memory is O(ranges × log n).
 */
export class RangeHasher {
  private readonly frontiers: MerkleFrontier[];
  private index = 0;

  constructor(private readonly ranges: readonly LeafRange[]) {
    this.frontiers = ranges.map(() => new MerkleFrontier());
  }

  push(leaf: Buffer): void {
    const i = this.index++;
    for (let r = 0; r < this.ranges.length; r++) {
      if (i >= this.ranges[r].start && i < this.ranges[r].end) this.frontiers[r].push(leaf);
    }
  }

  /** The hashes, in range order; throws if a range was not fully seen. */
  hashes(): Buffer[] {
    return this.ranges.map((r, i) => {
      const f = this.frontiers[i];
      if (f.size !== r.end - r.start) {
        throw new RangeError(`range [${r.start}, ${r.end}) saw ${f.size} leaves; the log ended early`);
      }
      return f.root();
    });
  }
}

/** Proof hashes from in-memory leaf hashes. */
export function hashRanges(leaves: readonly Buffer[], ranges: readonly LeafRange[]): Buffer[] {
  return ranges.map((r) => rootOfLeafHashes(leaves, r.start, r.end));
}

/**
 * The RFC 9162 walk up an audit path from node `fn` of a tree whose last node is `sn`: each
 * hash is a left sibling (`left`) or a right one (`right`). Returns the last node index at the
 * end (0 when the path reached the root), or -1 when the path is longer than the tree.
 */
function walkPath(
  fn: number,
  sn: number,
  path: readonly Buffer[],
  left: (c: Buffer) => void,
  right: (c: Buffer) => void,
): number {
  for (const c of path) {
    if (sn === 0) return -1;
    if (fn % 2 === 1 || fn === sn) {
      left(c);
      while (fn % 2 === 0 && fn !== 0) {
        fn = Math.floor(fn / 2);
        sn = Math.floor(sn / 2);
      }
    } else right(c);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn;
}

/** RFC 9162 §2.1.3.2: verify an inclusion proof. Never throws. */
export function verifyInclusion(
  index: number,
  size: number,
  leaf: Buffer,
  proof: readonly Buffer[],
  root: Buffer,
): boolean {
  if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
  if (proof.some((p) => p.length !== HASH_SIZE)) return false;
  let r = leaf;
  const end = walkPath(
    index,
    size - 1,
    proof,
    (c) => (r = nodeHash(c, r)),
    (c) => (r = nodeHash(r, c)),
  );
  return end === 0 && r.equals(root);
}

function isPowerOfTwo(n: number): boolean {
  let k = 1;
  while (k < n) k *= 2;
  return k === n;
}

/** RFC 9162 §2.1.4.2: verify a consistency proof between tree sizes first ≤ second. Never throws. */
export function verifyConsistency(
  first: number,
  second: number,
  firstRoot: Buffer,
  secondRoot: Buffer,
  proof: readonly Buffer[],
): boolean {
  if (!Number.isSafeInteger(first) || !Number.isSafeInteger(second) || first < 0 || first > second) return false;
  if (proof.some((p) => p.length !== HASH_SIZE)) return false;
  if (first === second) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (first === 0) return proof.length === 0 && firstRoot.equals(EMPTY_ROOT);
  if (proof.length === 0) return false;
  const path = isPowerOfTwo(first) ? [firstRoot, ...proof] : [...proof];
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0];
  let sr = path[0];
  const end = walkPath(
    fn,
    sn,
    path.slice(1),
    (c) => {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
    },
    (c) => (sr = nodeHash(sr, c)),
  );
  return fr.equals(firstRoot) && sr.equals(secondRoot) && end === 0;
}
