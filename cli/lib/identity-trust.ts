import { ReceiptError } from '../../core/errors';
import { readInputFile } from '../../core/files';
import type { IdentityTrust } from '../../attest/sigstore/trusted-signer';
import type { FlagSpec } from './args';

/* eslint-disable @typescript-eslint/no-require-imports */
const identity = (): typeof import('../../attest/sigstore/identity') => require('../../attest/sigstore/identity');
/* eslint-enable @typescript-eslint/no-require-imports */

/** `--pub` of the verbs that take keys or identities: either trust is enough. */
export const SIGNER_PUB_OPT = {
  pub: {
    type: 'string',
    multiple: true,
    help: 'trusted public key file (SPKI PEM) of a signer',
    default: 'required unless --identity-policy',
  },
} as const satisfies Record<string, FlagSpec>;

/** The flags of every verb that verifies keyless Sigstore bundles. */
export const IDENTITY_OPTS = {
  'trusted-root': {
    type: 'string',
    arg: 'FILE',
    help: 'Sigstore trusted root (trusted_root.json: Fulcio CA, Rekor, CT log, timestamp authorities) for keyless bundles',
    default: 'keyless bundles are refused',
  },
  'identity-policy': {
    type: 'string',
    arg: 'FILE',
    help: 'trusted identities per role: issuer, subject pattern, kinds, envs, principal (docs/sigstore.md)',
    default: 'keyless bundles are refused',
  },
} as const satisfies Record<string, FlagSpec>;

/** `--trusted-root` and `--identity-policy`, both or neither. */
export function loadIdentityTrust(cmd: string, values: Record<string, unknown>): IdentityTrust | undefined {
  const root = values['trusted-root'];
  const policy = values['identity-policy'];
  if (root === undefined && policy === undefined) return undefined;
  if (typeof root !== 'string' || typeof policy !== 'string') {
    throw new ReceiptError(
      'USAGE',
      `kfm ${cmd}: --trusted-root and --identity-policy go together (a root without identities trusts no one)`,
    );
  }
  const i = identity();
  return {
    root: i.parseTrustedRoot(readInputFile(root, 'trusted root').toString('utf8'), root),
    identities: i.parseIdentityPolicy(readInputFile(policy, 'identity policy').toString('utf8'), policy),
  };
}
