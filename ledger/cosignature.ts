/**
 * C2SP tlog-cosignature, Ed25519 type (https://c2sp.org/tlog-cosignature), on top of the
 * signed-note checkpoints of ../checkpoint.ts:
 *
 *   — <witness name> base64(keyID4 ‖ u64 big-endian timestamp ‖ Ed25519 signature)
 *
 *   keyID4  = SHA-256(name ‖ 0x0A ‖ 0x04 ‖ 32-byte Ed25519 public key)[:4]
 *   signed  = "cosignature/v1\n" ‖ "time <timestamp>\n" ‖ the checkpoint's note text
 *
 * The note text is the whole body (origin, size, root and any extension lines, each with its
 * newline), never the signature lines. A cosigner name does not enter the Ed25519 message, so
 * one public key must never serve two witness names; `parseWitnesses` refuses that.
 */
import { KeyObject } from 'node:crypto';
import { ReceiptError } from '../core/errors';
import { signBytes, SigningKey, TrustedKey, verifyBytes } from '../attest/sign/ed25519';
import { noteKeyId, rawEd25519, SignedCheckpoint } from './checkpoint';

const COSIGNATURE_V1 = 0x04;
const SIG_PREFIX = '\u2014 ';
const MAX_TIMESTAMP = (1n << 63n) - 1n;

/** A witness as a verifier configures it: its name and its Ed25519 public key. */
export interface Witness {
  readonly name: string;
  readonly key: TrustedKey;
}

/** The cosignature/v1 key ID of `name` and `publicKey`. */
export function cosignatureKeyId(name: string, publicKey: KeyObject): Buffer {
  return noteKeyId(name, COSIGNATURE_V1, publicKey);
}

/** The bytes a cosignature/v1 signs: header line, time line, then the note text. */
export function cosignedMessage(noteText: string, timestamp: number): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${noteText}`, 'utf8');
}

/** Check a witness name the way signed-note checks key names. */
export function checkWitnessName(name: string, what: string): void {
  if (name.length === 0 || /[\s+]/u.test(name) || name.includes('\u2014') || name.includes('=')) {
    throw new ReceiptError('USAGE', `${what}: witness name must be non-empty, without spaces, "+", "=" or "\u2014"`);
  }
}

/** One cosignature line (with its newline) over `noteText` at `timestamp` (POSIX seconds, > 0). */
export function cosign(noteText: string, name: string, key: SigningKey, timestamp: number): string {
  checkWitnessName(name, 'cosign');
  if (!Number.isSafeInteger(timestamp) || timestamp <= 0) {
    throw new ReceiptError('INPUT_INVALID', `cosign: timestamp ${timestamp} is not a positive POSIX time`);
  }
  const ts = Buffer.alloc(8);
  ts.writeBigUInt64BE(BigInt(timestamp));
  const sig = signBytes(key, cosignedMessage(noteText, timestamp));
  const blob = Buffer.concat([cosignatureKeyId(name, key.publicKey), ts, sig]).toString('base64');
  return `${SIG_PREFIX}${name} ${blob}\n`;
}

/** The timestamp and Ed25519 signature of a cosignature blob (after its 4-byte key ID), or undefined. */
export function splitCosignature(sig: Buffer): { timestamp: number; signature: Buffer } | undefined {
  if (sig.length !== 8 + 64) return undefined;
  const ts = sig.readBigUInt64BE(0);
  if (ts === 0n || ts > MAX_TIMESTAMP || ts > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  return { timestamp: Number(ts), signature: sig.subarray(8) };
}

export type CosignatureCheck =
  | { readonly witness: string; readonly status: 'valid'; readonly timestamp: number }
  | { readonly witness: string; readonly status: 'invalid' }
  | { readonly witness: string; readonly status: 'absent' };

/**
 * What each configured witness's cosignature on `cp` is: valid (with its time), invalid (a
 * line with the witness's name and key ID whose signature fails), or absent. Lines from
 * unknown keys are ignored, as signed-note requires.
 */
export function checkCosignatures(cp: SignedCheckpoint, witnesses: readonly Witness[]): CosignatureCheck[] {
  return witnesses.map((w) => {
    const id = cosignatureKeyId(w.name, w.key.publicKey);
    let invalid = false;
    for (const s of cp.signatures) {
      if (s.name !== w.name || !s.keyHash.equals(id)) continue;
      const parts = splitCosignature(s.sig);
      if (parts && verifyBytes(w.key, cosignedMessage(cp.text, parts.timestamp), parts.signature)) {
        return { witness: w.name, status: 'valid', timestamp: parts.timestamp };
      }
      invalid = true;
    }
    return { witness: w.name, status: invalid ? 'invalid' : 'absent' };
  });
}

export interface QuorumResult {
  readonly ok: boolean;
  readonly quorum: number;
  /** Names of the configured witnesses whose cosignature verified, in configuration order. */
  readonly cosigners: readonly string[];
  readonly checks: readonly CosignatureCheck[];
}

/** Whether `cp` carries `quorum` valid cosignatures from distinct configured witnesses. */
export function checkQuorum(cp: SignedCheckpoint, witnesses: readonly Witness[], quorum: number): QuorumResult {
  const checks = checkCosignatures(cp, witnesses);
  const cosigners = checks.filter((c) => c.status === 'valid').map((c) => c.witness);
  const invalid = checks.some((c) => c.status === 'invalid');
  return { ok: !invalid && cosigners.length >= quorum, quorum, cosigners, checks };
}

/** One line saying why a checkpoint lacks its quorum, naming every witness. */
export function describeQuorum(r: QuorumResult): string {
  const each = r.checks
    .map((c) =>
      c.status === 'valid'
        ? `${c.witness} cosigned`
        : c.status === 'invalid'
          ? `${c.witness}: cosignature does not verify (forged or altered)`
          : `${c.witness}: no cosignature under its configured key`,
    )
    .join('; ');
  return `${r.cosigners.length} of ${r.checks.length} configured witness(es) cosigned, quorum ${r.quorum} (${each})`;
}

/**
 * Throw CHECKPOINT_INVALID naming `source` unless `cp` has its quorum. An invalid cosignature
 * from a configured witness fails the checkpoint even when the others reach the quorum
 * (signed-note: a known key whose signature fails makes the note malformed).
 */
export function requireQuorum(
  cp: SignedCheckpoint,
  witnesses: readonly Witness[],
  quorum: number,
  source: string,
): QuorumResult {
  const r = checkQuorum(cp, witnesses, quorum);
  if (!r.ok) throw new ReceiptError('CHECKPOINT_INVALID', `${source}: not witnessed: ${describeQuorum(r)}`);
  return r;
}

/** Check a witness list: distinct names and distinct keys (cosignature/v1 does not bind the name). */
export function checkWitnessSet(witnesses: readonly Witness[], what: string): void {
  const names = new Set<string>();
  const keys = new Set<string>();
  for (const w of witnesses) {
    checkWitnessName(w.name, what);
    const raw = rawEd25519(w.key.publicKey).toString('hex');
    if (names.has(w.name)) throw new ReceiptError('USAGE', `${what}: witness "${w.name}" is configured twice`);
    if (keys.has(raw))
      throw new ReceiptError('USAGE', `${what}: witness "${w.name}" has the same public key as another witness`);
    names.add(w.name);
    keys.add(raw);
  }
}

/** Append signature lines to a signed note, keeping its text and existing signatures. */
export function addSignatureLines(note: string, lines: readonly string[]): string {
  if (!note.endsWith('\n')) throw new ReceiptError('INPUT_INVALID', 'note does not end with a newline');
  return note + lines.join('');
}
