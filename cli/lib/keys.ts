import { statSync } from 'node:fs';
import { ReceiptError } from '../../core/errors';
import { readInputFile } from '../../core/files';
import { parseSigningKey, parseTrustedKey, SigningKey, TrustedKey } from '../../attest/sign/ed25519';

/**
 * Load `--key` (Ed25519 PKCS#8 PEM). Errors name the file, never the key material. Like ssh, a
 * key file that group or others may read or write is refused (exit 2) with the chmod to run.
 */
export function loadSigningKey(path: string): SigningKey {
  const bytes = readInputFile(path, 'signing key');
  // A public key is no secret: say what it is instead of asking to chmod it.
  const text = bytes.toString('latin1');
  if (/-----BEGIN PUBLIC KEY-----/.test(text) && !/PRIVATE KEY-----/.test(text)) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${path}: is a public key (SPKI PEM); --key needs the private signing key (the kfm-signing.key beside it, not the .pub)`,
    );
  }
  const mode = statSync(path).mode & 0o777;
  if (process.platform !== 'win32' && (mode & 0o077) !== 0) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${path}: private key is accessible by group or others (mode ${mode.toString(8).padStart(4, '0')}); run chmod 600 ${path}`,
    );
  }
  return parseSigningKey(bytes, path);
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
