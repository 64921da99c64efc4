import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { refuseExisting, writeFileExclusive } from '../../core/files';
import { ReceiptError } from '../../core/errors';
import { generateKeyPairPem, keyIdOf, parseTrustedKey } from '../../attest/sign/ed25519';
import { generateP256Pem, KEY_ALGORITHMS } from '../../attest/sign/p256';
import { parseCommandArgs, requireOpt } from '../lib/args';
import { Command } from '../lib/types';

/** `kfm keygen --out-dir DIR [--alg ed25519|p256]`: a new key pair (Ed25519 by default); never overwrites an existing key. */
export const keygen: Command = async (io) => {
  const { values } = parseCommandArgs(
    'keygen',
    io.argv,
    {
      'out-dir': {
        type: 'string',
        required: true,
        arg: 'DIR',
        help: 'directory for kfm-signing.key (0600) and kfm-signing.pub; existing keys are refused',
      },
      alg: {
        type: 'string',
        arg: 'ed25519|p256',
        help: 'key algorithm: ed25519 (offline default) or p256 (ECDSA P-256: Rekor v2 logs it, cosign verifies it)',
        default: 'ed25519',
      },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    { summary: 'Make an Ed25519 signing key and its public key.', example: 'keygen --out-dir .kfm/keys' },
  );
  const dir = requireOpt('keygen', values, 'out-dir');
  const keyPath = join(dir, 'kfm-signing.key');
  const pubPath = join(dir, 'kfm-signing.pub');
  for (const p of [keyPath, pubPath]) refuseExisting(p, 'use another --out-dir', 'a key');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const alg = typeof values.alg === 'string' ? values.alg : 'ed25519';
  if (!(KEY_ALGORITHMS as readonly string[]).includes(alg))
    throw new ReceiptError(
      'USAGE',
      `kfm keygen: --alg "${alg.slice(0, 20)}", expected one of ${KEY_ALGORITHMS.join(', ')}`,
    );
  const { privatePem, publicPem } = alg === 'p256' ? generateP256Pem() : generateKeyPairPem();
  writeFileExclusive(keyPath, privatePem, 0o600);
  chmodSync(keyPath, 0o600);
  writeFileExclusive(pubPath, publicPem, 0o644);
  const keyid = keyIdOf(parseTrustedKey(publicPem, pubPath).publicKey);
  io.stdout(JSON.stringify({ key: keyPath, pub: pubPath, keyid, ...(alg === 'p256' ? { alg } : {}) }) + '\n');
  return 0;
};
