/**
 * The audit ledger's storage: one `AuditStore` interface, two implementations chosen by the
 * store spec — a directory (the embedded default, e.g. `.kfm/audit`) or `s3://BUCKET/PREFIX`.
 * Both use the same layout: `<root>/entries/<seq, 12 digits>.json`, `<root>/checkpoints/`.
 *
 * This module (with fs-store.ts and s3-store.ts) is the only writer of the log. Appending is
 * "read the tail, write seq = tail + 1 with prev = hash(tail) exclusively, on a lost race
 * re-read and retry", so concurrent appenders never lose, duplicate or fork an entry.
 */
import { ReceiptError } from '../core/errors';
import { sha256Tagged } from '../core/digest';
import { decodeEntry, encodeEntry, entryHash, GENESIS_PREV, LedgerEntry, MAX_SEQ, seqName } from './entry';

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

/** Entries per bundle: a bundle holds entries 256·k+1 … 256·k+256 (C2SP tlog-tiles' width). */
export const BUNDLE_SIZE = 256;

/** First seq of the bundle holding `seq`. */
export function bundleFirst(seq: number): number {
  return Math.floor((seq - 1) / BUNDLE_SIZE) * BUNDLE_SIZE + 1;
}

/** One entry as readers (the gates) see it. */
export interface StoredEntry {
  readonly seq: number;
  /** The exact envelope bytes that were appended. */
  readonly envelopeBytes: Buffer;
  /** `sha256:<hex>` of envelopeBytes (checked on read). */
  readonly digest: string;
  /** The entry's own bytes (a Merkle leaf). */
  readonly entryBytes: Buffer;
}

/** A version of an entry object other than the one that counts (S3 only). */
export interface ExtraVersion {
  readonly versionId: string;
  readonly bytes: Buffer;
}

/** What `scan` yields, in sequence order, for `verify`. */
export type ScanItem =
  | {
      readonly kind: 'entry';
      readonly seq: number;
      /** File or object name for messages. */
      readonly name: string;
      readonly bytes: Buffer;
      /** S3: newer versions of the same key (the oldest version is the entry). */
      readonly extraVersions: readonly ExtraVersion[];
      /** S3: delete markers placed on the key (attempted deletes). */
      readonly deleteMarkers: number;
    }
  | {
      /** A bundle of entries first … first + 255, yielded before the first of them. */
      readonly kind: 'bundle';
      readonly first: number;
      readonly name: string;
      readonly bytes: Buffer;
      readonly extraVersions: readonly ExtraVersion[];
      readonly deleteMarkers: number;
    }
  | { readonly kind: 'missing'; readonly seq: number; readonly name: string }
  | { readonly kind: 'leftover'; readonly name: string }
  | { readonly kind: 'unknown'; readonly name: string };

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
}

export interface ScanOptions {
  /** First seq to read (entries before it, and objects other than entries and bundles, are skipped). */
  readonly from?: number;
  /** Also yield bundles (kind 'bundle') before the entries they hold. @default true */
  readonly bundles?: boolean;
  /** A store that does not exist yet reads as empty (appending creates it). @default false */
  readonly absentIsEmpty?: boolean;
}

/** Path of the bundle starting at `first`. */
export function bundlePath(first: number): string {
  return `bundles/${seqName(first)}.jsonl`;
}

/**
 * Shared append / read logic over three primitives a backend provides.
 */
export abstract class BaseStore implements AuditStore {
  private hint = 0;

  protected constructor(public readonly spec: string) {}

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
  abstract checkpoints(opts?: { readonly above?: number }): AsyncIterable<StoredCheckpoint>;

  async size(): Promise<number> {
    return this.findTail(this.hint || (await this.tailHint()));
  }

  /** A seq known to exist, to start the tail search from (S3: from the bundle listing). */
  protected async tailHint(): Promise<number> {
    return 0;
  }

