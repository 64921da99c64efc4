/**
 * Signed checkpoints in the C2SP tlog-checkpoint format (https://c2sp.org/tlog-checkpoint),
 * signed as a C2SP signed note (https://c2sp.org/signed-note) with Ed25519:
 *
 *   <origin>\n<tree size, decimal>\n<base64 root hash>\n\n— <name> <base64(keyhash4 ‖ signature)>\n
 *
 * The signature covers the note text (the three lines with their newlines). keyhash4 is the
 * first 4 bytes of SHA-256(name ‖ "\n" ‖ 0x01 ‖ 32-byte Ed25519 public key). The key name is
 * the origin. Parsing is pure; verification takes the trusted keys.
 */
import { createHash, KeyObject } from 'node:crypto';
import { ReceiptError } from '../core/errors';
import { signBytes, SigningKey, TrustedKey, verifyBytes } from '../attest/sign/ed25519';

export const DEFAULT_ORIGIN = 'kfm-infra/audit';
/** RFC 6962 root of the empty tree: SHA-256 of the empty string. */
const EMPTY_ROOT = createHash('sha256').digest();
const SIG_PREFIX = '\u2014 ';
const ED25519_ALG = 0x01;

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Buffer;
}

export interface NoteSignature {
  readonly name: string;
  readonly keyHash: Buffer;
  readonly sig: Buffer;
}

export interface SignedCheckpoint extends Checkpoint {
  /** The signed text: origin, size and root lines (and any extension lines), each with "\n". */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

/**
 * The raw 32-byte Ed25519 public key. Signed notes (checkpoints, cosignatures, index notes) are
 * Ed25519 only: a P-256 key (allowed for receipts) is refused here, never mislabeled as Ed25519.
 */
export function rawEd25519(publicKey: KeyObject): Buffer {
  if (publicKey.asymmetricKeyType !== 'ed25519') {
    throw new ReceiptError(
      'KEY_INVALID',
      `a ${publicKey.asymmetricKeyType ?? 'non-Ed25519'} key cannot sign or check a signed note (checkpoints and cosignatures are Ed25519); use an Ed25519 key`,
    );
  }
  const der = publicKey.export({ format: 'der', type: 'spki' }) as Buffer;
  return der.subarray(der.length - 32);
}

/** A signed-note key ID: SHA-256(name ‖ "\n" ‖ signature type ‖ 32-byte Ed25519 public key)[:4]. */
export function noteKeyId(name: string, signatureType: number, publicKey: KeyObject): Buffer {
  return createHash('sha256')
    .update(Buffer.from(`${name}\n`, 'utf8'))
    .update(Buffer.from([signatureType]))
    .update(rawEd25519(publicKey))
    .digest()
    .subarray(0, 4);
}

/** The key hash of a checkpoint signature (Ed25519 signed note). */
export function noteKeyHash(name: string, publicKey: KeyObject): Buffer {
  return noteKeyId(name, ED25519_ALG, publicKey);
}

function checkName(name: string, what: string): void {
  if (name.length === 0 || /[\s+]/.test(name) || name.includes('\u2014')) {
    throw new ReceiptError('USAGE', `${what} "${name}" must be non-empty without spaces or "+"`);
  }
}

/** The note text for a checkpoint. */
export function checkpointText(c: Checkpoint): string {
  return `${c.origin}\n${c.size}\n${c.root.toString('base64')}\n`;
}

/** Sign a checkpoint; the key name is the origin. */
export function signCheckpoint(c: Checkpoint, key: SigningKey): string {
  checkName(c.origin, 'origin');
  const text = checkpointText(c);
  const sig = signBytes(key, Buffer.from(text, 'utf8'));
  const blob = Buffer.concat([noteKeyHash(c.origin, key.publicKey), sig]).toString('base64');
  return `${text}\n${SIG_PREFIX}${c.origin} ${blob}\n`;
}

/** Parse a signed checkpoint note strictly; CHECKPOINT_INVALID naming `source` on any defect. */
export function parseCheckpoint(text: string, source: string): SignedCheckpoint {
  const fail = (what: string): never => {
    throw new ReceiptError('CHECKPOINT_INVALID', `${source}: ${what}`);
  };
  const sep = text.indexOf('\n\n');
  if (sep < 0) return fail('not a signed note (no blank line before the signatures)');
  const body = text.slice(0, sep + 1);
  const sigPart = text.slice(sep + 2);
  const lines = body.slice(0, -1).split('\n');
  if (lines.length < 3) return fail(`note has ${lines.length} line(s), expected origin, tree size and root hash`);
  const [origin, sizeText, rootText] = lines;
  if (origin.length === 0) return fail('origin line is empty');
  if (!/^(0|[1-9][0-9]{0,15})$/.test(sizeText) || !Number.isSafeInteger(Number(sizeText))) {
    return fail(`tree size "${sizeText.slice(0, 40)}" is not a decimal integer`);
  }
  const root = Buffer.from(rootText, 'base64');
  if (root.length !== 32 || root.toString('base64') !== rootText) return fail('root hash is not base64 of 32 bytes');
  // RFC 6962: the empty tree's root is SHA-256 of nothing; a size-0 note claiming another root is forged.
  if (sizeText === '0' && !root.equals(EMPTY_ROOT)) return fail("tree size 0 with a root that is not the empty tree's");
  if (!sigPart.endsWith('\n')) return fail('signature block does not end with a newline (truncated?)');
  const signatures: NoteSignature[] = [];
  for (const line of sigPart.slice(0, -1).split('\n')) {
    if (!line.startsWith(SIG_PREFIX)) return fail(`signature line does not start with "— ": "${line.slice(0, 40)}"`);
    const parts = line.slice(SIG_PREFIX.length).split(' ');
    if (parts.length !== 2 || parts[0].length === 0) return fail('signature line is not "— <name> <base64>"');
    const blob = Buffer.from(parts[1], 'base64');
    if (blob.toString('base64') !== parts[1] || blob.length < 5)
      return fail(`signature of "${parts[0]}" is not valid base64`);
    signatures.push({ name: parts[0], keyHash: blob.subarray(0, 4), sig: blob.subarray(4) });
  }
  if (signatures.length === 0) return fail('note has no signature');
  return { origin, size: Number(sizeText), root, text: body, signatures };
}

/**
 * Verify that a checkpoint is signed by one of `trusted` (name = expected origin) and is for
 * `origin`. Returns the key that verified; CHECKPOINT_INVALID otherwise.
 */
export function verifyCheckpoint(
  cp: SignedCheckpoint,
  trusted: readonly TrustedKey[],
  origin: string,
  source: string,
): TrustedKey {
  if (cp.origin !== origin) {
    throw new ReceiptError(
      'CHECKPOINT_INVALID',
      `${source}: origin "${cp.origin}", expected "${origin}" (pass --origin)`,
    );
  }
  const msg = Buffer.from(cp.text, 'utf8');
  for (const s of cp.signatures) {
    for (const k of trusted) {
      if (noteKeyHash(s.name, k.publicKey).equals(s.keyHash) && verifyBytes(k, msg, s.sig)) return k;
    }
  }
  throw new ReceiptError(
    'CHECKPOINT_INVALID',
    `${source}: no signature verifies under the trusted key(s) ${trusted.map((k) => k.source).join(', ')} (altered checkpoint or wrong key)`,
  );
}
