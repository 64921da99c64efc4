import { readInputFile } from '../../core/files';
import { parseSigningKey, parseTrustedKey, SigningKey, TrustedKey } from '../../attest/sign/ed25519';

/** Load `--key` (Ed25519 PKCS#8 PEM). Errors name the file, never the key material. */
export function loadSigningKey(path: string): SigningKey {
  return parseSigningKey(readInputFile(path, 'signing key'), path);
}

/** Load every `--pub` (Ed25519 SPKI PEM). */
export function loadTrustedKeys(paths: readonly string[]): TrustedKey[] {
  return paths.map((p) => parseTrustedKey(readInputFile(p, 'public key'), p));
}

/** A repeatable string option as a list. */
export function many(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}
