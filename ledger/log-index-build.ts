/**
 * Building the log index from entries streamed in order, and writing it with a checkpoint
 * (`kfm audit checkpoint` signs the note with the checkpoint's key). Format: log-index-format.ts.
 */
import { isReceiptError, ReceiptError } from '../core/errors';
import { canonicalJson } from '../core/canonical-json';
import { sha256Hex } from '../core/digest';
import { SigningKey, signBytes } from '../attest/sign/ed25519';
import { noteKeyHash } from './checkpoint';
import { decodeEntry, StoredEntry } from './entry';
import { BUNDLE_SIZE, bundlePath, indexPath, shardCopyTag, shardPath } from './layout';
import { leafHash, rootOfLeafHashes } from './merkle';
import { all, REQUESTS_IN_FLIGHT } from './pool';
import type { AuditStore } from './store';
import {
  claimsOf,
  INDEX_FORMATS,
  INDEX_VERSION,
  IndexBody,
  IndexVersion,
  rootOfUnits,
  Shard,
  SHARD_FORMATS,
  SHARD_KINDS,
  ShardMaps,
  shardOfCommit,
  shardOfDigest,
  shardOfSubject,
  signedBytes,
} from './log-index-format';
import type { Index } from './log-index-read';

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

  /**
   * A builder that continues `base` from its last entry on, taking base's incomplete range from
   * the leaves it holds (no bundle is made): what `kfm audit verify --since` rebuilds the stored
   * index notes above base from, reading only the entries after base.
   */
  static after(base: Index): IndexBuilder {
    const b = IndexBuilder.resume(base);
    b.leaves = [...base.partial];
    b.size = base.size;
    return b;
  }

  /** True when the builder continues a verified index (its shards are merged at `finishMerged`). */
  get resumed(): boolean {
    return this.base !== undefined;
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
    const add = (name: string, kind: 'commits' | 'digests' | 'subjects', k: string) => {
      const m = this.shard(name)[kind];
      (m.get(k) ?? m.set(k, []).get(k)!).push(e.seq);
      this.touched.set(name, e.seq);
    };
    add(shardOfDigest(e.digest), 'digests', e.digest.slice(7));
    const { commit, subjects } = claimsOf(e.envelopeBytes);
    if (commit !== undefined) add(shardOfCommit(commit), 'commits', commit);
    for (const h of subjects) add(shardOfSubject(h), 'subjects', h);
    if (this.leaves.length === BUNDLE_SIZE) {
      this.blocks.push(rootOfLeafHashes(this.leaves));
      const first = e.seq - BUNDLE_SIZE + 1;
      if (this.lines.length === BUNDLE_SIZE && !this.haveBundle(first))
        this.bundles.push({ first, bytes: Buffer.concat(this.lines) });
      this.leaves = [];
      this.lines = [];
    }
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
    // Merged into copies: the builder goes on (verify compares every stored note on the way).
    const merged = new Map<string, ShardMaps>();
    for (const [name, s] of this.shards) {
      const old = await base.shardContents(name);
      const copy: ShardMaps = { commits: new Map(), digests: new Map(), subjects: new Map() };
      for (const kind of SHARD_KINDS) {
        for (const [k, seqs] of Object.entries(old?.[kind] ?? {})) copy[kind].set(k, [...seqs]);
        for (const [k, seqs] of s[kind]) (copy[kind].get(k) ?? copy[kind].set(k, []).get(k)!).push(...seqs);
      }
      merged.set(name, copy);
    }
    return this.finish(origin, base.body.shards, INDEX_VERSION, merged);
  }

  /**
   * The bytes of a shard the new entries left as the base had it (read through the base), or
   * undefined: also when the base cannot give it (a base written before shards had copies, whose
   * shard's name holds other bytes; its readers read the whole log, as they did).
   */
  async keptShardBytes(name: string): Promise<Buffer | undefined> {
    try {
      return await this.base?.shardBytes(name);
    } catch (e) {
      if (isReceiptError(e) && e.code === 'LOG_INTEGRITY') return undefined;
      throw e;
    }
  }

  /** Shard bytes made by an earlier `finish` (per format), reused while the shard is unchanged. */
  private readonly made = new Map<IndexVersion, Map<string, { at: number; bytes: Buffer; digest: string }>>();
  /** Per shard, the entry that last changed it. */
  private readonly touched = new Map<string, number>();

  /**
   * The note body and the shard files (path → bytes); `keep`: shard digests of untouched shards;
   * `version`: the format (1 only to compare with an index written before format 2); `from`: the
   * shards (default: the builder's own; a shard unchanged since an earlier call is not made again).
   */
  finish(
    origin: string,
    keep: Record<string, string> = {},
    version: IndexVersion = INDEX_VERSION,
    from?: ReadonlyMap<string, ShardMaps>,
  ): { body: IndexBody; shardFiles: Map<string, Buffer> } {
    const shardFiles = new Map<string, Buffer>();
    const shards: Record<string, string> = { ...keep };
    const source = from ?? this.shards;
    const cache =
      from === undefined ? (this.made.get(version) ?? this.made.set(version, new Map()).get(version)!) : undefined;
    for (const name of [...source.keys()].sort()) {
      const s = source.get(name)!;
      if (version === 1 && s.commits.size === 0 && s.digests.size === 0) continue;
      let made = cache?.get(name);
      if (made === undefined || made.at < (this.touched.get(name) ?? 0)) {
        const obj: Shard = {
          v: SHARD_FORMATS[version],
          commits: Object.fromEntries(s.commits),
          digests: Object.fromEntries(s.digests),
          ...(version === 1 ? {} : { subjects: Object.fromEntries(s.subjects) }),
        };
        const bytes = Buffer.from(canonicalJson(obj) + '\n', 'utf8');
        made = { at: this.size, bytes, digest: `sha256:${sha256Hex(bytes)}` };
        cache?.set(name, made);
      }
      shards[name] = made.digest;
      shardFiles.set(shardPath(made.digest), made.bytes);
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

/** The note's bytes: canonical JSON with `sig`, an Ed25519 signature over the format line and the body. */
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
  const note = signIndex(body, key);
  await publishShards(store, builder, body, shardFiles, shardCopyTag(note));
  const path = indexPath(body.size, noteKeyHash(origin, key.publicKey).toString('hex'));
  if ((await store.putDerived(path, note)) || (await store.getDerived(path))?.equals(note) === true)
    return store.derivedName(path);
  // Someone else's bytes hold the note's name first (it is predictable: the size and the key's
  // hash, so an appender can plant junk there before the size exists; on S3 the first version
  // stays). The note goes under its own content's hash, which nobody can know before it is
  // signed; readers list every note of a size and take the one that verifies (indexFor).
  const own = indexPath(body.size, sha256Hex(note).slice(0, 8));
  await store.putDerived(own, note);
  return store.derivedName(own);
}

/**
 * Publish the shards a note names so that each can be read through it. Shards are
 * content-addressed: one already there (from an earlier checkpoint) is the same bytes — unless
 * someone put other bytes at the name first. The name is predictable (a shard's bytes derive
 * from the entries, which anyone can read) and on S3 the first version stays. So every shard
 * the note names, made now or kept from the base, is read back as a reader reads it, and where
 * that is not the shard it is written again under `copy` (the note's shardCopyTag: nobody knows
 * it before the note is signed, and the note is written after this), where the note's readers
 * look next (Index.shardBytes). Cost: one read per shard the note names.
 */
async function publishShards(
  store: AuditStore,
  builder: IndexBuilder,
  body: IndexBody,
  shardFiles: ReadonlyMap<string, Buffer>,
  copy: string,
): Promise<void> {
  await store.putContentAddressed([...shardFiles]);
  await all(Object.entries(body.shards), REQUESTS_IN_FLIGHT, async ([name, digest]) => {
    const path = shardPath(digest);
    const matches = (b: Buffer) => `sha256:${sha256Hex(b)}` === digest;
    const there = await store.getDerived(path, matches);
    if (there !== undefined && matches(there)) return;
    const bytes = shardFiles.get(path) ?? (await builder.keptShardBytes(name));
    if (bytes !== undefined) await store.putDerived(shardPath(digest, copy), bytes);
  });
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
  for await (const item of store.scan({ from: b.next, bundles: false, strays: false })) {
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
