/**
 * The ledger's index: derived data, written by `kfm audit checkpoint` with each checkpoint and
 * signed by the same key, so a gate holding that trusted checkpoint can read one commit's
 * evidence by proof instead of reading the history.
 *
 *   index/<size 12>.<keyhash 8>.json    the index note for the checkpoint of that size
 *   index/shards/<sha256 hex>.json      content-addressed shards (256, by key prefix)
 *
 * The note (canonical JSON) holds the checkpoint's size and root, the RFC 6962 roots of every
 * complete bundle range of 256 entries (the tlog-tiles level-1 hashes), the leaf hashes of the
 * last, incomplete range, and the digest of each shard; its `sig` is an Ed25519 signature over
 * "kfm-audit-index/2\n" + the canonical JSON without `sig`. A shard maps each commit an entry
 * claims (`predicate.repo.commit`, signed or not), each envelope digest, and (format 2) each
 * in-toto subject sha256 an entry names — how a drift report or smoke record made at a later
 * commit binds to an apply receipt — to the seqs holding it. Format 1 indexes (no subjects),
 * written before, still verify; a gate does not read by proof through them.
 *
 * Nothing here is trusted for being in the store: the note must verify under a trusted key and
 * name the trusted checkpoint's size and root; the ranges' roots must fold to that root; each
 * shard must match its digest; each entry read through it is proven by an RFC 6962 inclusion
 * proof against the checkpoint. `kfm audit verify` rebuilds every stored index from the
 * entries and fails (exit 3) on any difference — an index that omits an entry or names a wrong
 * seq is caught there; a gate that finds a stored index altered reads the whole log instead.
 */
import { ReceiptError } from '../core/errors';
import { canonicalJson } from '../core/canonical-json';
import { sha256Hex } from '../core/digest';
import { decodeStatementPayload, DsseEnvelope } from '../attest/dsse/envelope';
import { SigningKey, TrustedKey, signBytes, verifyBytes } from '../attest/sign/ed25519';
import { SignedCheckpoint, noteKeyHash } from './checkpoint';
import { decodeEntry, entryHash, GENESIS_PREV, seqName } from './entry';
import { HASH_SIZE, inclusionRanges, leafHash, MerkleFrontier, rootOfLeafHashes, verifyInclusion } from './merkle';
import { all, REQUESTS_IN_FLIGHT } from './pool';
import { AuditStore, BUNDLE_SIZE, bundleFirst, bundlePath, checkLink, StoredEntry } from './store';

/** Index formats: 1 (commits and digests), 2 (also the subjects entries name). New indexes are 2. */
const INDEX_FORMATS = { 1: 'kfm-audit-index/1', 2: 'kfm-audit-index/2' } as const;
const SHARD_FORMATS = { 1: 'kfm-audit-index-shard/1', 2: 'kfm-audit-index-shard/2' } as const;
type IndexVersion = keyof typeof INDEX_FORMATS;
const INDEX_VERSION: IndexVersion = 2;
const versionOf = (v: unknown): IndexVersion | undefined =>
  v === INDEX_FORMATS[1] ? 1 : v === INDEX_FORMATS[2] ? 2 : undefined;
/** What an index's signature covers: its format line, then the canonical body. */
const signedBytes = (body: IndexBody): Buffer => Buffer.from(`${body.v}\n${canonicalJson(body)}`, 'utf8');

export interface IndexBody {
  readonly v: (typeof INDEX_FORMATS)[IndexVersion];
  readonly origin: string;
  readonly size: number;
  /** base64 root at `size`. */
  readonly root: string;
  /** base64 of the 32-byte roots of ranges 1–256, 257–512, … (complete ranges only). */
  readonly blocks: string;
  /** base64 of the leaf hashes of the last, incomplete range. */
  readonly partial: string;
  /** shard name (2 hex) → `sha256:<hex>` of the shard's bytes. */
  readonly shards: Record<string, string>;
}