  /** Highest seq that exists, probing from `hint`: exponential then binary search (entries are contiguous). */
  protected async findTail(hint: number): Promise<number> {
    let lo = hint > 0 && (await this.exists(hint)) ? hint : 0;
    let step = 1;
    while (await this.exists(lo + step)) {
      lo += step;
      step *= 2;
    }
    let hi = lo + step; // does not exist
    while (hi - lo > 1) {
      const mid = lo + Math.floor((hi - lo) / 2);
      if (await this.exists(mid)) lo = mid;
      else hi = mid;
    }
    return lo;
  }

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
    if (this.last !== undefined) {
      tail = this.last.seq;
      prev = entryHash(this.last.bytes);
    } else {
      tail = await this.findTail(this.hint || (await this.tailHint()));
      prev = await this.prevOf(tail);
    }
    for (let attempt = 0; ; attempt++) {
      const seq = tail + 1;
      if (seq > MAX_SEQ) throw new ReceiptError('STORE_INVALID', `${this.spec}: log is full (${MAX_SEQ} entries)`);
      const bytes = encodeEntry(seq, prev, envelopeBytes);
      if (await this.publish(seq, bytes)) {
        this.hint = seq;
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
        throw new ReceiptError('STORE_UNAVAILABLE', `${this.spec}: lost 10000 append races in a row; giving up`);
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
   * index (ledger/index.ts) answers for the part of the log it covers.
   */
  protected async findEnvelope(digest: string): Promise<number | undefined> {
    await this.startReplayCheck();
    const seen = this.seen!;
    const hit = seen.get(digest);
    if (hit !== undefined) return hit;
    // The index lookup runs while the entries after the index are read.
    const fromIndex = this.indexLookup(digest);
    if (this.last === undefined || this.scanned !== this.last.seq) {
      let end: { seq: number; bytes: Buffer } | undefined;
      let whole = true;
      for await (const item of this.scan({ from: this.scanned + 1, bundles: false, absentIsEmpty: true })) {
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
    const indexed = await this.indexedDigests();
    // Read from the index's last entry on: it is the tail to chain onto when nothing came after.
    if (indexed !== undefined) this.scanned = Math.max(0, indexed.size - 1);
  }

  /**
   * Before a batch: look every envelope up in the newest index at once (many requests in
   * flight), so each append's replay check finds its answer read. Optional; appends are the same.
   */
  async prepareAppend(envelopes: readonly Buffer[]): Promise<void> {
    await this.startReplayCheck();
    await this.indexPrefetch(envelopes.map((b) => sha256Tagged(b)));
  }

  /** Read the index shards holding these digests ahead of the lookups (set by ledger/index.ts). */
  indexPrefetch: (digests: readonly string[]) => Promise<void> = async () => undefined;

  /** The newest index this store holds, for the replay check (set by ledger/index.ts). */
  indexedDigests: () => Promise<{ size: number } | undefined> = async () => undefined;
  /** Look a digest up in that index: the seq of a verified entry holding it, or undefined. */
  indexLookup: (digest: string) => Promise<number | undefined> = async () => undefined;

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

  async *entries(): AsyncIterable<StoredEntry> {
    let expected = 1;
    let prev = GENESIS_PREV;
    for await (const item of this.scan({ bundles: false })) {
      if (item.kind === 'leftover' || item.kind === 'bundle') continue;
      if (item.kind === 'unknown')
        throw new ReceiptError('LOG_INTEGRITY', `${item.name}: unexpected object in the log; run "kfm audit verify"`);
      if (item.kind === 'missing')
        throw new ReceiptError('LOG_INTEGRITY', `${item.name}: entry ${item.seq} is missing; run "kfm audit verify"`);
      const e = checkLink(item.bytes, item.seq, expected, prev, item.name);
      prev = entryHash(item.bytes);
      expected++;
      yield toStored(e, item.bytes);
    }
  }
}

function toStored(e: LedgerEntry, entryBytes: Buffer): StoredEntry {
  return { seq: e.seq, envelopeBytes: e.envelopeBytes, digest: e.digest, entryBytes };
}

/** Decode one entry and check its seq and chain link; LOG_INTEGRITY naming it otherwise. */
export function checkLink(bytes: Buffer, seq: number, expected: number, prev: string, name: string): LedgerEntry {
  const e = decodeEntry(bytes, name);
  if (seq !== expected)
    throw new ReceiptError(
      'LOG_INTEGRITY',
      `${name}: expected entry ${expected} here (entries missing or out of order)`,
    );
  if (e.seq !== seq)
    throw new ReceiptError(
      'LOG_INTEGRITY',
      `${name}: field "seq" is ${e.seq} but the entry is stored as ${seq} (swapped or moved entry)`,
    );
  if (e.prev !== prev)
    throw new ReceiptError(
      'LOG_INTEGRITY',
      `${name}: field "prev" does not match the hash of entry ${seq - 1} (chain broken: entry inserted, removed or altered before it)`,
    );
  return e;
}

export { seqName };
