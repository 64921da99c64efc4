/**
 * ECDSA P-256 (prime256v1, SHA-256, DER signatures) beside Ed25519 for keyed signing: the key
 * type Rekor v2 logs and cosign verifies, and what a Fulcio certificate carries. Ed25519 stays the
 * default; a key's type decides the algorithm, so envelopes, key ids (SHA-256 of the SPKI DER) and
 * every Ed25519 receipt's bytes are unchanged.
 */
import { generateKeyPairSync, KeyObject } from 'node:crypto';

/** The key algorithms kfm signs with; `keygen --alg`. */
export type KeyAlgorithm = 'ed25519' | 'p256';
export const KEY_ALGORITHMS: readonly KeyAlgorithm[] = ['ed25519', 'p256'];

/** True for an EC key on P-256 (Node names the curve prime256v1). */
export function isP256(key: KeyObject): boolean {
  return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1';
}

/** The digest `crypto.sign`/`verify` need for a key: SHA-256 for P-256, none for Ed25519 (pure EdDSA). */
export function digestFor(key: KeyObject): 'sha256' | null {
  return isP256(key) ? 'sha256' : null;
}

/** A new P-256 key pair as PEM: PKCS#8 private, SPKI public. */
export function generateP256Pem(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };
}

/**
 * The 32-byte private scalar of a P-256 key: the secret a derived key (the commitment key) is
 * made from. Never the tail of the PKCS#8 encoding, which for EC is the public point.
 */
export function p256Secret(key: KeyObject): Buffer {
  const d = key.export({ format: 'jwk' }).d;
  if (typeof d !== 'string') throw new Error('not a P-256 private key');
  return Buffer.from(d, 'base64url');
}
