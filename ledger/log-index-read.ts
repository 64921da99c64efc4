/**
 * Reading the log index: a note verified against a trusted checkpoint (`indexFor`), entries
 * proven by inclusion through it, and the read by proof a gate makes (`readByProof`, and its
 * parts `provenOfCommit`, `provenBoundTo`, `readAfter`). Nothing is trusted for being in the
 * store: the note must verify under a trusted key and name the checkpoint's size and root, the
 * range roots must fold to that root, each shard must match its digest, and each entry read
 * through it is proven against the checkpoint. The entries after the checkpoint are checked by
 * entry-check.ts, as the full verify checks them.
 */
import { ReceiptError } from '../core/errors';
import { sha256Hex } from '../core/digest';
import { TrustedKey, verifyBytes } from '../attest/sign/ed25519';
import { SignedCheckpoint } from './checkpoint';
import { decodeEntry, entryHash, GENESIS_PREV, StoredEntry } from './entry';
import {
  EnvelopeTrust,
  firstProblem,
  integrityError,
  LostRaces,
  signatureProblem,
  strayProblem,
  versionProblems,
} from './entry-check';
import {
  BUNDLE_SIZE,
  bundleFirst,
  bundlePath,
  bundlePathFirst,
  INDEX_DIR,
  indexNotes,
  indexPathSize,
  shardCopyTag,
  shardPath,
  BUNDLES_DIR,
} from './layout';
import { inclusionRanges, leafHash, MerkleFrontier, rootOfLeafHashes, verifyInclusion } from './merkle';
import { all, REQUESTS_IN_FLIGHT } from './pool';
import type { AuditStore } from './store';
import {
  claimedCommit,
  claimsOf,
  IndexBody,
  IndexVersion,
  parseIndex,
  rootOfUnits,
  Shard,
  shardOfCommit,
  shardOfDigest,
  shardOfSubject,
  signedBytes,
  split,
  splitLines,
  versionOf,
} from './log-index-format';

/** A verified index: trusted for the checkpoint it names. */
export class Index {
  readonly blocks: Buffer[];
  readonly partial: Buffer[];
  private readonly shardCache = new Map<string, Promise<Shard | undefined>>();

  /** `copy`: the note's `shardCopyTag`, naming the copies of its shards its checkpoint wrote (writeIndex). */
  constructor(
    private readonly store: AuditStore,
    readonly name: string,
    readonly body: IndexBody,
    private readonly copy: string,
  ) {
    this.blocks = split(Buffer.from(body.blocks, 'base64'));
    this.partial = split(Buffer.from(body.partial, 'base64'));
  }

  get size(): number {
    return this.body.size;
  }

  /** The index format: 1 (written before subjects were indexed) or 2. */
  get version(): IndexVersion {
    return versionOf(this.body.v)!;
  }

  /** A shard by name; INDEX_INVALID-style LOG_INTEGRITY naming it when it does not match its digest. */
  private shard(name: string): Promise<Shard | undefined> {
    let s = this.shardCache.get(name);
    if (s === undefined) {
      s = this.readShard(name);
      this.shardCache.set(name, s);
    }
    return s;
  }

  private async readShard(name: string): Promise<Shard | undefined> {
    const bytes = await this.shardBytes(name);
    return bytes && (JSON.parse(bytes.toString('utf8')) as Shard);
  }

  /**
   * A shard's bytes, checked against its digest: at its name, else (someone's bytes held the name
   * first) the copy this note's checkpoint wrote; undefined when the index has no such shard.
   */
  async shardBytes(name: string): Promise<Buffer | undefined> {
    const digest = this.body.shards[name];
    if (digest === undefined) return undefined;
    const matches = (b: Buffer) => `sha256:${sha256Hex(b)}` === digest;
    const path = shardPath(digest);
    const bytes = await this.store.getDerived(path, matches);
    if (bytes !== undefined && matches(bytes)) return bytes;
    const copy = await this.store.getDerived(shardPath(digest, this.copy), matches);
    if (copy !== undefined && matches(copy)) return copy;
    throw new ReceiptError(
      'LOG_INTEGRITY',
      `${this.store.derivedName(path)}: index shard ${bytes === undefined ? 'is missing' : 'does not match the digest its signed index names (altered)'}`,
    );
  }

  /** Read the shards holding these digests, many at once (a batch append's replay lookups). */
  async prefetchDigests(digests: readonly string[]): Promise<void> {
    const names = [...new Set(digests.map(shardOfDigest))];
    await all(names, REQUESTS_IN_FLIGHT, (n) => this.shard(n).catch(() => undefined));
  }

