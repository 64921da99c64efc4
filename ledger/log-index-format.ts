/**
 * The log index's format (notes, shards, what an entry claims). The log index is derived data,
 * written by `kfm audit checkpoint` with each checkpoint and signed by the same key, so a gate holding that trusted checkpoint can read one commit's
 * evidence by proof instead of reading the history.
 *
 *   index/<size 12>.<keyhash 8>.json    the index note for the checkpoint of that size
 *   index/shards/<sha256 hex>.json      content-addressed shards (256, by key prefix)
 *   index/shards/<sha256 hex>.<16 hex>.json  a shard's copy where the first name held other bytes
 *
 * (paths in layout.ts). By role: this file the format; log-index-build.ts the builder (and writing an
 * index with a checkpoint); log-index-read.ts the verified reader and the read by proof;
 * log-index-check.ts the comparison `kfm audit verify` makes; log-index-replay.ts what the
 * appender's replay check asks of it.
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
import { DsseEnvelope, IN_TOTO_PAYLOAD_TYPE } from '../attest/dsse/envelope';
import { HASH_SIZE, rootOfLeafHashes } from './merkle';

/** Index formats: 1 (commits and digests), 2 (also the subjects entries name). New indexes are 2. */
export const INDEX_FORMATS = { 1: 'kfm-audit-index/1', 2: 'kfm-audit-index/2' } as const;
export const SHARD_FORMATS = { 1: 'kfm-audit-index-shard/1', 2: 'kfm-audit-index-shard/2' } as const;
export type IndexVersion = keyof typeof INDEX_FORMATS;
export const INDEX_VERSION: IndexVersion = 2;
export const versionOf = (v: unknown): IndexVersion | undefined =>
  v === INDEX_FORMATS[1] ? 1 : v === INDEX_FORMATS[2] ? 2 : undefined;
/** What an index's signature covers: its format line, then the canonical body. */
export const signedBytes = (body: IndexBody): Buffer => Buffer.from(`${body.v}\n${canonicalJson(body)}`, 'utf8');

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

export interface Shard {
  readonly v: (typeof SHARD_FORMATS)[IndexVersion];
  readonly commits: Record<string, number[]>;
  readonly digests: Record<string, number[]>;
  /** Format 2: in-toto subject sha256 (hex) → seqs of the entries naming it. */
  readonly subjects?: Record<string, number[]>;
}
export type ShardMaps = {
  commits: Map<string, number[]>;
  digests: Map<string, number[]>;
  subjects: Map<string, number[]>;
};
export const SHARD_KINDS = ['commits', 'digests', 'subjects'] as const;

export const shardOfCommit = (commit: string): string => sha256Hex(commit).slice(0, 2);
export const shardOfDigest = (digest: string): string => digest.slice(7, 9);
export const shardOfSubject = (hex: string): string => hex.slice(0, 2);

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
    const raw = JSON.parse(envelopeBytes.toString('utf8')) as DsseEnvelope & {
      mediaType?: unknown;
      dsseEnvelope?: DsseEnvelope;
    };
    // A Sigstore bundle (a keyless record, stored as is) claims what the DSSE envelope inside it claims.
    const bundled =
      typeof raw.mediaType === 'string' && raw.mediaType.startsWith('application/vnd.dev.sigstore.bundle');
    const env = bundled && raw.dsseEnvelope ? raw.dsseEnvelope : raw;
    if (typeof env.payload !== 'string' || env.payloadType !== IN_TOTO_PAYLOAD_TYPE) return { subjects: [] };
    // JSON.parse exactly as every index already written read it (duplicate keys: the last), so a
    // rebuilt index stays byte for byte the stored one; the claims are only ever hints, confirmed
    // against the entry (and a gate refuses a statement with duplicate keys as evidence).
    const st = JSON.parse(Buffer.from(env.payload, 'base64').toString('utf8')) as {
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

/** RFC 6962 root from the roots of complete 256-ranges and the leaves of the last one (splits align). */
export function rootOfUnits(blocks: readonly Buffer[], partial: readonly Buffer[]): Buffer {
  return rootOfLeafHashes(partial.length > 0 ? [...blocks, rootOfLeafHashes(partial)] : [...blocks]);
}

export function split(b: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i + HASH_SIZE <= b.length; i += HASH_SIZE) out.push(b.subarray(i, i + HASH_SIZE));
  return out;
}

export function splitLines(b: Buffer): Buffer[] {
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

export function parseIndex(bytes: Buffer, name: string): { body: IndexBody; sig: Buffer } {
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
