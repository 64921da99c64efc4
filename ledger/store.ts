/**
 * The audit ledger's storage: one `AuditStore` interface, two implementations chosen by the
 * store spec — a directory (the embedded default, e.g. `.kfm/audit`) or `s3://BUCKET/PREFIX`.
 * Both use the same layout, declared in layout.ts: `<root>/entries/<seq, 12 digits>.json`,
 * `<root>/checkpoints/`, and the derived `<root>/bundles/` and `<root>/index/`.
 *
 * This module (with fs-store.ts and s3-store.ts) is the only writer of the log. Appending is
 * "read the tail, write seq = tail + 1 with prev = hash(tail) exclusively, on a lost race
 * re-read and retry", so concurrent appenders never lose, duplicate or fork an entry.
 */
import { ReceiptError } from '../core/errors';
import { sha256Tagged } from '../core/digest';
import { decodeEntry, encodeEntry, entryHash, GENESIS_PREV, MAX_SEQ, seqName } from './entry';
import { chainsOnto, firstProblem, toStored } from './entry-check';
import type { ExtraVersion, ScanItem, StoredEntry } from './entry';
import { BUNDLE_SIZE, bundleFirst, bundlePath } from './layout';
import { all, REQUESTS_IN_FLIGHT } from './pool';

export { BUNDLE_SIZE, bundleFirst, bundlePath };
export type { ExtraVersion, ScanItem, StoredEntry };

/** A bounded listing of derived data (see AuditStore.listDerived). */
export interface ListOptions {
  /** Only names starting with `dir/` + this. @default every name */
  readonly prefix?: string;
  /** Only names sorting after this relative path (e.g. `checkpoints/000000001000`). @default none */
  readonly after?: string;
}

/** What `append` returns and the CLI prints. */
export interface AppendResult {
  readonly seq: number;
  /** `sha256:<hex>` of the appended envelope file bytes, as given. */
  readonly digest: string;
  /** True when the envelope was already in the log: `seq` is its first entry and nothing was written. */
  readonly existing?: true;
}

export interface StoredCheckpoint {
  readonly name: string;
  readonly bytes: Buffer;
}

/** A verified start for the appender: the log up to `seq`, as a note signed by the log's key says. */
export interface AppendStart {
  /** The note's tree size: entries 1 … seq are the log. */
  readonly seq: number;
  /** Hash of entry `seq` (what entry seq + 1 chains onto). */
  readonly prev: string;
  /** The note's name, for messages. */
  readonly note: string;
  /** The first seq ≤ `seq` holding an envelope digest, or undefined; throws when a shard is unusable. */
  lookup(digest: string): Promise<number | undefined>;
  /** Read the shards holding these digests ahead of the lookups (many requests in flight). */
  prefetch(digests: readonly string[]): Promise<void>;
}