  /** A shard's contents (checked against its digest), or undefined when the index has no such shard. */
  shardContents(name: string): Promise<Shard | undefined> {
    return this.shard(name);
  }

  async seqsOfCommit(commit: string): Promise<number[]> {
    return (await this.shard(shardOfCommit(commit)))?.commits[commit] ?? [];
  }

  async seqsOfDigest(digest: string): Promise<number[]> {
    return (await this.shard(shardOfDigest(digest)))?.digests[digest.slice(7)] ?? [];
  }

  /** Seqs of the entries naming `digest` (`sha256:<hex>`) as an in-toto subject (format 2). */
  async seqsOfSubject(digest: string): Promise<number[]> {
    if (this.version < 2) throw new ReceiptError('LOG_INTEGRITY', `${this.name}: a format 1 index holds no subjects`);
    const hex = digest.slice(7);
    const shard = await this.shard(shardOfSubject(hex));
    if (shard !== undefined && shard.subjects === undefined)
      throw new ReceiptError('LOG_INTEGRITY', `${this.name}: a shard holds no subjects (not a format 2 shard)`);
    return shard?.subjects?.[hex] ?? [];
  }

  /** The perfect subtrees of the tree at `size` (a Merkle frontier to extend with later leaves). */
  frontier(): MerkleFrontier {
    const f = new MerkleFrontier();
    for (const b of this.blocks) f.pushSubtree(BUNDLE_SIZE, b);
    for (const l of this.partial) f.push(l);
    return f;
  }

  private readonly rangeCache = new Map<number, Promise<{ leaves: Buffer[]; lines: Buffer[] }>>();

  /** Leaf hashes of range `first` (complete: from its bundle, checked against the range root); read once. */
  rangeLeaves(first: number): Promise<{ leaves: Buffer[]; lines: Buffer[] }> {
    let r = this.rangeCache.get(first);
    if (r === undefined) {
      r = this.readRange(first);
      this.rangeCache.set(first, r);
    }
    return r;
  }

