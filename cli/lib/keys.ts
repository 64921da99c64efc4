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

/** One use of a public key on a command line: its role (the flag) and the name it is given there. */
export interface KeyUse {
  /** `pub`, `approver` or `witness` (or `key`: the public half of a command's signing `--key`). */
  readonly role: string;
  /** The approver's login or the witness's name; '' for `--pub`. */
  readonly name: string;
  readonly key: TrustedKey;
}

function describeUse(u: KeyUse): string {
  return u.role === 'pub' || u.role === 'key' ? `--${u.role} ${u.key.source}` : `--${u.role} ${u.name}=${u.key.source}`;
}

/**
 * One key, one role, one name: a public key given as a log key (`--pub`), an approver's and a
 * witness's, or as two approvers or two witnesses, could vouch for itself (an author approving
 * under a second login, the log key "witnessing" its own rollback). Refused (exit 2) naming the
 * two uses. The same key given twice for the same role and name is only a repeat.
 */
export function checkOneKeyOneRole(cmd: string, uses: readonly KeyUse[]): void {
  const seen = new Map<string, KeyUse>();
  for (const u of uses) {
    const prev = seen.get(u.key.keyid);
    if (prev === undefined) {
      seen.set(u.key.keyid, u);
      continue;
    }
    if (prev.role === u.role && prev.name.toLowerCase() === u.name.toLowerCase()) continue;
    throw new ReceiptError(
      'USAGE',
      `kfm ${cmd}: ${describeUse(prev)} and ${describeUse(u)} are the same public key; a key holds one role under one name (give each its own key)`,
    );
  }
}

/** `NAME=FILE` specs of a repeatable option, the well-formed ones only (their own parser refuses the rest). */
function namedKeyUses(role: string, values: Record<string, unknown>): KeyUse[] {
  return many(values[role]).flatMap((spec) => {
    const i = spec.indexOf('=');
    if (i <= 0 || i === spec.length - 1) return [];
    return [{ role, name: spec.slice(0, i), key: loadTrustedKeys([spec.slice(i + 1)])[0]! }];
  });
}

/** Every `--pub`, `--approver NAME=PUB` and `--witness NAME=PUB` of a command, checked by checkOneKeyOneRole. */
export function checkKeyRoles(cmd: string, values: Record<string, unknown>): void {
  const pubs = loadTrustedKeys(many(values.pub)).map((key) => ({ role: 'pub', name: '', key }));
  const logPubs = loadTrustedKeys(many(values['log-pub'])).map((key) => ({ role: 'log-pub', name: '', key }));
  checkOneKeyOneRole(cmd, [
    ...pubs,
    ...logPubs,
    ...namedKeyUses('approver', values),
    ...namedKeyUses('witness', values),
  ]);
}