export interface AuditStore {
  /** The spec the store was opened with, for messages. */
  readonly spec: string;
  /** Append one envelope (already checked to be a DSSE envelope) as the next entry. */
  append(envelopeBytes: Buffer): Promise<AppendResult>;
  /**
   * Start the appender's chain at a verified index note (ledger/append-start.ts) instead of
   * entry 1; only before anything is read. A start whose shards turn out unusable is dropped
   * and the chain is read from entry 1. @default - the chain from entry 1
   */
  startAt?(start: AppendStart): void;
  /**
   * Every object (S3: every version, oldest first) stored under entry `seq`'s name. With `wanted`
   * (the caller looks for one object it can recognise, such as bytes of a known leaf hash), S3
   * reads the current version first and returns it alone when it is wanted: one request, not a
   * listing and a GET per version.
   */
  entryVersions?(seq: number, wanted?: (bytes: Buffer) => boolean): Promise<Buffer[]>;
  /** Optional preparation of a batch of appends (reads ahead what their replay checks need). */
  prepareAppend?(envelopes: readonly Buffer[]): Promise<void>;
  /**
   * Every entry in order. Each is checked as it is read — format, digest of the envelope,
   * contiguous sequence numbers and the prev-hash chain — and a defect throws LOG_INTEGRITY
   * naming the entry. Signatures are NOT checked here (use verifyLog or verify them yourself).
   */
  entries(): AsyncIterable<StoredEntry>;
  /** One entry by sequence number (format and digest checked). */
  get(seq: number): Promise<StoredEntry>;
  /**
   * Entry `seq` of the log, the chain from entry 1: INPUT_INVALID when the log does not reach
   * it (an object stored under that name past the log's end is not an entry). Reads the chain.
   */
  logEntry?(seq: number): Promise<StoredEntry>;
  /** Number of entries: the end of the chain from entry 1 (layout.ts). */
  size(): Promise<number>;
  /**
   * The contiguous run of entry names from 1, no object read: `size()` unless the run ends in
   * objects that do not chain (planted ahead of the log). Cheap; for sizing work a scan redoes.
   */
  listedSize?(): Promise<number>;
  /**
   * Whether a store exists here (layout.ts): a directory store's entries/ folder; an S3 prefix
   * with an entry or the marker `kfm audit init` writes. `kfm audit append` writes only into one.
   */
  isStore(): Promise<boolean>;
  /**
   * Raw listing for verify: entries in order (from `from`, default 1), gaps, bundles, leftovers
   * and unknown objects. Remote stores read many entries at once (bounded) and keep the order.
   */
  scan(opts?: ScanOptions): AsyncIterable<ScanItem>;
  /**
   * Derived data (bundles, index): the bytes at `path` under the store (S3: oldest version), or
   * undefined. With `accept` (a check that only the right bytes pass: a content digest, a range
   * root), S3 may answer with one GET of the current version when it passes, else the oldest.
   */
  getDerived(path: string, accept?: (bytes: Buffer) => boolean): Promise<Buffer | undefined>;
  /** Publish derived data at `path` unless something is there already: true = ours. Never overwrites. */
  putDerived(path: string, bytes: Buffer): Promise<boolean>;
  /**
   * Publish content-addressed objects (index shards, each named by its bytes' digest), each unless
   * a version of it is stored already. Never overwrites. Who wins a race does not matter: a name
   * holds the same bytes, and readers take a shard only by its digest (S3: no listing after the
   * PUT to decide a winner; what is stored is known from one listing of the folder while it holds
   * under 1,000 objects, else from a listing per object).
   */
  putContentAddressed(files: readonly (readonly [string, Buffer])[]): Promise<void>;
  /**
   * Names (relative paths) under the derived folder `dir` (`bundles`, `index`, `checkpoints`),
   * sorted. `opts.prefix` keeps names starting with `dir/prefix` (S3: one listing of just those);
   * `opts.after` keeps names sorting after that relative path (S3: the listing starts there), so
   * a reader bounded by a known tree size does not list the history below it.
   */
  listDerived(dir: string, opts?: ListOptions): Promise<string[]>;
  /** Full name of derived data at `path`, for messages. */
  derivedName(path: string): string;
  /** Store a signed checkpoint note (never overwrites); returns its name. */
  putCheckpoint(size: number, keyHashHex: string, bytes: Buffer): Promise<string>;
  /**
   * The stored checkpoint notes in size order; with `above`, only those of a larger tree size
   * (S3: the listing starts there, so a resumed read does not list or fetch the older ones).
   */
  checkpoints(opts?: { readonly above?: number }): AsyncIterable<StoredCheckpoint>;
  /** Name of entry `seq`, for messages. */
  entryName(seq: number): string;
  /**
   * When the object at `path` (relative: `entries/…`, `bundles/…`, `index/…`) was written, in ms
   * (S3: its oldest version's LastModified; a directory: its mtime), or undefined when absent.
   * Verify uses it only to tell junk from damage (a bundle written before the index that covers
   * it), never to decide what is evidence.
   */
  writtenAt?(path: string): Promise<number | undefined>;
}

export interface ScanOptions {
  /** First seq to read (entries before it, and objects other than entries and bundles, are skipped). */
  readonly from?: number;
  /**
   * The hash of entry `from` - 1 (GENESIS_PREV when from is 1): what the entry at `from` must
   * chain onto. The log is the chain from entry 1 (layout.ts): an object that does not chain is
   * not the entry (S3: an older version planted there is passed over for the oldest version
   * that chains; none chains, or a directory store's last object does not: the log ends before
   * it, and it is junk). @default - GENESIS_PREV from entry 1; later, the hash of entry from - 1
   * as the store reads it
   */
  readonly prev?: string;
  /** Also yield bundles (kind 'bundle') before the entries they hold. @default true */
  readonly bundles?: boolean;
  /** A store that does not exist yet reads as empty (appending creates it). @default false */
  readonly absentIsEmpty?: boolean;
  /**
   * Also yield what is not the ledger's (kind 'unknown', 'leftover') in every folder, however
   * much of the log is read, so a resumed reader judges stray objects as the full verify does
   * (S3: a listing of the top level, checkpoints/ and bundles/ from `from`, and entries/ from
   * `from`). @default true
   */
  readonly strays?: boolean;
}