  private async readRange(first: number): Promise<{ leaves: Buffer[]; lines: Buffer[] }> {
    const b = (first - 1) / BUNDLE_SIZE;
    if (b >= this.blocks.length) {
      // The incomplete range: its entry objects, each checked against its leaf.
      const lines: Buffer[] = [];
      for (let i = 0; i < this.partial.length; i++) {
        const bytes = (await this.store.get(first + i)).entryBytes;
        if (!leafHash(bytes).equals(this.partial[i])) {
          throw new ReceiptError(
            'LOG_INTEGRITY',
            `${this.store.entryName(first + i)}: not the entry the trusted checkpoint at ${this.size} holds (rewritten)`,
          );
        }
        lines.push(bytes);
      }
      return { leaves: this.partial, lines };
    }
    const fitsRange = (bytes: Buffer) => {
      const lines = splitLines(bytes);
      return lines.length === BUNDLE_SIZE && rootOfLeafHashes(lines.map(leafHash)).equals(this.blocks[b]);
    };
    const fromBundle = await this.store.getDerived(bundlePath(first), fitsRange);
    if (fromBundle !== undefined) {
      const lines = splitLines(fromBundle);
      const leaves = lines.map(leafHash);
      if (lines.length === BUNDLE_SIZE && rootOfLeafHashes(leaves).equals(this.blocks[b])) return { leaves, lines };
    }
    // No usable bundle (missing, altered or forged): the range's entry objects.
    const seqs = Array.from({ length: BUNDLE_SIZE }, (_, i) => first + i);
    const lines = await all(seqs, REQUESTS_IN_FLIGHT, async (s) => (await this.store.get(s)).entryBytes);
    const leaves = lines.map(leafHash);
    if (!rootOfLeafHashes(leaves).equals(this.blocks[b])) {
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `entries ${first}–${first + BUNDLE_SIZE - 1} of ${this.store.spec} are not the ones the trusted checkpoint at ${this.size} holds (rewritten)`,
      );
    }
    return { leaves, lines };
  }

  /**
   * Entry `seq` (≤ size) with an RFC 6962 inclusion proof against the checkpoint's root,
   * verified; LOG_INTEGRITY when it does not verify.
   */
  async proven(seq: number, root: Buffer): Promise<StoredEntry> {
    const first = bundleFirst(seq);
    let bytes: Buffer;
    if ((first - 1) / BUNDLE_SIZE >= this.blocks.length) {
      // The incomplete range: the entry object itself; the proof uses the index's leaf hashes.
      bytes = (await this.store.get(seq)).entryBytes;
    } else {
      bytes = (await this.rangeLeaves(first)).lines[seq - first];
    }
    // Every subtree of the path: whole ranges from the range roots, the others from their range's
    // leaves (this entry's range, or the last, incomplete one the index holds).
    const proof = await Promise.all(inclusionRanges(seq - 1, this.size).map((r) => this.subtreeHash(r.start, r.end)));
    if (!verifyInclusion(seq - 1, this.size, leafHash(bytes), proof, root)) {
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `${this.store.entryName(seq)}: inclusion proof against the trusted checkpoint at ${this.size} does not verify`,
      );
    }
    const e = decodeEntry(bytes, this.store.entryName(seq));
    if (e.seq !== seq) throw new ReceiptError('LOG_INTEGRITY', `${this.store.entryName(seq)}: field "seq" is ${e.seq}`);
    return { seq, envelopeBytes: e.envelopeBytes, digest: e.digest, entryBytes: bytes };
  }

  /**
   * MTH of leaves [start, end) (0-based) of the tree at `size`, for a subtree of it (as inclusion
   * and consistency proofs use): whole ranges from the range roots, a smaller one from its
   * range's leaves (the bundle, checked against the range root, or the index's last leaves).
   */
  async subtreeHash(start: number, end: number): Promise<Buffer> {
    if (start < 0 || end > this.size || start >= end)
      throw new ReceiptError('LOG_INTEGRITY', `subtree [${start}, ${end}) is not in the tree at ${this.size}`);
    if (start % BUNDLE_SIZE === 0 && end - start >= BUNDLE_SIZE) return this.rangeHash(start, end, start + 1, []);
    const first = start - (start % BUNDLE_SIZE) + 1;
    if ((first - 1) / BUNDLE_SIZE >= this.blocks.length) return this.rangeHash(start, end, first, this.partial);
    return this.rangeHash(start, end, first, (await this.rangeLeaves(first)).leaves);
  }

  /** MTH of leaves [start, end) (0-based), from the range roots, or from `leaves` of range `first`. */
  private rangeHash(start: number, end: number, first: number, leaves: readonly Buffer[]): Buffer {
    if (start % BUNDLE_SIZE === 0 && (end % BUNDLE_SIZE === 0 || end === this.size) && end - start >= BUNDLE_SIZE) {
      const units = [...this.blocks];
      if (this.partial.length > 0) units.push(rootOfLeafHashes(this.partial));
      return rootOfLeafHashes(units, start / BUNDLE_SIZE, Math.ceil(end / BUNDLE_SIZE));
    }
    const base = first - 1;
    if (start >= base && end <= base + leaves.length) return rootOfLeafHashes(leaves, start - base, end - base);
    // A range inside another bundle range (cannot happen for RFC 6962 paths; fail closed).
    throw new ReceiptError('LOG_INTEGRITY', `inclusion proof range [${start}, ${end}) not available from the index`);
  }
}

/**
 * The index for a trusted checkpoint, verified (signature under `trusted`, same size and root,
 * range roots fold to the root), or undefined when the store has none for it. An index that is
 * there but does not verify throws LOG_INTEGRITY naming it.
 */
export async function indexFor(
  store: AuditStore,
  cp: SignedCheckpoint,
  trusted: readonly TrustedKey[],
): Promise<Index | undefined> {
  // One listing of just this size's notes: the cost does not grow with the number of checkpoints.
  const names = await store.listDerived(INDEX_DIR, { prefix: indexNotes.ofSize(cp.size) });
  let lastError: ReceiptError | undefined;
  for (const path of names) {
    if (indexPathSize(path) !== cp.size) continue;
    const name = store.derivedName(path);
    const bytes = await store.getDerived(path);
    if (bytes === undefined) continue;
    try {
      const { body, sig } = parseIndex(bytes, name);
      const msg = signedBytes(body);
      if (!trusted.some((k) => verifyBytes(k, msg, sig)))
        throw new ReceiptError(
          'LOG_INTEGRITY',
          `${name}: index signature does not verify under a trusted key (altered)`,
        );
      if (body.size !== cp.size || body.root !== cp.root.toString('base64') || body.origin !== cp.origin)
        throw new ReceiptError('LOG_INTEGRITY', `${name}: index is for another tree than the trusted checkpoint`);
      const index = new Index(store, name, body, shardCopyTag(bytes));
      if (
        index.blocks.length !== Math.floor(cp.size / BUNDLE_SIZE) ||
        index.partial.length !== cp.size % BUNDLE_SIZE ||
        !rootOfUnits(index.blocks, index.partial).equals(cp.root)
      ) {
        throw new ReceiptError(
          'LOG_INTEGRITY',
          `${name}: index range roots do not fold to the checkpoint's root (altered)`,
        );
      }
      return index;
    } catch (e) {
      if (!(e instanceof ReceiptError)) throw e;
      lastError = e;
    }
  }
  if (lastError) throw lastError;
  return undefined;
}

