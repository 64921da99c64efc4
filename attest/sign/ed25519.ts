import { createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';
import { ReceiptError } from '../../core/errors';
import { sha256Hex } from '../../core/digest';
import { digestFor, isP256 } from './p256';

/** A signing key (Ed25519, or ECDSA P-256: ./p256.ts) with its advisory key id. */
export interface SigningKey {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  readonly keyid: string;
}

/** A trusted public key (Ed25519 or P-256) with its advisory key id and where it came from. */
export interface TrustedKey {
  readonly publicKey: KeyObject;
  readonly keyid: string;
  /** File or label the key was loaded from, for messages. */
  readonly source: string;
}

/** The key id: SHA-256 (hex) of the public key's SPKI DER encoding. Advisory only (DSSE keyids are unauthenticated). */
export function keyIdOf(publicKey: KeyObject): string {
  return sha256Hex(publicKey.export({ format: 'der', type: 'spki' }) as Buffer);
}

/** The public half of a signing key, trusted under the label `source` (a signer checking its own output). */
export function trustedKeyOf(key: SigningKey, source: string): TrustedKey {
  return { publicKey: key.publicKey, keyid: key.keyid, source };
}

/** A new Ed25519 key pair as PEM: PKCS#8 private, SPKI public. */
export function generateKeyPairPem(): { privatePem: string; publicPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privatePem: privateKey.export({ format: 'pem', type: 'pkcs8' }) as string,
    publicPem: publicKey.export({ format: 'pem', type: 'spki' }) as string,
  };
}

/**
 * The Ed25519 key `read` makes of a PEM, or KEY_INVALID naming `source` and what was expected
 * (`kind`: "private" or "public", `format`: PKCS#8 or SPKI). Never echoes key material.
 */
function readEd25519(read: () => KeyObject, source: string, kind: string, format: string): KeyObject {
  let key: KeyObject;
  try {
    key = read();
  } catch {
    throw new ReceiptError(
      'KEY_INVALID',
      `${source}: not a PEM ${kind} key; expected an Ed25519 ${format} key from "kfm keygen"`,
    );
  }
  if (key.asymmetricKeyType !== 'ed25519' && !isP256(key)) {
    const type = key.asymmetricKeyType === 'ec' ? `ec ${key.asymmetricKeyDetails?.namedCurve}` : key.asymmetricKeyType;
    throw new ReceiptError(
      'KEY_INVALID',
      `${source}: key type "${type}", expected "ed25519" or P-256 ("ec prime256v1")`,
    );
  }
  return key;
}

/** Parse a PKCS#8 PEM Ed25519 private key. Never echoes key material in errors. */
export function parseSigningKey(pem: string | Buffer, source: string): SigningKey {
  const privateKey = readEd25519(() => createPrivateKey({ key: pem, format: 'pem' }), source, 'private', 'PKCS#8');
  const publicKey = createPublicKey(privateKey);
  return { privateKey, publicKey, keyid: keyIdOf(publicKey) };
}

/** Parse an SPKI PEM Ed25519 public key. A private key is refused, never silently reduced to its public part. */
export function parseTrustedKey(pem: string | Buffer, source: string): TrustedKey {
  let isPrivate = true;
  try {
    createPrivateKey({ key: pem, format: 'pem' });
  } catch {
    isPrivate = false;
  }
  if (isPrivate) {
    throw new ReceiptError(
      'KEY_INVALID',
      `${source}: is a private key; pass the public key (kfm-signing.pub) and keep the private key with the signer only`,
    );
  }
  const publicKey = readEd25519(() => createPublicKey({ key: pem, format: 'pem' }), source, 'public', 'SPKI');
  return { publicKey, keyid: keyIdOf(publicKey), source };
}

/** The signature over `message`: Ed25519, or ECDSA P-256 with SHA-256 (DER), by the key's type. */
export function signBytes(key: SigningKey, message: Buffer): Buffer {
  return sign(digestFor(key.privateKey), message, key.privateKey);
}

/** True when `signature` is a valid signature of `message` under `key` (its type picks the algorithm). Never throws on garbage. */
export function verifyBytes(key: TrustedKey | KeyObject, message: Buffer, signature: Buffer): boolean {
  const k = 'publicKey' in key ? key.publicKey : key;
  try {
    return verify(digestFor(k), message, k, signature);
  } catch {
    return false;
  }
}