/**
 * What the appender's replay check asks of an index (ledger/replay-index/): where the index
 * ends, and which entry holds a digest. Hits are confirmed against the entry before they count.
 */
export interface ReplayIndex {
  /** Read the newest index; its tree size, or undefined when there is none usable. */
  open(): Promise<{ size: number } | undefined>;
  /** Read the shards holding these digests ahead of the lookups (many requests in flight). */
  prefetch(digests: readonly string[]): Promise<void>;
  /** The seq of a verified entry holding `digest`, or undefined. */
  lookup(digest: string): Promise<number | undefined>;
}

export interface BaseStoreOptions {
  /**
   * The replay index, made for this store when the store is made (openStore passes the one of
   * ledger/replay-index/).
   * @default - none. Not read any more: the replay check reads the chain from entry 1
   */
  readonly replayIndex?: (store: AuditStore) => ReplayIndex;
}

/**
 * Shared append / read logic over three primitives a backend provides.
 */
export abstract class BaseStore implements AuditStore {
  protected constructor(
    public readonly spec: string,
    opts: BaseStoreOptions = {},
  ) {
    // The replay index is no longer read by the appender (see prepareAppend); kept in the
    // options so callers that pass one keep compiling.
    void opts;
  }

  abstract entryName(seq: number): string;
  /** True when entry `seq` exists (any version). */
  protected abstract exists(seq: number): Promise<boolean>;
  /** The bytes of entry `seq` (S3: the oldest version), or undefined. */
  protected abstract read(seq: number): Promise<Buffer | undefined>;
  /** Publish `bytes` as entry `seq` if nobody else has: true = ours, false = lost the race. */
  protected abstract publish(seq: number, bytes: Buffer): Promise<boolean>;
  abstract scan(opts?: ScanOptions): AsyncIterable<ScanItem>;
  abstract getDerived(path: string, accept?: (bytes: Buffer) => boolean): Promise<Buffer | undefined>;
  abstract putDerived(path: string, bytes: Buffer): Promise<boolean>;
  async putContentAddressed(files: readonly (readonly [string, Buffer])[]): Promise<void> {
    await all(files, REQUESTS_IN_FLIGHT, async ([path, bytes]) => {
      if ((await this.getDerived(path)) === undefined) await this.putDerived(path, bytes);
    });
  }
  abstract listDerived(dir: string, opts?: ListOptions): Promise<string[]>;
  abstract derivedName(path: string): string;
  abstract putCheckpoint(size: number, keyHashHex: string, bytes: Buffer): Promise<string>;
  abstract isStore(): Promise<boolean>;
  abstract checkpoints(opts?: { readonly above?: number }): AsyncIterable<StoredCheckpoint>;

  /**
   * The log's size: the end of the chain from entry 1 (layout.ts). Read from the end this
   * process last confirmed (entry 1 the first time: every object on the way is read, because
   * only the chain from entry 1 — not a name, an index note or a bundle, which are anyone's to
   * write — tells the log's entries from objects planted ahead of it).
   */
  async size(): Promise<number> {
    return (await this.readChain()).seq;
  }

  /**
   * The contiguous run of entry names from 1 (no object read): the log's size unless the last
   * objects of the run do not chain (planted ahead of the log), which a reader of them then
   * finds. Cheap (S3: a listing of the entry keys); verify sizes its proofs with it.
   */
  async listedSize(): Promise<number> {
    return this.tailFrom(this.chain.seq >= 1 ? this.chain.seq : 1);
  }

  /**
   * The last of the contiguous entry names start, start + 1, … (start - 1 when `start` does not
   * exist): every seq between is checked, never inferred from a probe.
   */
  protected abstract tailFrom(start: number): Promise<number>;

  /** The end of the chain from entry 1 as this process last read or wrote it. */
  private chain: { seq: number; prev: string } = { seq: 0, prev: GENESIS_PREV };
  /** Envelope digest → first seq holding it, for entries 1 … chain.seq (the replay check). */
  private readonly seen = new Map<string, number>();
  /** Entries of the bundle range being filled, by seq: what the bundle completing it is made of. */
  private readonly recent = new Map<number, Buffer>();
  /** The verified note the chain started at (entries 1 … its size are not in `seen`). */
  private start: AppendStart | undefined;

