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
import { firstProblem, toStored } from './entry-check';
import type { ExtraVersion, ScanItem, StoredEntry } from './entry';
import { BUNDLE_SIZE, bundleFirst, bundlePath } from './layout';

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

export interface AuditStore {
  /** The spec the store was opened with, for messages. */
  readonly spec: string;
  /** Append one envelope (already checked to be a DSSE envelope) as the next entry. */
  append(envelopeBytes: Buffer): Promise<AppendResult>;
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
  /** Number of entries (the highest contiguous sequence number). */
  size(): Promise<number>;
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
   * @default - none: the replay check reads every entry once per process
   */
  readonly replayIndex?: (store: AuditStore) => ReplayIndex;
}

const NO_REPLAY_INDEX: ReplayIndex = {
  open: async () => undefined,
  prefetch: async () => undefined,
  lookup: async () => undefined,
};

/**
 * Shared append / read logic over three primitives a backend provides.
 */
export abstract class BaseStore implements AuditStore {
  private readonly replay: ReplayIndex;

  protected constructor(
    public readonly spec: string,
    opts: BaseStoreOptions = {},
  ) {
    this.replay = opts.replayIndex?.(this) ?? NO_REPLAY_INDEX;
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
  abstract listDerived(dir: string, opts?: ListOptions): Promise<string[]>;
  abstract derivedName(path: string): string;
  abstract putCheckpoint(size: number, keyHashHex: string, bytes: Buffer): Promise<string>;
  abstract isStore(): Promise<boolean>;
  abstract checkpoints(opts?: { readonly above?: number }): AsyncIterable<StoredCheckpoint>;

  async size(): Promise<number> {
    return this.findTail(this.confirmed);
  }

  /**
   * The highest seq this process knows to end a contiguous run from entry 1 (it read or listed
   * 1 … confirmed, or published confirmed on top of such a run). Only such a seq starts a tail
   * search: an index note or a bundle name is anyone's to write, and a tail taken from one could
   * put an honest record past a gap, where it is not part of the log.
   */
  private confirmed = 0;

  /**
   * The tail: the end of the contiguous run of entries from 1 (layout.ts: the log is that
   * prefix; an entry object past its first gap is junk). Searched from `hint` when this process
   * confirmed 1 … hint - 1, else from entry 1.
   */
  protected async findTail(hint: number): Promise<number> {
    const start = hint >= 1 && hint <= this.confirmed + 1 ? hint : 1;
    const tail = await this.tailFrom(start);
    this.confirmed = Math.max(this.confirmed, tail);
    return tail;
  }

  /**
   * The last of the contiguous entries start, start + 1, … (start - 1 when `start` does not
   * exist): every seq between is checked, never inferred from a probe.
   */
  protected abstract tailFrom(start: number): Promise<number>;

  /** Our last published entry: this process's next append tries seq + 1 on top of it first. */
  private last: { seq: number; bytes: Buffer } | undefined;
  /** Envelope digest → first seq holding it, for entries 1 … `scanned` (the replay check). */
  private seen: Map<string, number> | undefined;
  private scanned = 0;
  /** Entries of the bundle range being filled, by seq: what the bundle completing it is made of. */
  private readonly recent = new Map<number, Buffer>();

  /**
   * Append one envelope unless it is already in the log (then its first entry, `existing: true`,
   * nothing written). A batch in one process chains each entry onto its own last one: one
   * exclusive publish per entry while nobody else appends; a lost race re-reads the tail.
   */
  async append(envelopeBytes: Buffer): Promise<AppendResult> {
    const digest = sha256Tagged(envelopeBytes);
    const found = await this.findEnvelope(digest);
    if (found !== undefined) return { seq: found, digest, existing: true };
    let tail: number;
    let prev: string;
    if (this.last !== undefined && this.last.seq <= this.confirmed) {
      tail = this.last.seq;
      prev = entryHash(this.last.bytes);
    } else {
      // The replay check may have read from an unverified index on: confirm the tail first.
      tail = await this.findTail(this.confirmed);
      prev = this.last?.seq === tail ? entryHash(this.last.bytes) : await this.prevOf(tail);
    }
    for (let attempt = 0; ; attempt++) {
      const seq = tail + 1;
      if (seq > MAX_SEQ) throw new ReceiptError('STORE_INVALID', `${this.spec}: log is full (${MAX_SEQ} entries)`);
      const bytes = encodeEntry(seq, prev, envelopeBytes);
      if (await this.publish(seq, bytes)) {
        this.confirmed = seq;
        this.last = { seq, bytes };
        this.remember(seq, bytes);
        if (this.scanned === seq - 1) {
          this.scanned = seq;
          if (!this.seen!.has(digest)) this.seen!.set(digest, seq);
        }
        if (seq % BUNDLE_SIZE === 0) await this.writeBundle(seq - BUNDLE_SIZE + 1);
        return { seq, digest };
      }
      if (attempt > 10000)
        throw new ReceiptError(
          'STORE_UNAVAILABLE',
          `${this.spec}: lost 10000 append races in a row; giving up — re-run the same command (appends are idempotent)`,
        );
      this.last = undefined;
      tail = await this.findTail(seq);
      prev = await this.prevOf(tail);
      // Someone else appended meanwhile: maybe this very envelope.
      const again = await this.findEnvelope(digest);
      if (again !== undefined) return { seq: again, digest, existing: true };
    }
  }

  /** The `prev` an entry after `tail` must carry. */
  private async prevOf(tail: number): Promise<string> {
    if (tail === 0) return GENESIS_PREV;
    const last = await this.read(tail);
    if (last === undefined) {
      // Seen a moment ago: only a deletion explains this. Never append over a hole.
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `${this.entryName(tail)}: vanished while appending; run "kfm audit verify"`,
      );
    }
    const e = decodeEntry(last, this.entryName(tail));
    if (e.seq !== tail) {
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `${this.entryName(tail)}: field "seq" is ${e.seq}, expected ${tail}; run "kfm audit verify"`,
      );
    }
    this.remember(tail, last);
    return entryHash(last);
  }

  private remember(seq: number, bytes: Buffer): void {
    const first = bundleFirst(seq);
    for (const s of this.recent.keys()) if (s < first) this.recent.delete(s);
    this.recent.set(seq, bytes);
  }

  /**
   * The first entry holding the envelope with this digest, or undefined. Reads the entries this
   * process has not seen yet (all of them once per process, then only others' appends); the
   * replay index (ledger/replay-index/) answers for the part of the log it covers.
   */
  protected async findEnvelope(digest: string): Promise<number | undefined> {
    await this.startReplayCheck();
    const seen = this.seen!;
    const hit = seen.get(digest);
    if (hit !== undefined) return hit;
    // The index lookup runs while the entries after the index are read.
    const fromIndex = this.replay.lookup(digest);
    if (this.last === undefined || this.scanned !== this.last.seq) {
      let end: { seq: number; bytes: Buffer } | undefined;
      let whole = true;
      // A run read from a confirmed seq on is confirmed too (from an index's end on it is not).
      const fromConfirmed = this.scanned <= this.confirmed;
      const items = this.scan({ from: this.scanned + 1, bundles: false, absentIsEmpty: true, strays: false });
      for await (const item of items) {
        if (item.kind === 'unknown' || item.kind === 'leftover' || item.kind === 'bundle') continue;
        if (item.kind !== 'entry' || item.seq !== this.scanned + 1) {
          whole = false;
          break;
        }
        this.scanned = item.seq;
        end = { seq: item.seq, bytes: item.bytes };
        this.remember(item.seq, item.bytes);
        let d: string;
        try {
          d = decodeEntry(item.bytes, item.name).digest;
        } catch {
          continue; // a damaged entry holds no envelope to match; verify reports it
        }
        if (!seen.has(d)) seen.set(d, item.seq);
      }
      // Read to the end: the last entry read is the tail to chain onto (a lost race re-reads it).
      if (whole && end !== undefined) {
        try {
          if (decodeEntry(end.bytes, this.entryName(end.seq)).seq === end.seq) this.last = end;
          if (fromConfirmed) this.confirmed = Math.max(this.confirmed, end.seq);
        } catch {
          // a damaged tail: append reads and reports it
        }
      }
    }
    const indexed = await fromIndex;
    const scanned = seen.get(digest);
    return indexed !== undefined && (scanned === undefined || indexed < scanned) ? indexed : scanned;
  }

  /** Once per process: where the replay check starts reading (the newest index's last entry). */
  private async startReplayCheck(): Promise<void> {
    if (this.seen !== undefined) return;
    this.seen = new Map();
    const indexed = await this.replay.open();
    // Read from the index's last entry on: it is the tail to chain onto when nothing came after.
    if (indexed !== undefined) this.scanned = Math.max(0, indexed.size - 1);
  }

  /**
   * Before a batch: look every envelope up in the newest index at once (many requests in
   * flight), so each append's replay check finds its answer read. Optional; appends are the same.
   */
  async prepareAppend(envelopes: readonly Buffer[]): Promise<void> {
    await this.startReplayCheck();
    await this.replay.prefetch(envelopes.map((b) => sha256Tagged(b)));
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

export { seqName };
