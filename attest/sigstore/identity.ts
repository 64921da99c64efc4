/**
 * Trusting identities, not only keys: a keyless bundle (./keyless.ts) is verified by
 * `@sigstore/verify` against a Sigstore trusted root (Fulcio CA, Rekor and CT log keys, timestamp
 * authorities), then its certificate's identity (OIDC issuer + subject alternative name) must
 * match one trusted identity, per role: which identity may sign which record kinds in which tiers.
 *
 * An identity policy file (JSON):
 *
 *   { "identities": [
 *       { "role": "ci", "issuer": "https://token.actions.githubusercontent.com",
 *         "subject": "^repo:acme/infra:environment:prod$", "kinds": ["plan", "apply"], "envs": ["prod"] },
 *       { "role": "approver", "principal": "alice", "issuer": "https://github.com/login/oauth",
 *         "subject": "^alice@example\\.com$" } ] }
 *
 * `subject` is a regular expression matched against the whole SAN (it is anchored here even when
 * the file does not anchor it). `kinds` and `envs` limit what the identity may sign (absent: any);
 * `principal` names the login an approver identity approves as (approvals only).
 */
import type { KeyObject } from 'node:crypto';
import type { Bundle } from '@sigstore/bundle';
import type { TrustMaterial } from '@sigstore/verify';
import { ReceiptError } from '../../core/errors';
import { isObject, parseJsonNoEcho } from '../../core/json';

/* eslint-disable @typescript-eslint/no-require-imports */
const sigstoreVerify = (): typeof import('@sigstore/verify') => require('@sigstore/verify');
const protobufSpecs = (): typeof import('@sigstore/protobuf-specs') => require('@sigstore/protobuf-specs');
/* eslint-enable @typescript-eslint/no-require-imports */

/** One trusted identity and what it may sign. */
export interface TrustedIdentity {
  readonly role: string;
  /** The OIDC issuer, exactly (certificate extension 1.3.6.1.4.1.57264.1.8, or .1.1). */
  readonly issuer: string;
  /** The certificate's subject alternative name must match this (whole string). */
  readonly subject: RegExp;
  /** Record kinds (plan, apply, drift, approval, validation, promotion) it may sign. @default - any */
  readonly kinds?: readonly string[];
  /** Tiers it may sign for. @default - any */
  readonly envs?: readonly string[];
  /** The login an approver identity approves as. @default - not an approver */
  readonly principal?: string;
  /** Where it was read, for messages. */
  readonly source: string;
}

/** Who signed a keyless bundle, as its certificate says (after the chain and timestamps verified). */
export interface SignerIdentity {
  readonly issuer: string;
  readonly subject: string;
  /**
   * The workflow that signed, as Fulcio certifies it for CI tokens (Build Signer URI, extension
   * 1.3.6.1.4.1.57264.1.9: `https://github.com/ORG/REPO/.github/workflows/F.yml@REF`).
   * @default - absent for a person's login
   */
  readonly workflow?: string;
  /** The source ref the workflow ran on (Source Repository Ref, 1.3.6.1.4.1.57264.1.14). @default - absent */
  readonly ref?: string;
}

/** Fulcio's certificate extensions read for display (their values are DER UTF8Strings). */
const FULCIO_OIDS = { workflow: '1.3.6.1.4.1.57264.1.9', ref: '1.3.6.1.4.1.57264.1.14' } as const;

/** A Fulcio v2 extension's value (a DER UTF8String), or undefined when absent or not one. */
function fulcioExtension(
  oids: readonly { oid?: { id: number[] }; value: Uint8Array }[],
  oid: string,
): string | undefined {
  const ext = oids.find((o) => o.oid?.id.join('.') === oid);
  if (ext === undefined) return undefined;
  try {
    /* eslint-disable-next-line @typescript-eslint/no-require-imports */
    const { ASN1Obj } = require('@sigstore/core') as typeof import('@sigstore/core');
    const v = ASN1Obj.parseBuffer(Buffer.from(ext.value));
    return v.tag.number === 12 ? v.value.toString('utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** A verified keyless signature: who (the certificate's identity) and the certified key. */
export interface VerifiedKeyless {
  readonly identity: SignerIdentity;
  readonly publicKey: KeyObject;
}

/** The label of a signer identity in messages and JSON. */
export const identityLabel = (id: SignerIdentity): string => `${id.subject} (issuer ${id.issuer})`;

/** Read a Sigstore trusted root (trusted_root.json) into what `@sigstore/verify` checks against. */
export function parseTrustedRoot(text: string, source: string): TrustMaterial {
  const raw = parseJsonNoEcho(text, source, 'Sigstore trusted root', 'INPUT_INVALID');
  if (
    !isObject(raw) ||
    typeof raw.mediaType !== 'string' ||
    !raw.mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')
  ) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: not a Sigstore trusted root (mediaType application/vnd.dev.sigstore.trustedroot+json)`,
    );
  }
  try {
    return sigstoreVerify().toTrustMaterial(protobufSpecs().TrustedRoot.fromJSON(raw));
  } catch (e) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: trusted root unreadable (${String((e as Error).message).slice(0, 120)})`,
    );
  }
}