interface Shard {
  readonly v: (typeof SHARD_FORMATS)[IndexVersion];
  readonly commits: Record<string, number[]>;
  readonly digests: Record<string, number[]>;
  /** Format 2: in-toto subject sha256 (hex) → seqs of the entries naming it. */
  readonly subjects?: Record<string, number[]>;
}
type ShardMaps = { commits: Map<string, number[]>; digests: Map<string, number[]>; subjects: Map<string, number[]> };
const SHARD_KINDS = ['commits', 'digests', 'subjects'] as const;

const shardOfCommit = (commit: string): string => sha256Hex(commit).slice(0, 2);
const shardOfDigest = (digest: string): string => digest.slice(7, 9);
const shardOfSubject = (hex: string): string => hex.slice(0, 2);
const shardPath = (digest: string): string => `index/shards/${digest.slice(7)}.json`;
export const indexPath = (size: number, keyHashHex: string): string => `index/${seqName(size)}.${keyHashHex}.json`;
const INDEX_NAME = /^index\/([0-9]{12})\.([0-9a-f]{8})\.json$/;

/** The commit an entry claims, read without trusting it (the gate verifies what it uses). */
export function claimedCommit(envelopeBytes: Buffer): string | undefined {
  return claimsOf(envelopeBytes).commit;
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * What an entry claims, read without trusting it: the commit (`predicate.repo.commit`) and the
 * sha256 digests (hex) of its in-toto subjects — a drift report or smoke record names the apply
 * receipt it is about there, whatever commit it was made at.
 */
export function claimsOf(envelopeBytes: Buffer): { commit?: string; subjects: string[] } {
  try {
    const env = JSON.parse(envelopeBytes.toString('utf8')) as DsseEnvelope;
    if (typeof env.payload !== 'string') return { subjects: [] };
    const st = decodeStatementPayload(env, 'ledger entry') as {
      subject?: unknown;
      predicate?: { repo?: { commit?: unknown } };
    };
    const c = st.predicate?.repo?.commit;
    const subjects = new Set<string>();
    if (Array.isArray(st.subject)) {
      for (const s of st.subject as { digest?: { sha256?: unknown } }[]) {
        const h = s?.digest?.sha256;
        if (typeof h === 'string' && SHA256_HEX.test(h)) subjects.add(h);
      }
    }
    return { ...(typeof c === 'string' && c.length > 0 ? { commit: c } : {}), subjects: [...subjects] };
  } catch {
    return { subjects: [] };
  }
}

/** Builds an index (and the missing bundles) from entries streamed in order. Memory: the maps. */
export class IndexBuilder {
  private readonly blocks: Buffer[] = [];
  private leaves: Buffer[] = [];
  private lines: Buffer[] = [];
  private readonly shards = new Map<string, ShardMaps>();
  private size = 0;
  /** Complete ranges whose bundle is missing: written by `finish`. */
  readonly bundles: { first: number; bytes: Buffer }[] = [];
  /** Resumed from this verified index: its ranges are taken, its shards merged at `finishMerged`. */
  private base: Index | undefined;

  constructor(private readonly haveBundle: (first: number) => boolean = () => true) {}

  /**
   * A builder that continues `base` (an index verified against a trusted checkpoint): it holds
   * base's complete ranges; push the entries from the first one of base's incomplete range on
   * (those up to base's size must be the leaves base holds; they are not indexed again).
   */
  static resume(base: Index, haveBundle?: (first: number) => boolean): IndexBuilder {
    const b = new IndexBuilder(haveBundle);
    b.base = base;
    b.blocks.push(...base.blocks);
    b.size = base.blocks.length * BUNDLE_SIZE;
    return b;
  }

  /** The seq the next push must have. */
  get next(): number {
    return this.size + 1;
  }

  private shard(name: string) {
    let s = this.shards.get(name);
    if (!s) this.shards.set(name, (s = { commits: new Map(), digests: new Map(), subjects: new Map() }));
    return s;
  }

  push(e: StoredEntry): void {
    const leaf = leafHash(e.entryBytes);
    if (this.base !== undefined) {
      if (e.seq !== this.size + 1)
        throw new ReceiptError('LOG_INTEGRITY', `index resumed at ${this.size}: got entry ${e.seq} next`);
      if (e.seq <= this.base.size) {
        // Already in the base index: only its leaf (checked) and bytes, for the range's bundle.
        if (!leaf.equals(this.base.partial[this.leaves.length] ?? Buffer.alloc(0)))
          throw new ReceiptError(
            'LOG_INTEGRITY',
            `entry ${e.seq} is not the entry the checkpoint at ${this.base.size} holds (rewritten); run "kfm audit verify"`,
          );
        this.size = e.seq;
        this.leaves.push(leaf);
        this.lines.push(e.entryBytes);
        return;
      }
    }
    this.size = e.seq;
    this.leaves.push(leaf);
    this.lines.push(e.entryBytes);
    const add = (m: Map<string, number[]>, k: string) => (m.get(k) ?? m.set(k, []).get(k)!).push(e.seq);
    add(this.shard(shardOfDigest(e.digest)).digests, e.digest.slice(7));
    const { commit, subjects } = claimsOf(e.envelopeBytes);
    if (commit !== undefined) add(this.shard(shardOfCommit(commit)).commits, commit);
    for (const h of subjects) add(this.shard(shardOfSubject(h)).subjects, h);
    if (this.leaves.length === BUNDLE_SIZE) {
      this.blocks.push(rootOfLeafHashes(this.leaves));
      const first = e.seq - BUNDLE_SIZE + 1;
      if (!this.haveBundle(first)) this.bundles.push({ first, bytes: Buffer.concat(this.lines) });
      this.leaves = [];
    }
    if (this.lines.length === BUNDLE_SIZE) this.lines = [];
  }

  get root(): Buffer {
    return rootOfUnits(this.blocks, this.leaves);
  }

  /**
   * `finish` for a resumed builder: each shard the new entries touch is read from the base and
   * merged (its seqs first, they are smaller); the others keep the base's digest. The result is
   * the index a build from entry 1 gives, byte for byte.
   */
  async finishMerged(origin: string): Promise<{ body: IndexBody; shardFiles: Map<string, Buffer> }> {
    const base = this.base;
    if (base === undefined) return this.finish(origin);
    if (base.version !== INDEX_VERSION)
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `${base.name}: a format ${base.version} index cannot be continued; index from entry 1`,
      );
    for (const [name, s] of this.shards) {
      const old = await base.shardContents(name);
      if (old === undefined) continue;
      const merge = (into: Map<string, number[]>, from: Record<string, number[]>) => {
        const added = new Map(into);
        into.clear();
        for (const [k, seqs] of Object.entries(from)) into.set(k, [...seqs]);
        for (const [k, seqs] of added) (into.get(k) ?? into.set(k, []).get(k)!).push(...seqs);
      };
      for (const kind of SHARD_KINDS) merge(s[kind], old[kind] ?? {});
    }
    return this.finish(origin, base.body.shards);
  }

  /**
   * The note body and the shard files (path → bytes); `keep`: shard digests of untouched shards;
   * `version`: the format (1 only to compare with an index written before format 2).
   */
  finish(
    origin: string,
    keep: Record<string, string> = {},
    version: IndexVersion = INDEX_VERSION,
  ): { body: IndexBody; shardFiles: Map<string, Buffer> } {
    const shardFiles = new Map<string, Buffer>();
    const shards: Record<string, string> = { ...keep };
    for (const name of [...this.shards.keys()].sort()) {
      const s = this.shards.get(name)!;
      if (version === 1 && s.commits.size === 0 && s.digests.size === 0) continue;
      const obj: Shard = {
        v: SHARD_FORMATS[version],
        commits: Object.fromEntries(s.commits),
        digests: Object.fromEntries(s.digests),
        ...(version === 1 ? {} : { subjects: Object.fromEntries(s.subjects) }),
      };
      const bytes = Buffer.from(canonicalJson(obj) + '\n', 'utf8');
      const digest = `sha256:${sha256Hex(bytes)}`;
      shards[name] = digest;
      shardFiles.set(shardPath(digest), bytes);
    }
    const body: IndexBody = {
      v: INDEX_FORMATS[version],
      origin,
      size: this.size,
      root: this.root.toString('base64'),
      blocks: Buffer.concat(this.blocks).toString('base64'),
      partial: Buffer.concat(this.leaves).toString('base64'),
      shards,
    };
    return { body, shardFiles };
  }
}

