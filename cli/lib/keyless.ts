import { ReceiptError } from '../../core/errors';
import type { SigningKey } from '../../attest/sign/ed25519';
import type { KeylessOptions } from '../../attest/sigstore/keyless';
import type { FlagSpec } from './args';

/** Sigstore's public-good services (the defaults). */
export const PUBLIC_GOOD = { fulcio: 'https://fulcio.sigstore.dev', rekor: 'https://rekor.sigstore.dev' };

/** The Sigstore service flags of every verb that signs keyless (`receipt certify`, `approve --keyless`). */
export const SIGSTORE_SERVICE_OPTS = {
  'fulcio-url': { type: 'string', arg: 'URL', help: 'Fulcio certificate authority', default: PUBLIC_GOOD.fulcio },
  'rekor-url': {
    type: 'string',
    arg: 'URL',
    help: 'Rekor transparency log the signature is logged in',
    default: `${PUBLIC_GOOD.rekor} when no --tsa-url is given`,
  },
  'rekor-api': { type: 'string', arg: '1|2', help: 'Rekor API major version', default: '1' },
  'rekor-entry-type': { type: 'string', arg: 'dsse|intoto', help: 'Rekor v1 entry type', default: 'dsse' },
  'tsa-url': { type: 'string', arg: 'URL', help: 'RFC 3161 timestamp authority', default: 'none' },
} as const satisfies Record<string, FlagSpec>;

function oneOf<T extends string>(cmd: string, flag: string, v: unknown, allowed: readonly T[], dflt: NoInfer<T>): T {
  if (v === undefined) return dflt;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new ReceiptError('USAGE', `kfm ${cmd}: --${flag} must be one of ${allowed.join(', ')}`);
}

const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The keyless signing options from the service flags. The OIDC identity token comes from the CI
 * (GitHub Actions: ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, given by `permissions: id-token: write`)
 * or from SIGSTORE_ID_TOKEN (a person's login: `npx sigstore token`), through `@sigstore/sign`'s
 * `CIContextProvider`. `key`: the P-256 key Fulcio certifies (absent: a fresh key in memory).
 */
export function keylessOptionsOf(cmd: string, v: Record<string, unknown>, key?: SigningKey): KeylessOptions {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { CIContextProvider } = require('@sigstore/sign') as typeof import('@sigstore/sign');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const tsaURL = str(v['tsa-url']);
  return {
    identity: new CIContextProvider('sigstore'),
    fulcioURL: str(v['fulcio-url']) ?? PUBLIC_GOOD.fulcio,
    rekorURL: str(v['rekor-url']) ?? (tsaURL === undefined ? PUBLIC_GOOD.rekor : undefined),
    rekorMajor: oneOf(cmd, 'rekor-api', v['rekor-api'], ['1', '2'], '1') === '2' ? 2 : 1,
    rekorEntryType: oneOf<'dsse' | 'intoto'>(
      cmd,
      'rekor-entry-type',
      v['rekor-entry-type'],
      ['dsse', 'intoto'],
      'dsse',
    ),
    tsaURL,
    key,
  };
}