/** The newest index note in the store, unverified (for the appender's replay check, which confirms hits). */
export async function newestIndex(store: AuditStore): Promise<Index | undefined> {
  // Index notes accrue one per checkpoint; list only those at or above the last complete range
  // (its bundle is the newest), and all of them only when there is none there.
  const bundles = await store.listDerived(BUNDLES_DIR);
  const from = bundlePathFirst(bundles[bundles.length - 1] ?? '') ?? 0;
  const isNote = (n: string) => indexPathSize(n) !== undefined;
  let names = from > 1 ? await store.listDerived(INDEX_DIR, { after: indexNotes.above(from - 1) }) : [];
  names = names.filter(isNote);
  if (names.length === 0) names = (await store.listDerived(INDEX_DIR)).filter(isNote);
  names.sort();
  for (const path of names.reverse()) {
    const bytes = await store.getDerived(path);
    if (bytes === undefined) continue;
    try {
      return new Index(
        store,
        store.derivedName(path),
        parseIndex(bytes, store.derivedName(path)).body,
        shardCopyTag(bytes),
      );
    } catch {
      continue;
    }
  }
  return undefined;
}

export interface ProvenRead {
  /** Entries ≤ the checkpoint that claim the commit (each proven), then every entry after it. */
  readonly entries: StoredEntry[];
  /** Entries in the log now (checkpoint size + those read after it). */
  readonly size: number;
  /** base64 root at `size`. */
  readonly root: string;
  readonly index: string;
}

/**
 * A gate's read by proof: the commit's entries through the index, each proven by inclusion
 * against the trusted checkpoint, then every entry after the checkpoint, chained onto its last
 * entry. Requests: the index note, one shard, one bundle (or entry) per range holding the
 * commit's entries, and the entries after the checkpoint. Undefined when the store has no index
 * for this checkpoint (read the whole log then).
 */
export async function readByProof(
  store: AuditStore,
  cp: SignedCheckpoint,
  trusted: readonly TrustedKey[],
  commit: string,
): Promise<ProvenRead | undefined> {
  const index = await indexFor(store, cp, trusted);
  if (index === undefined) return undefined;
  const entries = await provenOfCommit(index, cp, commit);
  const after = await readAfter(store, index, cp);
  return { entries: [...entries, ...after.entries], size: after.size, root: after.root, index: index.name };
}

/** The entries ≤ the checkpoint that the index lists for `commit`, each proven and checked to claim it. */
export async function provenOfCommit(index: Index, cp: SignedCheckpoint, commit: string): Promise<StoredEntry[]> {
  const seqs = await index.seqsOfCommit(commit);
  return provenClaiming(
    index,
    cp,
    seqs,
    (e) => claimedCommit(e.envelopeBytes) === commit,
    () => `commit ${commit}, which that entry does not claim`,
  );
}

/**
 * The entries (not among `have`) that name one of `have` as an in-toto subject — a drift report
 * or smoke record bound to the commit's apply receipt, made at a later commit — each proven
 * against the checkpoint and checked to name it. Needs a format 2 index.
 */
export async function provenBoundTo(
  index: Index,
  cp: SignedCheckpoint,
  have: readonly StoredEntry[],
): Promise<StoredEntry[]> {
  const known = new Set(have.map((e) => e.seq));
  const wanted = new Map<number, string>();
  await all(have, REQUESTS_IN_FLIGHT, async (e) => {
    for (const seq of await index.seqsOfSubject(e.digest)) if (!known.has(seq)) wanted.set(seq, e.digest);
  });
  const seqs = [...wanted.keys()].sort((a, b) => a - b);
  return provenClaiming(
    index,
    cp,
    seqs,
    (e) => claimsOf(e.envelopeBytes).subjects.includes(wanted.get(e.seq)!.slice(7)),
    (seq) => `subject ${wanted.get(seq)!}, which that entry does not name`,
  );
}

/**
 * Entries `seqs`, each proven against the checkpoint and checked to make the claim the index
 * lists it for (`what`: that claim, for the message); an entry that does not is a wrong seq.
 */