/** RFC 6962 root from the roots of complete 256-ranges and the leaves of the last one (splits align). */
function rootOfUnits(blocks: readonly Buffer[], partial: readonly Buffer[]): Buffer {
  return rootOfLeafHashes(partial.length > 0 ? [...blocks, rootOfLeafHashes(partial)] : [...blocks]);
}

export function signIndex(body: IndexBody, key: SigningKey): Buffer {
  const sig = signBytes(key, signedBytes(body)).toString('base64');
  return Buffer.from(canonicalJson({ ...body, sig }) + '\n', 'utf8');
}

/** Write the bundles the builder found missing, the shards and the signed note. Returns the note's name. */
export async function writeIndex(
  store: AuditStore,
  builder: IndexBuilder,
  origin: string,
  key: SigningKey,
): Promise<string> {
  await all(builder.bundles, REQUESTS_IN_FLIGHT, (b) => store.putDerived(bundlePath(b.first), b.bytes));
  const { body, shardFiles } = await builder.finishMerged(origin);
  // Shards are content-addressed: one already there (from an earlier checkpoint) is the same bytes.
  await all([...shardFiles], REQUESTS_IN_FLIGHT, async ([path, bytes]) => {
    if ((await store.getDerived(path)) === undefined) await store.putDerived(path, bytes);
  });
  const path = indexPath(body.size, noteKeyHash(origin, key.publicKey).toString('hex'));
  await store.putDerived(path, signIndex(body, key));
  return store.derivedName(path);
}

