import { decodeStatementPayload, DsseEnvelope, parseEnvelope, verifyEnvelope } from '../attest/dsse/envelope';
import { isReceiptError } from '../core/errors';
import { sha256Tagged } from '../core/digest';
import { isKnownPredicateType, validatePredicate } from '../attest/validate';
import { TrustedKey } from '../attest/sign/ed25519';
import { PREDICATE_TYPES, PredicateName, STATEMENT_TYPE } from '../attest/predicate-types';
import type { Predicates } from '../attest/predicates';
import { isObject } from '../core/json';
import { bundleMediaType, readBundle } from '../attest/sigstore/bundle';
import { IdentityTrust, readVerifiedRecord, SignedBy, signerLabel } from '../attest/sigstore/trusted-signer';

/** One ledger entry as the gates see it. */
export interface LedgerEntry {
  readonly seq: number;
  /** The envelope bytes exactly as appended. */
  readonly envelopeBytes: Buffer;
}

/**
 * A statement whose envelope verified under a trusted key. A kfm predicate is evidence only after
 * its schema check, so `evidenceOf` may hand it out typed as `Evidence<Predicates[name]>`.
 */
export interface Evidence<P = Record<string, unknown>> {
  readonly seq: number;
  /** `sha256:<hex>` of the envelope bytes: the digest receipts and approvals refer to. */
  readonly digest: string;
  readonly predicateType: string;
  readonly predicate: P;
  readonly subject: ReadonlyArray<{ name?: string; digest?: Record<string, string> }>;
  /**
   * keyid of the trusted key that verified it (computed from the key, not read from the envelope),
   * or the label of the trusted identity of a keyless bundle (`subject (issuer ...)`).
   */
  readonly signer: string;
  /** Who signed it: a trusted key, or a certificate identity with the trusted identities it matched. */
  readonly signedBy?: SignedBy;
}

/** An entry that could not be used as evidence, and why (shown when it would have mattered). */
export interface Rejected {
  readonly seq: number;
  readonly digest: string;
  readonly reason: string;
  /** Best-effort, unauthenticated peek at what it claims to be (never trusted). */
  readonly claims?: { predicateType?: string; env?: unknown; commit?: unknown };
}

function decodeStatement(env: DsseEnvelope, source: string): Record<string, unknown> | undefined {
  try {
    return decodeStatementPayload(env, source);
  } catch {
    return undefined;
  }
}

/** What an entry claims to be (type, env, commit), read without trusting it. */
function claimsOf(
  st: { readonly predicateType?: unknown; readonly predicate?: unknown } | undefined,
): Rejected['claims'] {
  if (!st) return undefined;
  const p = isObject(st.predicate) ? st.predicate : {};
  return {
    predicateType: typeof st.predicateType === 'string' ? st.predicateType : undefined,
    env: p.env,
    commit: isObject(p.repo) ? p.repo.commit : undefined,
  };
}

/** Who may sign what, and the approval predicate type: with it, roles are judged before replays. */
export interface RoleCheck {
  readonly roles: KeyRoles;
  readonly approvalType: string;
}

/** What a signer may sign: receipts and records, and/or approvals as one principal. */
interface SignerRole {
  readonly receipts: boolean;
  readonly approverAs?: string;
  /** "key" or "identity", for messages. */
  readonly what: string;
}

/**
 * The role of a signer, key or identity, in one place: a `--pub` key or a trusted identity with
 * no `principal` signs receipts and records; an `--approver NAME=PUB` key or a trusted identity
 * with a `principal` approves as that name. An identity's kinds and tiers were already judged
 * when its record verified (attest/sigstore/trusted-signer.ts): `trusted` holds only the
 * identities that may sign that record.
 */
function roleOf(signer: string | SignedBy, roles: KeyRoles): SignerRole {
  if (typeof signer === 'string' || signer.kind === 'key') {
    const keyid = typeof signer === 'string' ? signer : signer.keyid;
    return { receipts: roles.receiptSigners.has(keyid), approverAs: roles.approvers.get(keyid), what: 'key' };
  }
  return {
    receipts: signer.trusted.some((t) => t.principal === undefined),
    approverAs: signer.trusted.find((t) => t.principal !== undefined)?.principal,
    what: 'identity',
  };
}

/** Why a statement signed by `signer` may not be evidence in its role, or undefined when it may. */
export function roleRefusal(
  signer: string | SignedBy,
  predicateType: string,
  predicate: unknown,
  { roles, approvalType }: RoleCheck,
): string | undefined {
  const role = roleOf(signer, roles);
  if (predicateType === approvalType) {
    const name = role.approverAs;
    const principal = isObject(predicate) ? predicate.principal : undefined;
    if (role.receipts)
      return role.what === 'key'
        ? 'approval signed by a CI (--pub) key, which signs receipts, never approvals'
        : 'approval signed by a CI identity (no principal), which signs receipts, never approvals';
    if (name === undefined)
      return role.what === 'key'
        ? 'approval not signed by an --approver key'
        : 'approval not signed by an approver identity';
    if (!samePrincipal(name, principal as string | undefined))
      return `approval names principal "${String(principal)}" but is signed by ${name}'s ${role.what}`;
    return undefined;
  }
  return role.receipts ? undefined : `signed by an approver ${role.what}, which only signs approvals`;
}