  startAt(start: AppendStart): void {
    if (this.chain.seq !== 0 || this.start !== undefined) return;
    this.start = start;
    this.chain = { seq: start.seq, prev: start.prev };
  }

  /** Every object stored under entry `seq`'s name (a directory: the one file). */
  async entryVersions(seq: number): Promise<Buffer[]> {
    const b = await this.read(seq);
    return b === undefined ? [] : [b];
  }

  /**
   * The replay check: the first entry holding `digest`, from what the chain read, then (for the
   * entries a verified note covers) from the note's shards. A shard that cannot be read drops the
   * note: the chain is read again from entry 1 and answers.
   */
  private async firstHolding(digest: string): Promise<number | undefined> {
    const found = this.seen.get(digest);
    if (found !== undefined || this.start === undefined) return found;
    try {
      return await this.start.lookup(digest);
    } catch (e) {
      if (!(e instanceof ReceiptError) || e.code === 'STORE_UNAVAILABLE') throw e;
      this.start = undefined;
      this.chain = { seq: 0, prev: GENESIS_PREV };
      this.seen.clear();
      this.recent.clear();
      await this.readChain();
      return this.seen.get(digest);
    }
  }

  /**
   * Extend the chain this process knows from its end: every entry that chains onto the one
   * before it (S3: the oldest version that does). Stops at the first place that does not:
   * an object planted ahead of the log (junk), or damage (verify names it). Never chains onto
   * anything else, so an append lands where every reader of the log will find it.
   */
  private async readChain(): Promise<{ seq: number; prev: string }> {
    const items = this.scan({
      from: this.chain.seq + 1,
      prev: this.chain.prev,
      bundles: false,
      absentIsEmpty: true,
      strays: false,
    });
    for await (const item of items) {
      if (item.kind === 'unknown' || item.kind === 'leftover' || item.kind === 'bundle') continue;
      if (item.kind !== 'entry' || item.seq !== this.chain.seq + 1) break;
      if (!chainsOnto(item.bytes, item.seq, this.chain.prev)) break;
      this.chain = { seq: item.seq, prev: entryHash(item.bytes) };
      this.remember(item.seq, item.bytes);
      const d = decodeEntry(item.bytes, item.name).digest;
      if (!this.seen.has(d)) this.seen.set(d, item.seq);
    }
    return this.chain;
  }

  /**
   * Append one envelope unless it is already in the log (then its first entry, `existing: true`,
   * nothing written). A batch in one process chains each entry onto its own last one: one
   * exclusive publish per entry while nobody else appends; a lost race reads the chain on.
   * An object in the way that does not chain onto the log's last entry (a directory store: the
   * name is taken for good) stops the append with one line naming it; nothing is written.
   */
  async append(envelopeBytes: Buffer): Promise<AppendResult> {
    const digest = sha256Tagged(envelopeBytes);
    // A verified note's shard for this digest is read while the chain after the note is: the
    // replay check asks it next (read once: a batch's prepareAppend already holds it).
    void this.start?.prefetch([digest]).catch(() => undefined);
    await this.readChain();
    const found = await this.firstHolding(digest);
    if (found !== undefined) return { seq: found, digest, existing: true };
    let chain = this.chain;
    for (let attempt = 0; ; attempt++) {
      const seq = chain.seq + 1;
      if (seq > MAX_SEQ) throw new ReceiptError('STORE_INVALID', `${this.spec}: log is full (${MAX_SEQ} entries)`);
      const bytes = encodeEntry(seq, chain.prev, envelopeBytes);
      if (await this.publish(seq, bytes)) {
        this.chain = { seq, prev: entryHash(bytes) };
        this.remember(seq, bytes);
        this.seen.set(digest, seq);
        if (seq % BUNDLE_SIZE === 0) await this.writeBundle(seq - BUNDLE_SIZE + 1);
        return { seq, digest };
      }
      if (attempt > 10000)
        throw new ReceiptError(
          'STORE_UNAVAILABLE',
          `${this.spec}: lost 10000 append races in a row; giving up — re-run the same command (appends are idempotent)`,
        );
      // Someone else's object is at seq: another append (it chains: read on) or not.
      chain = await this.readChain();
      if (chain.seq < seq) throw blockedBy(this.entryName(seq), seq);
      // Someone else appended meanwhile: maybe this very envelope.
      const again = this.seen.get(digest);
      if (again !== undefined) return { seq: again, digest, existing: true };
    }
  }