/**
 * Continue `base` with the store's entries up to `upTo`: base's incomplete range is read again
 * (each entry checked against the leaf base holds) and every entry after base is indexed. What a
 * checkpoint resumed from a trusted one (`kfm audit checkpoint --since`) writes; cost: the entries
 * after base's last complete range, and the base shards the new entries touch.
 */
export async function resumeIndex(
  store: AuditStore,
  base: Index,
  upTo: number,
  haveBundle?: (first: number) => boolean,
): Promise<IndexBuilder> {
  const b = IndexBuilder.resume(base, haveBundle);
  if (upTo < b.next - 1) throw new ReceiptError('LOG_INTEGRITY', `${store.spec}: log shorter than its checkpoint`);
  for await (const item of store.scan({ from: b.next, bundles: false })) {
    if (item.kind !== 'entry' && item.kind !== 'missing') continue;
    if (item.seq > upTo) break;
    if (item.kind === 'missing')
      throw new ReceiptError('LOG_INTEGRITY', `${item.name}: entry ${item.seq} is missing; run "kfm audit verify"`);
    const e = decodeEntry(item.bytes, item.name);
    if (e.seq !== item.seq)
      throw new ReceiptError('LOG_INTEGRITY', `${item.name}: field "seq" is ${e.seq}, expected ${item.seq}`);
    try {
      b.push({ seq: e.seq, envelopeBytes: e.envelopeBytes, digest: e.digest, entryBytes: item.bytes });
    } catch (err) {
      if (err instanceof ReceiptError) throw new ReceiptError(err.code, `${item.name}: ${err.message}`);
      throw err;
    }
  }
  if (b.next !== upTo + 1)
    throw new ReceiptError('LOG_INTEGRITY', `${store.spec}: log ended at ${b.next - 1} entries, expected ${upTo}`);
  return b;
}

