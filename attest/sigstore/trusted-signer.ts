/**
 * The one hook through which identity trust reaches every reader of signed records: a record is
 * a DSSE envelope, a keyed Sigstore bundle (the envelope inside, under a trusted key) or a keyless
 * bundle (under a trusted identity, for its role). `readVerifiedRecord` answers, for any of them,
 * what `readVerifiedStatement` answers for an envelope, plus who signed it (`signedBy`).
 *
 * A keyless record counts only for what its identity may sign: an identity trusted to sign prod
 * plan receipts does not make an approval evidence, and an approver identity approves only as its
 * `principal`. Two records are by the same signer when `sameSigner` says so (key id, or issuer
 * and subject): the gate's "approved by someone other than the author" compares with it.
 */
import type { TrustMaterial } from '@sigstore/verify';
import { ReceiptError } from '../../core/errors';
import { sha256Tagged } from '../../core/digest';
import { PREDICATE_TYPES, PredicateName } from '../predicate-types';
import { serializeEnvelopeBytes } from '../dsse/envelope';
import type { TrustedKey } from '../sign/ed25519';
import { readVerifiedStatement, VerifiedStatement } from '../statement';
import { bundleMediaType, ReadBundle, readBundle } from './bundle';
import {
  identityLabel,
  KeylessThresholds,
  matchingIdentities,
  mayAttest,
  SignerIdentity,
  TrustedIdentity,
  verifyKeylessBundle,
} from './identity';

/** A signer a verifier trusts: a public key, or an identity (with its role) under a trusted root. */
export type TrustedSigner =
  | { readonly kind: 'key'; readonly key: TrustedKey }
  | { readonly kind: 'identity'; readonly identity: TrustedIdentity };

/** Identity trust: the Sigstore trusted root and the trusted identities. */
export interface IdentityTrust {
  readonly root: TrustMaterial;
  readonly identities: readonly TrustedIdentity[];
  readonly thresholds?: KeylessThresholds;
}

/** Who signed a verified record. */
export type SignedBy =
  | { readonly kind: 'key'; readonly keyid: string; readonly key: TrustedKey }
  | { readonly kind: 'identity'; readonly identity: SignerIdentity; readonly trusted: readonly TrustedIdentity[] };

export interface VerifiedRecord extends VerifiedStatement {
  readonly signedBy: SignedBy;
}

/** The signer's label in messages and JSON: the key id, or `subject (issuer ...)`. */
export function signerLabel(s: SignedBy): string {
  return s.kind === 'key' ? s.keyid : identityLabel(s.identity);
}

/** True when two records were signed by the same signer (same key id, or same issuer and subject). */
export function sameSigner(a: SignedBy, b: SignedBy): boolean {
  if (a.kind === 'key' && b.kind === 'key') return a.keyid === b.keyid;
  if (a.kind === 'identity' && b.kind === 'identity')
    return a.identity.issuer === b.identity.issuer && a.identity.subject === b.identity.subject;
  return false;
}

/** The record kind (plan, apply, ...) of a predicate type, or undefined for a foreign one. */
function kindOf(predicateType: string): PredicateName | undefined {
  return (Object.keys(PREDICATE_TYPES) as PredicateName[]).find((k) => PREDICATE_TYPES[k] === predicateType);
}

/** Split trusted signers into keys and identities. */
export function splitSigners(signers: readonly TrustedSigner[]): { keys: TrustedKey[]; identities: TrustedIdentity[] } {
  const keys: TrustedKey[] = [];
  const identities: TrustedIdentity[] = [];
  for (const s of signers) s.kind === 'key' ? keys.push(s.key) : identities.push(s.identity);
  return { keys, identities };
}

/** A keyless bundle: chain, timestamps, logs and signature by @sigstore/verify; then identity, role, kind, tier. */
function readKeyless(
  bytes: Buffer,
  read: ReadBundle,
  source: string,
  trust: IdentityTrust | undefined,
): VerifiedRecord {
  if (trust === undefined) {
    throw new ReceiptError(
      'KEY_UNTRUSTED',
      `${source}: a keyless Sigstore bundle; pass --trusted-root and --identity-policy to verify it`,
    );
  }
  const { identity, publicKey } = verifyKeylessBundle(read.bundle, trust.root, source, trust.thresholds);
  const label = identityLabel(identity);
  const matches = matchingIdentities(identity, trust.identities);
  if (matches.length === 0)
    throw new ReceiptError('KEY_UNTRUSTED', `${source}: signed by ${label}, which no trusted identity matches`);
  // The certified key (already checked against the certificate) verifies the same envelope.
  const certKey: TrustedKey = { publicKey, keyid: `identity:${identity.subject}`, source: label };
  const vs = readVerifiedStatement(serializeEnvelopeBytes(read.envelope), source, [certKey]);
  const kind = kindOf(vs.predicateType) ?? vs.predicateType;
  const env = typeof vs.predicate.env === 'string' ? vs.predicate.env : undefined;
  let allowed = matches.filter((m) => mayAttest(m, kind, env));
  if (kind === 'approval')
    allowed = allowed.filter((m) => m.principal !== undefined && m.principal === vs.predicate.principal);
  if (allowed.length === 0) {
    throw new ReceiptError(
      'KEY_UNTRUSTED',
      `${source}: ${label} (role ${matches.map((m) => m.role).join(', ')}) may not sign a ${kind} record for env ${env ?? '-'}${kind === 'approval' ? ` as principal ${String(vs.predicate.principal)}` : ''}`,
    );
  }
  return {
    ...vs,
    envelopeDigest: sha256Tagged(bytes),
    key: certKey,
    signedBy: { kind: 'identity', identity, trusted: allowed },
  };
}

/**
 * Verify record bytes (a DSSE envelope, or a keyed bundle already unwrapped to it, or a keyless
 * bundle) under trusted keys and, for keyless bundles, trusted identities. Errors as
 * `readVerifiedStatement` (exit 3 for signature and trust, 2 for shape).
 */
export function readVerifiedRecord(
  bytes: Buffer,
  source: string,
  keys: readonly TrustedKey[],
  identities?: IdentityTrust,
): VerifiedRecord {
  const text = bytes.toString('utf8');
  if (bundleMediaType(text) !== undefined) {
    const read = readBundle(bytes, source);
    if (read.kind === 'keyless') return readKeyless(bytes, read, source, identities);
    bytes = serializeEnvelopeBytes(read.envelope);
  }
  const vs = readVerifiedStatement(bytes, source, keys);
  return { ...vs, signedBy: { kind: 'key', keyid: vs.key.keyid, key: vs.key } };
}

/** `signerFor`: who signed record bytes, among trusted keys and identities (KEY_UNTRUSTED / SIGNATURE_INVALID otherwise). */
export function signerFor(
  bytes: Buffer,
  source: string,
  signers: readonly TrustedSigner[],
  root?: TrustMaterial,
): SignedBy {
  const { keys, identities } = splitSigners(signers);
  return readVerifiedRecord(bytes, source, keys, root ? { root, identities } : undefined).signedBy;
}