/** An entry signed by a trusted key or identity: its statement, its signer and the digest replays are judged by. */
interface Signed {
  readonly st: Record<string, unknown> | undefined;
  readonly signer: SignedBy;
  readonly payloadDigest: string;
}

/** The same statement re-wrapped (other JSON spacing, signature order, extra signatures, a bundle) has the same signed payload. */
function payloadDigestOf(env: DsseEnvelope): string {
  return sha256Tagged(Buffer.concat([Buffer.from(`${env.payloadType}\n`, 'utf8'), Buffer.from(env.payload, 'base64')]));
}

/**
 * A Sigstore bundle in the ledger (a keyless one is itself the record): verified by the one
 * hook every reader uses (`readVerifiedRecord`: keys, or the certificate's identity for its role).
 */
function signedBundle(
  bytes: Buffer,
  source: string,
  trusted: readonly TrustedKey[],
  identities: IdentityTrust | undefined,
): Signed | { reason: string; st?: Record<string, unknown> } {
  let env: DsseEnvelope;
  try {
    env = readBundle(bytes.toString('utf8'), source).envelope;
  } catch (err) {
    return { reason: isReceiptError(err) ? err.message : 'not a Sigstore bundle' };
  }
  const st = decodeStatement(env, source);
  try {
    const v = readVerifiedRecord(bytes, source, trusted, identities);
    return { st, signer: v.signedBy, payloadDigest: payloadDigestOf(env) };
  } catch (err) {
    const why = isReceiptError(err) ? err.message.replace(`${source}: `, '') : 'signed by no trusted key or identity';
    return { reason: why, st };
  }
}

/** Parse and verify one entry; a string is why it is rejected. */
function signedEntry(
  e: LedgerEntry,
  trusted: readonly TrustedKey[],
  identities?: IdentityTrust,
): Signed | { reason: string; st?: Record<string, unknown> } {
  const source = `ledger entry ${e.seq}`;
  const text = e.envelopeBytes.toString('utf8');
  if (bundleMediaType(text) !== undefined) return signedBundle(e.envelopeBytes, source, trusted, identities);
  let env: DsseEnvelope;
  try {
    env = parseEnvelope(e.envelopeBytes, source);
  } catch (err) {
    return { reason: isReceiptError(err) ? err.message : 'not a DSSE envelope' };
  }
  const st = decodeStatement(env, source);
  try {
    const key = verifyEnvelope(env, trusted, source);
    return { st, signer: { kind: 'key', keyid: key.keyid, key }, payloadDigest: payloadDigestOf(env) };
  } catch {
    return { reason: 'signed by no trusted key', st };
  }
}

/** The statement's predicate when it is one kfm may judge (schema-checked when its type is known), else why not. */
function checkedPredicate(st: Record<string, unknown> | undefined, source: string): Record<string, unknown> | string {
  if (!st || st._type !== STATEMENT_TYPE || typeof st.predicateType !== 'string')
    return 'payload is not an in-toto Statement v1';
  const predicate = st.predicate;
  if (!isObject(predicate)) return 'statement has no predicate object';
  if (isKnownPredicateType(st.predicateType)) {
    // A receipt only counts as evidence in the exact shape its schema defines (fail closed).
    try {
      validatePredicate(st.predicateType, predicate, source);
    } catch (err) {
      const why = isReceiptError(err) ? err.message.replace(`${source}: `, '') : 'invalid';
      return `predicate does not match its schema: ${why}`;
    }
  }
  return predicate;
}

/**
 * Sort ledger entries into verified evidence and rejected entries. Only a signature by one of
 * `trusted` makes an entry evidence, or, for a keyless Sigstore bundle, a certificate whose
 * identity `identities` trusts for that record (its kind, tier and principal); DSSE keyids are
 * advisory and never consulted. With `roles`,
 * a statement counts only when its signer holds the role for it, and this is judged before
 * "first occurrence": a copy of a CI record's payload re-signed by an approver key (or any key
 * out of its role) neither counts nor makes the real record a replay of it.
 */
