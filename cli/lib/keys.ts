import { ReceiptError } from '../../core/errors';
import { readInputFile } from '../../core/files';
import { parseSigningKey, parseTrustedKey, SigningKey, TrustedKey } from '../../attest/sign/ed25519';

/** Load `--key` (Ed25519 PKCS#8 PEM). Errors name the file, never the key material. */
export function loadSigningKey(path: string): SigningKey {
  return parseSigningKey(readInputFile(path, 'signing key'), path);
}

/** Load every `--pub` (Ed25519 SPKI PEM): the one way the CLI reads a trusted key. */
export function loadTrustedKeys(paths: readonly string[]): TrustedKey[] {
  return paths.map((p) => parseTrustedKey(readInputFile(p, 'public key'), p));
}

/** Load every `--pub` of a command that verifies and so needs at least one (USAGE otherwise). */
export function requireTrustedKeys(cmd: string, paths: readonly string[]): TrustedKey[] {
  if (paths.length === 0)
    throw new ReceiptError('USAGE', `kfm ${cmd}: --pub is required (a trusted public key; repeatable)`);
  return loadTrustedKeys(paths);
}


/** A repeatable string option as a list. */
export function many(v: unknown): string[] {
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
}
