/**
 * The inclusion-proof format `kfm audit prove` prints and `kfm audit verify-proof` checks
 * offline: one entry's bytes (the envelope inside), its RFC 6962 audit path, and the tree it is
 * proven in. Making one reads the log (every entry is checked on the way); checking one needs
 * only the proof and a trusted checkpoint.
 */
import { ReceiptError } from '../core/errors';
import { sha256Tagged } from '../core/digest';
import { parseCheckpoint, SignedCheckpoint } from './checkpoint';
import { entryHash } from './entry';
import { HASH_SIZE, inclusionRanges, leafHash, MerkleFrontier, RangeHasher, verifyInclusion } from './merkle';
import { AuditStore } from './store';

export const INCLUSION_PROOF_FORMAT = 'kfm-audit-inclusion-proof/1';

export interface InclusionProofJson {
  readonly v: typeof INCLUSION_PROOF_FORMAT;
  readonly origin: string;
  readonly seq: number;
  readonly leafIndex: number;
  readonly treeSize: number;
  /** base64 of the entry's bytes (the leaf); the envelope is inside it. */
  readonly entry: string;
  readonly envelopeDigest: string;
  readonly leafHash: string;
  readonly hashes: readonly string[];
  readonly root: string;
}

/**
 * The inclusion proof of entry `seq`, in the whole log or (with `checkpoint`: its text and
 * file name) in the tree that checkpoint names, whose root must be the log's first entries'.
 */
export async function proveInclusion(
  store: AuditStore,
  seq: number,
  origin: string,
  checkpoint?: { readonly source: string; readonly text: string },
): Promise<InclusionProofJson> {
  let size = await store.size();
  let cp: SignedCheckpoint | undefined;
  if (checkpoint) {
    cp = parseCheckpoint(checkpoint.text, checkpoint.source);
    if (cp.size > size)
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `${checkpoint.source}: checkpoint covers ${cp.size} entries but the log has ${size} (truncated?); run "kfm audit verify"`,
      );
    size = cp.size;
  }
  if (seq > size)
    throw new ReceiptError('INPUT_INVALID', `kfm audit prove: --seq ${seq} is beyond the tree size ${size}`);
  const hasher = new RangeHasher(inclusionRanges(seq - 1, size));
  const frontier = new MerkleFrontier();
  let found: { entryBytes: Buffer; digest: string } | undefined;
  for await (const e of store.entries()) {
    if (e.seq > size) break;
    const leaf = leafHash(e.entryBytes);
    hasher.push(leaf);
    frontier.push(leaf);
    if (e.seq === seq) found = e;
  }
  if (!found || frontier.size !== size)
    throw new ReceiptError('LOG_INTEGRITY', `${store.spec}: log ended at ${frontier.size} entries, expected ${size}`);
  const root = frontier.root();
  if (cp && !cp.root.equals(root)) {
    throw new ReceiptError(
      'LOG_INTEGRITY',
      `${checkpoint!.source}: root hash differs from the log's first ${size} entries (rewritten at or below ${store.entryName(size)}); run "kfm audit verify"`,
    );
  }
  return {
    v: INCLUSION_PROOF_FORMAT,
    origin: cp?.origin ?? origin,
    seq,
    leafIndex: seq - 1,
    treeSize: size,
    entry: found.entryBytes.toString('base64'),
    envelopeDigest: found.digest,
    leafHash: leafHash(found.entryBytes).toString('base64'),
    hashes: hasher.hashes().map((h) => h.toString('base64')),
    root: root.toString('base64'),
  };
}

/** What a checked proof establishes. */
export interface ProvenInclusion {
  readonly seq: number;
  readonly treeSize: number;
  readonly envelopeDigest: string | undefined;
  readonly entryHash: string;
}

/**
 * Check a parsed proof file against a trusted (already verified) checkpoint, and with
 * `envelope` (bytes and file name) that the proven entry holds it. A malformed proof is bad
 * input (INPUT_INVALID, exit 2); a well-formed one that fails is LOG_INTEGRITY (exit 3).
 */
export function checkInclusionProof(
  parsed: unknown,
  proofFile: string,
  cp: SignedCheckpoint,
  cpFile: string,
  envelope?: { readonly source: string; readonly bytes: Buffer },
): ProvenInclusion {
  const bad = (what: string): never => {
    throw new ReceiptError('LOG_INTEGRITY', `${proofFile}: ${what}`);
  };
  const raw = wellFormed(parsed, proofFile);
  const entry = Buffer.from(raw.entry, 'base64');
  const hashes = raw.hashes.map((h) => Buffer.from(String(h), 'base64'));
  if (hashes.some((h) => h.length !== HASH_SIZE)) bad('a proof hash is not 32 bytes');
  if (raw.treeSize !== cp.size) bad(`treeSize ${raw.treeSize} differs from the checkpoint's ${cp.size}`);
  if (!verifyInclusion(raw.leafIndex, raw.treeSize, leafHash(entry), hashes, cp.root))
    bad(`inclusion proof for leaf ${raw.leafIndex} does not verify against ${cpFile}`);
  let envelopeDigest: string | undefined;
  try {
    const e = JSON.parse(entry.toString('utf8')) as { seq?: unknown; digest?: unknown };
    if (e.seq !== raw.leafIndex + 1) bad(`entry seq ${String(e.seq)} is not leafIndex + 1`);
    envelopeDigest = String(e.digest);
  } catch (err) {
    if (err instanceof ReceiptError) throw err;
    bad('entry is not a ledger entry');
  }
  if (envelope) {
    const d = sha256Tagged(envelope.bytes);
    if (d !== envelopeDigest) bad(`${envelope.source} has digest ${d}, the proven entry holds ${envelopeDigest}`);
  }
  return { seq: raw.leafIndex + 1, treeSize: cp.size, envelopeDigest, entryHash: entryHash(entry) };
}

/** The fields a proof must have, with their types; INPUT_INVALID naming the file otherwise. */
function wellFormed(parsed: unknown, proofFile: string): InclusionProofJson {
  const malformed = (what: string): never => {
    throw new ReceiptError('INPUT_INVALID', `${proofFile}: not an inclusion proof: ${what}`);
  };
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) malformed('not a JSON object');
  const raw = parsed as Partial<InclusionProofJson>;
  if (raw.v !== INCLUSION_PROOF_FORMAT) malformed(`field "v" is not "${INCLUSION_PROOF_FORMAT}"`);
  if (
    typeof raw.entry !== 'string' ||
    !Array.isArray(raw.hashes) ||
    !raw.hashes.every((h) => typeof h === 'string') ||
    !Number.isSafeInteger(raw.leafIndex) ||
    !Number.isSafeInteger(raw.treeSize) ||
    raw.leafIndex! < 0 ||
    raw.leafIndex! >= raw.treeSize!
  ) {
    malformed(
      'fields entry (base64), hashes (base64 strings), leafIndex and treeSize (0 <= leafIndex < treeSize) are required',
    );
  }
  return raw as InclusionProofJson;
}
