import { createHmac, hkdfSync, KeyObject } from 'node:crypto';
import { ReceiptError } from '../../core/errors';
import { canonicalJson } from '../../core/canonical-json';
import { sha256Hex } from '../../core/digest';
import { isP256, p256Secret } from '../../attest/sign/p256';

/**
 * The commitment key: HMAC-SHA256 key under which every changed value is committed, so two receipts
 * can show "changed / unchanged" without revealing the value. Distinct from the signing key: it is
 * either given (`--commitment-key FILE`) or derived from the signing key's private seed by
 * HKDF-SHA256 with a domain label, so it never equals, and never reveals, the signing key.
 */
export interface CommitmentKey {
  readonly secret: Buffer;
  /** Public, non-reversible id so a verifier can tell whether two receipts used the same key. */
  readonly id: string;
  /** `derived` (HKDF from the signing key) or `file`. */
  readonly source: 'derived' | 'file';
}

const HKDF_SALT = Buffer.from('kfm-infra/receipts', 'utf8');
const HKDF_INFO = Buffer.from('kfm commitment key v1 (HMAC-SHA256)', 'utf8');

export function deriveCommitmentKey(signingPrivateKey: KeyObject): CommitmentKey {
  const der = signingPrivateKey.export({ format: 'der', type: 'pkcs8' }) as Buffer;
  // Ed25519 PKCS#8: the 32-byte seed is the last 32 bytes. P-256: the private scalar (the tail
  // of its PKCS#8 is the public point, which must never become a secret).
  const seed = isP256(signingPrivateKey) ? p256Secret(signingPrivateKey) : der.subarray(der.length - 32);
  const secret = Buffer.from(hkdfSync('sha256', seed, HKDF_SALT, HKDF_INFO, 32));
  return { secret, id: keyIdOfCommitment(secret), source: 'derived' };
}

/** A commitment key file: at least 32 bytes (raw, or hex / base64 text). Never echoes content. */
export function parseCommitmentKey(data: Buffer, source: string): CommitmentKey {
  const text = data.toString('utf8').trim();
  let secret: Buffer;
  if (/^[0-9a-fA-F]{64,}$/.test(text)) secret = Buffer.from(text, 'hex');
  else if (/^[A-Za-z0-9+/]{43,}={0,2}$/.test(text)) secret = Buffer.from(text, 'base64');
  else secret = data;
  if (secret.length < 32) {
    throw new ReceiptError(
      'KEY_INVALID',
      `${source}: commitment key shorter than 32 bytes; create one with "head -c 32 /dev/urandom > FILE"`,
    );
  }
  return { secret, id: keyIdOfCommitment(secret), source: 'file' };
}

function keyIdOfCommitment(secret: Buffer): string {
  return 'sha256:' + sha256Hex(createHmac('sha256', secret).update('kfm commitment key id').digest());
}

/** `hmac-sha256:<hex>` over the canonical JSON of [scope, path, value]. Same key+scope+path+value → same commitment. */
export function commit(key: CommitmentKey, scope: string, path: readonly (string | number)[], value: unknown): string {
  // [scope, path, value]: the same value at the same place gives the same commitment across receipts.
  return (
    'hmac-sha256:' +
    createHmac('sha256', key.secret)
      .update(canonicalJson([scope, path, value]))
      .digest('hex')
  );
}