/** A verified index: trusted for the checkpoint it names. */
export class Index {
  readonly blocks: Buffer[];
  readonly partial: Buffer[];
  private readonly shardCache = new Map<string, Promise<Shard | undefined>>();

  constructor(
    private readonly store: AuditStore,
    readonly name: string,
    readonly body: IndexBody,
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
    const digest = this.body.shards[name];
    if (digest === undefined) return undefined;
    const path = shardPath(digest);
    const bytes = await this.store.getDerived(path, (b) => `sha256:${sha256Hex(b)}` === digest);
    if (bytes === undefined || `sha256:${sha256Hex(bytes)}` !== digest) {
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `${this.store.derivedName(path)}: index shard ${bytes === undefined ? 'is missing' : 'does not match the digest its signed index names (altered)'}`,
      );
    }
    return JSON.parse(bytes.toString('utf8')) as Shard;
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

function split(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i + HASH_SIZE <= b.length; i += HASH_SIZE) out.push(b.subarray(i, i + HASH_SIZE));
  return out;
}

function splitLines(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at < b.length) {
    const nl = b.indexOf(0x0a, at);
    if (nl < 0) break;
    out.push(b.subarray(at, nl + 1));
    at = nl + 1;
  }
  return out;
}

function parseIndex(bytes: Buffer, name: string): { body: IndexBody; sig: Buffer } {
  const fail = (what: string): never => {
    throw new ReceiptError('LOG_INTEGRITY', `${name}: ${what}`);
  };
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
  } catch {
    return fail('index is not JSON (altered or truncated)');
  }
  const { sig, ...body } = o;
  if (versionOf(body.v) === undefined || typeof sig !== 'string')
    return fail(`not a ${INDEX_FORMATS[1]} or ${INDEX_FORMATS[2]} index`);
  if (!Buffer.from(canonicalJson(o) + '\n', 'utf8').equals(bytes))
    return fail('index is not in canonical form (altered)');
  return { body: body as unknown as IndexBody, sig: Buffer.from(sig, 'base64') };
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
  const names = await store.listDerived('index', { prefix: `${seqName(cp.size)}.` });
  let lastError: ReceiptError | undefined;
  for (const path of names) {
    if (!INDEX_NAME.test(path)) continue;
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
      const index = new Index(store, name, body);
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
  const bundles = await store.listDerived('bundles');
  const m = /([0-9]{12})\.jsonl$/.exec(bundles[bundles.length - 1] ?? '');
  const from = m ? Number(m[1]) : 0;
  let names = from > 1 ? await store.listDerived('index', { after: `index/${seqName(from - 1)}.~` }) : [];
  names = names.filter((n) => INDEX_NAME.test(n));
  if (names.length === 0) names = (await store.listDerived('index')).filter((n) => INDEX_NAME.test(n));
  names.sort();
  for (const path of names.reverse()) {
    const bytes = await store.getDerived(path);
    if (bytes === undefined) continue;
    try {
      return new Index(store, store.derivedName(path), parseIndex(bytes, store.derivedName(path)).body);
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
  // Many at once (bounded); each range's bundle is read once however many of its entries are named.
  return all(seqs, REQUESTS_IN_FLIGHT, async (seq) => {
    const e = await index.proven(seq, cp.root);
    if (claimedCommit(e.envelopeBytes) !== commit) {
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `${index.name}: names entry ${seq} for commit ${commit}, which that entry does not claim (wrong seq)`,
      );
    }
    return e;
  });
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
  return all(seqs, REQUESTS_IN_FLIGHT, async (seq) => {
    const e = await index.proven(seq, cp.root);
    const subject = wanted.get(seq)!;
    if (!claimsOf(e.envelopeBytes).subjects.includes(subject.slice(7))) {
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `${index.name}: names entry ${seq} for subject ${subject}, which that entry does not name (wrong seq)`,
      );
    }
    return e;
  });
}

