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
import { decodeEntry, encodeEntry, entryHash, GENESIS_PREV, LedgerEntry, MAX_SEQ, seqName } from './entry';

/** What `append` returns and the CLI prints. */
export interface AppendResult {
  readonly seq: number;
  /** `sha256:<hex>` of the appended envelope file bytes, as given. */
  readonly digest: string;
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
  /** Raw listing for verify: entries in order, gaps, leftovers and unknown objects. */
  scan(): AsyncIterable<ScanItem>;
  /** Store a signed checkpoint note (never overwrites); returns its name. */
  putCheckpoint(size: number, keyHashHex: string, bytes: Buffer): Promise<string>;
  checkpoints(): AsyncIterable<StoredCheckpoint>;
  /** Name of entry `seq`, for messages. */
  entryName(seq: number): string;
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
  abstract scan(): AsyncIterable<ScanItem>;
  abstract putCheckpoint(size: number, keyHashHex: string, bytes: Buffer): Promise<string>;
  abstract checkpoints(): AsyncIterable<StoredCheckpoint>;

  async size(): Promise<number> {
    return this.findTail(this.hint);
  }

  /** Highest seq that exists, probing from `hint`: exponential then binary search (entries are contiguous). */
  private async findTail(hint: number): Promise<number> {
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

  async append(envelopeBytes: Buffer): Promise<AppendResult> {
    let tail = await this.findTail(this.hint);
    for (let attempt = 0; ; attempt++) {
      let prev = GENESIS_PREV;
      if (tail > 0) {
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
        prev = entryHash(last);
      }
      const seq = tail + 1;
      if (seq > MAX_SEQ) throw new ReceiptError('STORE_INVALID', `${this.spec}: log is full (${MAX_SEQ} entries)`);
      const bytes = encodeEntry(seq, prev, envelopeBytes);
      if (await this.publish(seq, bytes)) {
        this.hint = seq;
        return { seq, digest: decodeEntry(bytes, this.entryName(seq)).digest };
      }
      if (attempt > 10000)
        throw new ReceiptError('STORE_UNAVAILABLE', `${this.spec}: lost 10000 append races in a row; giving up`);
      tail = await this.findTail(seq);
    }
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
    for await (const item of this.scan()) {
      if (item.kind === 'leftover') continue;
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