  private remember(seq: number, bytes: Buffer): void {
    const first = bundleFirst(seq);
    for (const s of this.recent.keys()) if (s < first) this.recent.delete(s);
    this.recent.set(seq, bytes);
  }

  /**
   * Before a batch: look every envelope up in the newest index at once (many requests in
   * flight), so each append's replay check finds its answer read. Optional; appends are the same.
   */
  async prepareAppend(envelopes: readonly Buffer[]): Promise<void> {
    // A verified note's shards are read ahead (errors are met, and handled, at the lookup).
    await this.start?.prefetch(envelopes.map((e) => sha256Tagged(e))).catch(() => undefined);
    // The replay check reads the chain from entry 1 (readChain): an unverified index can say
    // neither where the log ends nor that an envelope is in it (a copy planted past the end
    // would be answered as "existing" and never appended).
  }

  /**
   * Write the bundle of entries first … first + 255 (just completed) from the entries this
   * process holds. Made only of entries that decode and chain; anything else is left to verify,
   * and the bundle to a later checkpoint. A process that has not read the whole range (it
   * started from an index inside it) leaves the bundle to the next checkpoint too: that
   * checkpoint reads exactly those entries anyway (`--since` resumes at the range's start, a full
   * one reads all), so the append does not read them a second time.
   */
  private async writeBundle(first: number): Promise<void> {
    const parts: Buffer[] = [];
    let prev: string | undefined;
    for (let seq = first; seq < first + BUNDLE_SIZE; seq++) {
      const bytes = this.recent.get(seq);
      if (bytes === undefined) return;
      let e;
      try {
        e = decodeEntry(bytes, this.entryName(seq));
      } catch {
        return;
      }
      if (e.seq !== seq || (prev !== undefined && e.prev !== prev)) return;
      prev = entryHash(bytes);
      parts.push(bytes);
    }
    await this.putDerived(bundlePath(first), Buffer.concat(parts));
  }

  async get(seq: number): Promise<StoredEntry> {
    const name = this.entryName(seq);
    const bytes = await this.read(seq);
    if (bytes === undefined)
      throw new ReceiptError('INPUT_INVALID', `${name}: no entry with seq ${seq} in ${this.spec}`);
    const e = decodeEntry(bytes, name);
    if (e.seq !== seq) throw new ReceiptError('LOG_INTEGRITY', `${name}: field "seq" is ${e.seq}, expected ${seq}`);
    return toStored(e, bytes);
  }

  async logEntry(seq: number): Promise<StoredEntry> {
    const end = (await this.readChain()).seq;
    if (seq > end)
      throw new ReceiptError(
        'INPUT_INVALID',
        `${this.entryName(seq)}: no entry ${seq} in the log (${end} entries; an object stored under that name past the end is not part of it: "kfm audit verify" lists it)`,
      );
    return this.get(seq);
  }

  /** Every entry in order, each checked by ledger/entry-check.ts; the first defect throws LOG_INTEGRITY. */
  async *entries(): AsyncIterable<StoredEntry> {
    let expected = 1;
    let prev = GENESIS_PREV;
    for await (const item of this.scan({ bundles: false })) {
      if (item.kind === 'leftover' || item.kind === 'bundle' || item.kind === 'unknown') continue;
      const { entry, problems } = firstProblem(item, expected, prev);
      if (problems.length > 0 || entry === undefined)
        throw new ReceiptError('LOG_INTEGRITY', `${problems[0]}; run "kfm audit verify"`);
      prev = entryHash(entry.entryBytes);
      expected++;
      yield entry;
    }
  }
}

/**
 * An object at `seq` that does not chain onto the log's last entry: a directory store's name is
 * taken for good, so the append stops (S3 passes such a version over and never gets here).
 */
function blockedBy(name: string, seq: number): ReceiptError {
  return new ReceiptError(
    'STORE_INVALID',
    `${name}: an object that does not chain onto entry ${seq - 1} is where entry ${seq} goes (planted ahead of the log, or damage); nothing appended — run "kfm audit verify": if it lists this object as junk, move it out of entries/ and re-run the same command`,
  );
}

export { seqName };