const strings = (v: unknown, at: string): string[] | undefined => {
  if (v === undefined) return undefined;
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    throw new ReceiptError('INPUT_INVALID', `${at} must be a list of strings`);
  }
  return v as string[];
};

/** Read an identity policy file (format above). Throws INPUT_INVALID naming the entry and field. */
export function parseIdentityPolicy(text: string, source: string): TrustedIdentity[] {
  const raw = parseJsonNoEcho(text, source, 'identity policy', 'INPUT_INVALID');
  if (!isObject(raw) || !Array.isArray(raw.identities) || raw.identities.length === 0) {
    throw new ReceiptError('INPUT_INVALID', `${source}: field "identities" missing or empty`);
  }
  return raw.identities.map((e, i) => {
    const at = `${source}: identities[${i}]`;
    if (!isObject(e)) throw new ReceiptError('INPUT_INVALID', `${at} is not an object`);
    for (const f of ['role', 'issuer', 'subject'] as const) {
      if (typeof e[f] !== 'string' || e[f] === '')
        throw new ReceiptError('INPUT_INVALID', `${at}.${f} missing or not a string`);
    }
    let subject: RegExp;
    try {
      subject = new RegExp(`^(?:${e.subject as string})$`);
    } catch {
      throw new ReceiptError('INPUT_INVALID', `${at}.subject is not a regular expression`);
    }
    if (e.principal !== undefined && typeof e.principal !== 'string')
      throw new ReceiptError('INPUT_INVALID', `${at}.principal is not a string`);
    return {
      role: e.role as string,
      issuer: e.issuer as string,
      subject,
      kinds: strings(e.kinds, `${at}.kinds`),
      envs: strings(e.envs, `${at}.envs`),
      principal: e.principal as string | undefined,
      source: `${source}#${i}`,
    };
  });
}

/** Thresholds of a keyless verification. */
export interface KeylessThresholds {
  /** Signed certificate timestamps (CT log) the certificate must carry. @default 1 */
  readonly ctlog?: number;
}

/**
 * Verify a keyless bundle with `@sigstore/verify`: the certificate chains to a trusted Fulcio CA
 * at the time of a verified timestamp (a Rekor entry's integrated time or an RFC 3161 timestamp;
 * at least one), every log entry is included in a trusted log, the SCTs verify, and the DSSE
 * signature verifies under the certificate's key. Returns the certificate's identity; throws
 * SIGNATURE_INVALID naming `source` and Sigstore's error code (CERTIFICATE_ERROR, TIMESTAMP_ERROR, ...).
 */
export function verifyKeylessBundle(
  bundle: Bundle,
  trust: TrustMaterial,
  source: string,
  t: KeylessThresholds = {},
): VerifiedKeyless {
  const v = sigstoreVerify();
  let signer;
  try {
    const verifier = new v.Verifier(trust, { tlogThreshold: 0, ctlogThreshold: t.ctlog ?? 1, timestampThreshold: 1 });
    signer = verifier.verify(v.toSignedEntity(bundle));
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    const msg = String((e as Error).message ?? e)
      .split('\n')[0]!
      .slice(0, 160);
    throw new ReceiptError(
      'SIGNATURE_INVALID',
      `${source}: Sigstore verification failed${typeof code === 'string' ? ` (${code})` : ''}: ${msg}`,
    );
  }
  const issuer = signer.identity?.extensions?.issuer;
  const subject = signer.identity?.subjectAlternativeName;
  if (typeof issuer !== 'string' || typeof subject !== 'string') {
    throw new ReceiptError(
      'KEY_UNTRUSTED',
      `${source}: the certificate names no OIDC issuer or subject; not a Fulcio identity`,
    );
  }
  const oids = signer.identity?.oids ?? [];
  const workflow = fulcioExtension(oids, FULCIO_OIDS.workflow);
  const ref = fulcioExtension(oids, FULCIO_OIDS.ref);
  return {
    identity: { issuer, subject, ...(workflow ? { workflow } : {}), ...(ref ? { ref } : {}) },
    publicKey: signer.key,
  };
}

/** True when `identity` may sign a record of `kind` for `env`. */
export function mayAttest(identity: TrustedIdentity, kind: string, env: string | undefined): boolean {
  if (identity.kinds !== undefined && !identity.kinds.includes(kind)) return false;
  if (identity.envs !== undefined && (env === undefined || !identity.envs.includes(env))) return false;
  return true;
}

/** The trusted identities the certificate's identity is (issuer exact, subject whole-match). */
export function matchingIdentities(id: SignerIdentity, trusted: readonly TrustedIdentity[]): TrustedIdentity[] {
  return trusted.filter((t) => t.issuer === id.issuer && t.subject.test(id.subject));
}