/**
 * Every entry after the checkpoint, chained onto its last (proven) entry; the root over all, and
 * the root at each of `sizes` the log reaches (to compare stored checkpoints with). As verify
 * does: a delete marker on an entry, or a newer version that is not a lost append race (an
 * envelope appended again later), is a LOG_INTEGRITY defect.
 */
export async function readAfter(
  store: AuditStore,
  index: Index,
  cp: SignedCheckpoint,
  sizes: readonly number[] = [],
): Promise<{ entries: StoredEntry[]; size: number; root: string; roots: Map<number, string> }> {
  const frontier = index.frontier();
  let prev = GENESIS_PREV;
  if (cp.size > 0) {
    const last = await index.proven(cp.size, cp.root);
    prev = entryHash(last.entryBytes);
  }
  const entries: StoredEntry[] = [];
  const roots = new Map<number, string>();
  const want = new Set(sizes);
  if (want.has(cp.size)) roots.set(cp.size, cp.root.toString('base64'));
  /** Envelope digests of newer versions: each must be appended again after its entry (a lost race). */
  const raced: { digest: string; seq: number; name: string }[] = [];
  let expected = cp.size + 1;
  for await (const item of store.scan({ from: cp.size + 1, bundles: false })) {
    if (item.kind !== 'entry' && item.kind !== 'missing') continue;
    if (item.kind === 'missing')
      throw new ReceiptError('LOG_INTEGRITY', `${item.name}: entry ${item.seq} is missing; run "kfm audit verify"`);
    if (item.deleteMarkers > 0)
      throw new ReceiptError('LOG_INTEGRITY', `${item.name}: delete marker(s) on the entry (attempted delete)`);
    for (const v of item.extraVersions) {
      let digest: string | undefined;
      try {
        const x = decodeEntry(v.bytes, `${item.name} version ${v.versionId}`);
        digest = x.seq === item.seq ? x.digest : undefined;
      } catch {
        digest = undefined;
      }
      if (digest === undefined)
        throw new ReceiptError('LOG_INTEGRITY', `${item.name}: newer version ${v.versionId} (attempted overwrite)`);
      raced.push({ digest, seq: item.seq, name: item.name });
    }
    const e = checkLink(item.bytes, item.seq, expected, prev, item.name);
    prev = entryHash(item.bytes);
    expected++;
    frontier.push(leafHash(item.bytes));
    if (want.has(frontier.size)) roots.set(frontier.size, frontier.root().toString('base64'));
    entries.push({ seq: e.seq, envelopeBytes: e.envelopeBytes, digest: e.digest, entryBytes: item.bytes });
  }
  for (const r of raced) {
    if (!entries.some((e) => e.seq > r.seq && e.digest === r.digest))
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `${r.name}: a newer version is not appended again later (attempted overwrite, not a lost race)`,
      );
  }
  return { entries, size: frontier.size, root: frontier.root().toString('base64'), roots };
}

/**
 * Let the appender's replay check use the newest index: a digest it lists is confirmed against
 * the entry before it counts; an index that is missing, damaged or lies about an absence costs
 * at most a re-read or a duplicate, which verify notes and the gates count once.
 */
export function attachIndex(
  store: AuditStore & {
    indexedDigests: () => Promise<{ size: number } | undefined>;
    indexLookup: (digest: string) => Promise<number | undefined>;
    indexPrefetch: (digests: readonly string[]) => Promise<void>;
  },
): void {
  let index: Index | undefined;
  store.indexedDigests = async () => {
    try {
      index = await newestIndex(store);
    } catch {
      index = undefined;
    }
    return index === undefined ? undefined : { size: index.size };
  };
  store.indexPrefetch = async (digests) => {
    if (index !== undefined) await index.prefetchDigests(digests);
  };
  store.indexLookup = async (digest) => {
    if (index === undefined) return undefined;
    try {
      for (const seq of await index.seqsOfDigest(digest)) {
        if ((await store.get(seq)).digest === digest) return seq;
      }
    } catch {
      return undefined;
    }
    return undefined;
  };
}

