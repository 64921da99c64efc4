/**
 * Keyless signing: the workflow's OIDC identity is exchanged at Fulcio for a short-lived
 * certificate (ECDSA P-256), the DSSE envelope is signed with the certified key, and the signature
 * is logged in Rekor and/or timestamped by an RFC 3161 authority. Everything on the wire is done
 * by `@sigstore/sign` (no hand-written certificate, log or timestamp client). The result is a
 * Sigstore bundle v0.3 whose DSSE envelope carries the same in-toto Statement a keyed receipt
 * would; the bundle itself is the record (./bundle.ts).
 *
 * Library code: the identity token source, URLs and key come in as parameters (the CLI reads env).
 */
import { createPublicKey } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import type { IdentityProvider, Signer, Witness } from '@sigstore/sign';
import { ReceiptError } from '../../core/errors';
import { sha256Tagged } from '../../core/digest';
import { parseEnvelope, verifyEnvelope } from '../dsse/envelope';
import { signBytes, SigningKey, TrustedKey, trustedKeyOf } from '../sign/ed25519';
import { isP256 } from '../sign/p256';
import { serializeBundle } from './bundle';

/* eslint-disable @typescript-eslint/no-require-imports */
const sigstoreSign = (): typeof import('@sigstore/sign') => require('@sigstore/sign');
/* eslint-enable @typescript-eslint/no-require-imports */

export interface KeylessOptions {
  /** Where the OIDC identity token comes from (in GitHub Actions: `CIContextProvider('sigstore')`). */
  readonly identity: IdentityProvider;
  /** Fulcio's base URL (public good: https://fulcio.sigstore.dev). */
  readonly fulcioURL: string;
  /**
   * Rekor's base URL: the signature is logged there.
   * @default - not logged (then `tsaURL` is required)
   */
  readonly rekorURL?: string;
  /**
   * Rekor API major version: 1 logs a `dsse` entry, 2 a `hashedrekord` of the signed bytes.
   * @default 1
   */
  readonly rekorMajor?: 1 | 2;
  /**
   * Rekor v1 entry type for the DSSE envelope.
   * @default 'dsse'
   */
  readonly rekorEntryType?: 'dsse' | 'intoto';
  /**
   * RFC 3161 timestamp authority's base URL: the signature is timestamped there.
   * @default - not timestamped (then `rekorURL` is required)
   */
  readonly tsaURL?: string;
  /**
   * The P-256 key Fulcio certifies (a key made for this job, e.g. `kfm keygen --alg p256` in
   * $RUNNER_TEMP). @default - a fresh key in memory, gone when the process ends
   */
  readonly key?: SigningKey;
  /** Request timeout in ms. @default 30000 */
  readonly timeoutMs?: number;
}

/** The signer Fulcio certifies: a given P-256 key (signing through kfm's one signing function). */
function keyHolder(key: SigningKey, source: string): Signer {
  if (!isP256(key.privateKey)) {
    throw new ReceiptError(
      'KEY_INVALID',
      `${source}: keyless signing needs a P-256 key (kfm keygen --alg p256), not ${key.privateKey.asymmetricKeyType}`,
    );
  }
  const publicKey = createPublicKey(key.privateKey).export({ format: 'pem', type: 'spki' }) as string;
  return {
    sign: async (data: Buffer) => ({ signature: signBytes(key, data), key: { $case: 'publicKey', publicKey } }),
  };
}

function witnesses(o: KeylessOptions): Witness[] {
  const s = sigstoreSign();
  const out: Witness[] = [];
  const timeout = o.timeoutMs ?? 30_000;
  if (o.rekorURL !== undefined) {
    out.push(
      new s.RekorWitness({
        rekorBaseURL: o.rekorURL,
        majorApiVersion: o.rekorMajor ?? 1,
        entryType: o.rekorEntryType ?? 'dsse',
        timeout,
        retry: 0,
      }),
    );
  }
  if (o.tsaURL !== undefined) out.push(new s.TSAWitness({ tsaBaseURL: o.tsaURL, timeout, retry: 0 }));
  if (out.length === 0) {
    throw new ReceiptError(
      'USAGE',
      'keyless signing needs a transparency log (--rekor-url) or a timestamp authority (--tsa-url), or both',
    );
  }
  return out;
}

/** One line for a failure of `@sigstore/sign` (its `code` and message, never the token). */
function signingError(e: unknown, source: string): ReceiptError {
  const code = (e as { code?: unknown }).code;
  const msg = String((e as Error)?.message ?? e)
    .split('\n')[0]!
    .replace(/ey[A-Za-z0-9_-]{20,}\S*/g, '<token>');
  return new ReceiptError(
    'STORE_UNAVAILABLE',
    `${source}: keyless signing failed${typeof code === 'string' ? ` (${code})` : ''}: ${msg.slice(0, 200)}`,
    { cause: e },
  );
}

/** Sign `payload` keyless: Fulcio certificate, then Rekor entry and/or RFC 3161 timestamp. */
export async function signPayloadKeyless(
  payloadType: string,
  payload: Buffer,
  o: KeylessOptions,
  source: string,
): Promise<Bundle> {
  const s = sigstoreSign();
  const signer = new s.FulcioSigner({
    identityProvider: o.identity,
    fulcioBaseURL: o.fulcioURL,
    timeout: o.timeoutMs ?? 30_000,
    retry: 0,
    ...(o.key ? { keyHolder: keyHolder(o.key, source) } : {}),
  });
  const builder = new s.DSSEBundleBuilder({ signer, witnesses: witnesses(o) });
  try {
    return await builder.create({ data: payload, type: payloadType });
  } catch (e) {
    throw signingError(e, source);
  }
}

/**
 * Certify a signed kfm record keyless: its DSSE envelope (checked first: under `o.key`, the job's
 * key that signed it, else under one of `trusted`) is signed again, as the same payload and
 * payloadType, under a Fulcio certificate (for `o.key`, or a fresh in-memory key) and
 * logged/timestamped. Returns the bundle file bytes and their digest (the record's digest).
 */
export async function certifyEnvelope(
  envelopeBytes: Buffer,
  source: string,
  o: KeylessOptions,
  trusted: readonly TrustedKey[] = [],
): Promise<{ bytes: Buffer; digest: string }> {
  const env = parseEnvelope(envelopeBytes, source);
  verifyEnvelope(env, o.key ? [trustedKeyOf(o.key, 'the certified key')] : trusted, source);
  const bundle = await signPayloadKeyless(env.payloadType, Buffer.from(env.payload, 'base64'), o, source);
  const bytes = serializeBundle(bundle);
  return { bytes, digest: sha256Tagged(bytes) };
}