async function provenClaiming(
  index: Index,
  cp: SignedCheckpoint,
  seqs: readonly number[],
  claims: (e: StoredEntry) => boolean,
  what: (seq: number) => string,
): Promise<StoredEntry[]> {
  // Many at once (bounded); each range's bundle is read once however many of its entries are named.
  return all(seqs, REQUESTS_IN_FLIGHT, async (seq) => {
    const e = await index.proven(seq, cp.root);
    if (!claims(e))
      throw new ReceiptError('LOG_INTEGRITY', `${index.name}: names entry ${seq} for ${what(seq)} (wrong seq)`);
    return e;
  });
}

/**
 * Every entry after the checkpoint, chained onto its last (proven) entry, each checked by
 * entry-check.ts as the full verify checks it (a stray object, a missing or damaged entry, a
 * delete marker: LOG_INTEGRITY naming the first; a newer version that is not a lost append race,
 * or that chains but holds an envelope `trust` does not trust, is junk), and with `trust` its
 * signature: an envelope no trusted key (or identity) signed is junk — still a
 * leaf of the tree and returned among `entries` (the gate rejects it as evidence, as it does on
 * the full read), and named in `junk`, never a failure; stray objects are skipped and named
 * too. The root over all, and the root at each of `sizes` the log reaches (to compare stored
 * checkpoints with).
 */
export async function readAfter(
  store: AuditStore,
  index: Index,
  cp: SignedCheckpoint,
  sizes: readonly number[] = [],
  trust?: EnvelopeTrust,
): Promise<{ entries: StoredEntry[]; size: number; root: string; roots: Map<number, string>; junk: string[] }> {
  const frontier = index.frontier();
  const junk: string[] = [];
  let prev = GENESIS_PREV;
  if (cp.size > 0) prev = entryHash((await index.proven(cp.size, cp.root)).entryBytes);
  const entries: StoredEntry[] = [];
  const roots = new Map<number, string>();
  const want = new Set(sizes);
  if (want.has(cp.size)) roots.set(cp.size, cp.root.toString('base64'));
  const races = new LostRaces();
  let expected = cp.size + 1;
  for await (const item of store.scan({ from: cp.size + 1, prev, bundles: false })) {
    if (item.kind === 'unknown') junk.push(strayProblem(item.name, item.why));
    if (item.kind === 'leftover' || item.kind === 'bundle' || item.kind === 'unknown') continue;
    const { entry, problems } = firstProblem(item, expected, prev);
    if (problems.length > 0 || entry === undefined) throw integrityError(problems[0]);
    if (item.kind === 'entry') {
      const v = versionProblems(item, prev);
      if (v.problems.length > 0) throw integrityError(v.problems[0]);
      junk.push(...v.junk);
      v.claims.forEach((c) => races.claim(c));
    }
    const unsigned = trust && signatureProblem(entry, store.entryName(entry.seq), trust.keys, trust.identities);
    if (unsigned) junk.push(unsigned);
    races.see(entry.seq, entry.digest);
    prev = entryHash(entry.entryBytes);
    expected++;
    frontier.push(leafHash(entry.entryBytes));
    if (want.has(frontier.size)) roots.set(frontier.size, frontier.root().toString('base64'));
    entries.push(entry);
  }
  const settled = races.settle(trust);
  if (settled.problems.length > 0) throw integrityError(settled.problems[0]);
  junk.push(...settled.junk);
  return { entries, size: frontier.size, root: frontier.root().toString('base64'), roots, junk };
}

/** Where a resumed verify starts: the trusted checkpoint's tree and its last entry's hash. */
export interface SinceStart {
  readonly source: string;
  readonly size: number;
  readonly frontier: MerkleFrontier;
  /** The hash of entry `size` (the `prev` entry size + 1 must carry). */
  readonly prev: string;
  /** The checkpoint's verified index (what a resumed checkpoint continues). */
  readonly index: Index;
}

/**
 * The start of `kfm audit verify --since CHECKPOINT` (already verified): the tree from the
 * checkpoint's index (range roots that fold to its root) and its last entry, proven by
 * inclusion. Undefined when the store has no index for it (verify the whole log then).
 */
export async function sinceStart(
  store: AuditStore,
  cp: SignedCheckpoint,
  source: string,
  trusted: readonly TrustedKey[],
): Promise<SinceStart | undefined> {
  const index = await indexFor(store, cp, trusted);
  if (index === undefined) return undefined;
  const prev = cp.size === 0 ? GENESIS_PREV : entryHash((await index.proven(cp.size, cp.root)).entryBytes);
  return { source, size: cp.size, frontier: index.frontier(), prev, index };
}
