/**
 * One ledger entry: the appended DSSE envelope exactly as given, its sequence number and the
 * hash of the previous entry.
 *
 * Bytes on disk / in S3: canonical JSON (sorted keys, no whitespace) plus "\n":
 *
 *   {"digest":"sha256:<hex of envelope bytes>","envelope":"<base64 of envelope bytes>",
 *    "prev":"sha256:<hex of previous entry's bytes, 64 zeros for seq 1>","seq":N,"v":"kfm-audit-entry/1"}
 *
 * `digest` is the same digest receipts use for an envelope: sha256 of the exact file bytes.
 * Parsing is strict and re-serialises to compare bytes, so one entry has exactly one encoding.
 */
import { ReceiptError } from '../core/errors';
import { canonicalJson } from '../core/canonical-json';
import { sha256Tagged } from '../core/digest';
import { DsseEnvelope, parseEnvelope } from '../attest/dsse/envelope';

export const ENTRY_FORMAT = 'kfm-audit-entry/1';
export const GENESIS_PREV = `sha256:${'0'.repeat(64)}`;
export const SEQ_DIGITS = 12;
export const MAX_SEQ = 10 ** SEQ_DIGITS - 1;

export interface LedgerEntry {
  readonly seq: number;
  readonly prev: string;
  readonly digest: string;
  /** The exact bytes that were appended. */
  readonly envelopeBytes: Buffer;
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
  /**
   * True for a version OLDER than the one that counts: it does not chain onto the entry before
   * it (planted at a seq the log had not reached yet), so a newer version that chains is the entry.
   */
  readonly older?: true;
}

/** What a store's `scan` yields, in sequence order (ledger/store.ts), for the readers to check. */
export type ScanItem =
  | {
      readonly kind: 'entry';
      readonly seq: number;
      /** File or object name for messages. */
      readonly name: string;
      readonly bytes: Buffer;
      /**
       * S3: the other versions of the same key, newest first (the entry is the oldest version
       * that chains onto the entry before it; versions older than it are marked `older`).
       */
      readonly extraVersions: readonly ExtraVersion[];
      /** S3: delete markers placed on the key (attempted deletes). */
      readonly deleteMarkers: number;
      /** S3: the version id of `bytes`. */
      readonly versionId?: string;
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
  | {
      readonly kind: 'unknown';
      readonly name: string;
      /** Why it is not the ledger's, when the name alone does not say (an entry past the log's end). */
      readonly why?: string;
    };

/** `000000000042` for seq 42. */
export function seqName(seq: number): string {
  return String(seq).padStart(SEQ_DIGITS, '0');
}

/** The hash the next entry's `prev` must hold: sha256 of this entry's exact bytes. */
export function entryHash(entryBytes: Buffer): string {
  return sha256Tagged(entryBytes);
}

export function encodeEntry(seq: number, prev: string, envelopeBytes: Buffer): Buffer {
  return Buffer.from(
    canonicalJson({
      v: ENTRY_FORMAT,
      seq,
      prev,
      digest: sha256Tagged(envelopeBytes),
      envelope: envelopeBytes.toString('base64'),
    }) + '\n',
    'utf8',
  );
}

const DIGEST = /^sha256:[0-9a-f]{64}$/;

/**
 * The only byte string `encodeEntry` can produce, as a pattern (field values still need the
 * base64 and digest checks). Matching it decides "canonical" without a JSON parse and a
 * re-serialisation; anything else takes the full path, which names what is wrong.
 */
const CANONICAL_ENTRY =
  /^\{"digest":"(sha256:[0-9a-f]{64})","envelope":"([A-Za-z0-9+/]*={0,2})","prev":"(sha256:[0-9a-f]{64})","seq":([1-9][0-9]{0,11}),"v":"kfm-audit-entry\/1"\}\n$/;

/** Parse and check one entry's bytes; `source` names it in errors (LOG_INTEGRITY). */
export function decodeEntry(bytes: Buffer, source: string): LedgerEntry {
  // Fast path: bytes in exactly the canonical form (latin1 maps each byte to one character,
  // and the pattern is ASCII only, so a match means these bytes and no others).
  const m = CANONICAL_ENTRY.exec(bytes.toString('latin1'));
  if (m !== null) {
    const envelopeBytes = Buffer.from(m[2], 'base64');
    const digest = sha256Tagged(envelopeBytes);
    if (envelopeBytes.toString('base64') === m[2] && digest === m[1]) {
      // Fresh strings, not the matches: a match is a slice that keeps the whole entry text alive,
      // and readers keep digests (verify's duplicate check, the index) for every entry.
      return { seq: Number(m[4]), prev: Buffer.from(m[3], 'latin1').toString('latin1'), digest, envelopeBytes };
    }
  }
  return decodeEntrySlow(bytes, source);
}

/** The full check: parse, validate each field, re-encode and compare bytes. */
function decodeEntrySlow(bytes: Buffer, source: string): LedgerEntry {
  const fail = (what: string): never => {
    throw new ReceiptError('LOG_INTEGRITY', `${source}: ${what}`);
  };
  let raw: unknown;
  try {
    raw = JSON.parse(bytes.toString('utf8'));
  } catch {
    return fail('not a ledger entry (not JSON); the entry was altered or truncated');
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return fail('not a ledger entry (not an object)');
  const o = raw as Record<string, unknown>;
  const keys = Object.keys(o).sort().join(',');
  if (keys !== 'digest,envelope,prev,seq,v') return fail(`fields are [${keys}], expected [digest,envelope,prev,seq,v]`);
  if (o.v !== ENTRY_FORMAT) return fail(`field "v" is ${JSON.stringify(o.v)}, expected "${ENTRY_FORMAT}"`);
  if (typeof o.seq !== 'number' || !Number.isSafeInteger(o.seq) || o.seq < 1 || o.seq > MAX_SEQ) {
    return fail(`field "seq" is ${JSON.stringify(o.seq)}, expected an integer ≥ 1`);
  }
  if (typeof o.prev !== 'string' || !DIGEST.test(o.prev)) return fail('field "prev" is not sha256:<64 hex>');
  if (typeof o.digest !== 'string' || !DIGEST.test(o.digest)) return fail('field "digest" is not sha256:<64 hex>');
  if (typeof o.envelope !== 'string') return fail('field "envelope" is not a string');
  const envelopeBytes = Buffer.from(o.envelope, 'base64');
  if (envelopeBytes.toString('base64') !== o.envelope) return fail('field "envelope" is not canonical base64');
  if (sha256Tagged(envelopeBytes) !== o.digest) return fail('field "digest" does not match the envelope bytes');
  if (!encodeEntry(o.seq, o.prev, envelopeBytes).equals(bytes)) {
    return fail('bytes are not the canonical encoding of the entry (altered whitespace, order or digest)');
  }
  return { seq: o.seq, prev: o.prev, digest: o.digest, envelopeBytes };
}

/**
 * Check that appended bytes are one well-formed DSSE envelope in UTF-8 JSON; the ledger is
 * type-agnostic (any payloadType, any predicate) and does not check signatures here.
 */
export function parseAppendable(bytes: Buffer, source: string): DsseEnvelope {
  const text = bytes.toString('utf8');
  if (!Buffer.from(text, 'utf8').equals(bytes)) {
    throw new ReceiptError('ENVELOPE_INVALID', `${source}: not UTF-8 text; expected a DSSE envelope (JSON)`);
  }
  return parseEnvelope(text, source);
}
