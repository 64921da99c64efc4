import { chmodSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { refuseExisting, writeFileExclusive } from '../../core/files';
import { generateKeyPairPem, keyIdOf, parseTrustedKey } from '../../attest/sign/ed25519';
import { parseCommandArgs, requireOpt } from '../lib/args';
import { Command } from '../lib/types';

/** `kfm keygen --out-dir DIR`: a new Ed25519 pair; never overwrites an existing key. */
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
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    { summary: 'Make an Ed25519 signing key and its public key.', example: 'keygen --out-dir .kfm/keys' },
  );
  const dir = requireOpt('keygen', values, 'out-dir');
  const keyPath = join(dir, 'kfm-signing.key');
  const pubPath = join(dir, 'kfm-signing.pub');
  for (const p of [keyPath, pubPath]) refuseExisting(p, 'use another --out-dir', 'a key');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const { privatePem, publicPem } = generateKeyPairPem();
  writeFileExclusive(keyPath, privatePem, 0o600);
  chmodSync(keyPath, 0o600);
  writeFileExclusive(pubPath, publicPem, 0o644);
  const keyid = keyIdOf(parseTrustedKey(publicPem, pubPath).publicKey);
  io.stdout(JSON.stringify({ key: keyPath, pub: pubPath, keyid }) + '\n');
  return 0;
};