/**
 * Compare every stored index note of size `size` with the one rebuilt from the entries: the
 * signature, the tree it names, and each shard. Returns one problem per difference found.
 */
export async function checkIndexes(
  store: AuditStore,
  rebuilt: IndexBuilder,
  origin: string,
  trusted: readonly TrustedKey[],
  size: number,
): Promise<string[]> {
  const problems: string[] = [];
  // Rebuilt in each stored index's own format (one written before format 2 holds no subjects).
  const built = new Map<IndexVersion, ReturnType<IndexBuilder['finish']>>();
  const rebuiltAs = (v: IndexVersion) => built.get(v) ?? built.set(v, rebuilt.finish(origin, {}, v)).get(v)!;
  for (const path of (await store.listDerived('index')).filter((n) => n.startsWith(`index/${seqName(size)}.`))) {
    const name = store.derivedName(path);
    const bytes = await store.getDerived(path);
    if (bytes === undefined) continue;
    let stored: { body: IndexBody; sig: Buffer };
    try {
      stored = parseIndex(bytes, name);
    } catch (e) {
      problems.push((e as Error).message);
      continue;
    }
    const { body, shardFiles } = rebuiltAs(versionOf(stored.body.v)!);
    const msg = signedBytes(stored.body);
    if (!trusted.some((k) => verifyBytes(k, msg, stored.sig)))
      problems.push(`${name}: index signature does not verify under a trusted key (altered or forged)`);
    for (const f of ['origin', 'size', 'root', 'blocks', 'partial'] as const) {
      if (stored.body[f] !== body[f])
        problems.push(`${name}: index field "${f}" differs from the entries (altered or wrong index)`);
    }
    const names = new Set([...Object.keys(stored.body.shards ?? {}), ...Object.keys(body.shards)]);
    for (const shard of [...names].sort()) {
      const want = body.shards[shard];
      const have = stored.body.shards?.[shard];
      if (want === have) continue;
      const expected = want ? (JSON.parse(shardFiles.get(shardPath(want))!.toString('utf8')) as Shard) : undefined;
      const got = have ? await store.getDerived(shardPath(have)) : undefined;
      let actual: Shard | undefined;
      try {
        actual = got && `sha256:${sha256Hex(got)}` === have ? (JSON.parse(got.toString('utf8')) as Shard) : undefined;
      } catch {
        actual = undefined;
      }
      problems.push(`${name}: shard ${shard} ${describeShardDiff(expected, actual)}`);
    }
  }
  return problems;
}

function describeShardDiff(want: Shard | undefined, got: Shard | undefined): string {
  if (got === undefined) return 'is missing or does not match its digest (altered)';
  for (const kind of SHARD_KINDS) {
    const keys = new Set([...Object.keys(want?.[kind] ?? {}), ...Object.keys(got[kind] ?? {})]);
    for (const k of [...keys].sort()) {
      const w = want?.[kind]?.[k] ?? [];
      const g = got[kind]?.[k] ?? [];
      const omitted = w.filter((s) => !g.includes(s));
      const wrong = g.filter((s) => !w.includes(s));
      const what =
        kind === 'commits' ? `commit ${k}` : kind === 'digests' ? `digest sha256:${k}` : `subject sha256:${k}`;
      if (omitted.length > 0) return `omits entry ${omitted[0]} for ${what} (an index that hides evidence)`;
      if (wrong.length > 0) return `names entry ${wrong[0]} for ${what}, which does not hold it (wrong seq)`;
    }
  }
  return 'differs from the entries';
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