export function classifyEntries(
  entries: Iterable<LedgerEntry>,
  trusted: readonly TrustedKey[],
  roles?: RoleCheck,
  identities?: IdentityTrust,
): { evidence: Evidence[]; rejected: Rejected[] } {
  const evidence: Evidence[] = [];
  const rejected: Rejected[] = [];
  // First occurrence of each envelope and of each signed payload, among entries that may count:
  // a replay is never new evidence.
  const firstByEnvelope = new Map<string, number>();
  const firstByPayload = new Map<string, number>();
  for (const e of entries) {
    const digest = sha256Tagged(e.envelopeBytes);
    const source = `ledger entry ${e.seq}`;
    const reject = (reason: string, st?: Record<string, unknown>) =>
      rejected.push({ seq: e.seq, digest, reason, ...(st ? { claims: claimsOf(st) } : {}) });
    const signed = signedEntry(e, trusted, identities);
    if ('reason' in signed) {
      reject(signed.reason, signed.st);
      continue;
    }
    const { st, signer, payloadDigest } = signed;
    const predicate = checkedPredicate(st, source);
    if (typeof predicate === 'string') {
      reject(predicate, predicate.startsWith('predicate does not') ? st : undefined);
      continue;
    }
    const predicateType = st!.predicateType as string;
    const refusal = roles && roleRefusal(signer, predicateType, predicate, roles);
    if (refusal !== undefined) {
      reject(refusal, st);
      continue;
    }
    const first = firstByEnvelope.get(digest) ?? firstByPayload.get(payloadDigest);
    if (first !== undefined) {
      reject(
        `replay of entry ${first} (same ${firstByEnvelope.has(digest) ? 'envelope' : 'signed statement'}; only the first occurrence counts)`,
        st,
      );
      continue;
    }
    firstByEnvelope.set(digest, e.seq);
    firstByPayload.set(payloadDigest, e.seq);
    evidence.push({
      seq: e.seq,
      digest,
      predicateType,
      predicate,
      subject: Array.isArray(st!.subject) ? (st!.subject as Evidence['subject']) : [],
      signer: signer.kind === 'key' ? signer.keyid : signerLabel(signer),
      signedBy: signer,
    });
  }
  return { evidence, rejected };
}

/** The evidence of the kfm predicate `name`, typed: `classifyEntries` admitted it only after its schema check. */
export function evidenceOf<N extends PredicateName>(evidence: readonly Evidence[], name: N): Evidence<Predicates[N]>[] {
  return evidence.filter((e) => e.predicateType === PREDICATE_TYPES[name]) as unknown as Evidence<Predicates[N]>[];
}

/** Evidence of `name` for `env`, and for `commit` when given. */
export function evidenceFor<N extends Exclude<PredicateName, 'promotion'>>(
  evidence: readonly Evidence[],
  name: N,
  env: string,
  commit?: string,
): Evidence<Predicates[N]>[] {
  return evidenceOf(evidence, name).filter(
    (e) => e.predicate.env === env && (commit === undefined || e.predicate.repo.commit === commit),
  );
}

/** The newest (highest seq) of `xs`. */
export function latest<E extends Evidence<unknown>>(xs: readonly E[]): E | undefined {
  return xs.reduce<E | undefined>((a, b) => (!a || b.seq > a.seq ? b : a), undefined);
}

/** Who may sign what: CI keys sign receipts and records; each approver key signs approvals as one named principal. */
export interface KeyRoles {
  /** keyids of the `--pub` keys: receipts, validation records, promotion manifests. */
  readonly receiptSigners: ReadonlySet<string>;
  /** keyid → principal name of the `--approver NAME=PUB` keys: approvals only. */
  readonly approvers: ReadonlyMap<string, string>;
}

/**
 * Keep only evidence signed in its role: an approval counts only when signed by an approver key
 * whose name is the approval's principal (so nobody can approve under another's name), and any
 * other statement only when signed by a receipt key (an approver key cannot forge an apply).
 */
export function assignRoles(
  evidence: readonly Evidence[],
  roles: KeyRoles,
  approvalType: string,
): { evidence: Evidence[]; rejected: Rejected[] } {
  const kept: Evidence[] = [];
  const rejected: Rejected[] = [];
  for (const e of evidence) {
    const reason = roleRefusal(e.signedBy ?? e.signer, e.predicateType, e.predicate, { roles, approvalType });
    if (reason === undefined) kept.push(e);
    else rejected.push({ seq: e.seq, digest: e.digest, reason, claims: claimsOf(e) });
  }
  return { evidence: kept, rejected };
}

/** GitHub logins are case-insensitive: `Alice` and `alice` are one person. */
export function samePrincipal(a: string | null | undefined, b: string | null | undefined): boolean {
  return typeof a === 'string' && typeof b === 'string' && a.toLowerCase() === b.toLowerCase();
}

/** A GitHub App or bot account (`name[bot]`): it never approves. */
export function isBotPrincipal(p: string | null | undefined): boolean {
  return typeof p === 'string' && /\[bot\]$/i.test(p);
}
