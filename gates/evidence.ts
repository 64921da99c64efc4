import { decodeStatementPayload, DsseEnvelope, parseEnvelope, verifyEnvelope } from '../attest/dsse/envelope';
import { isReceiptError } from '../core/errors';
import { sha256Tagged } from '../core/digest';
import { isKnownPredicateType, validatePredicate } from '../attest/validate';
import { TrustedKey } from '../attest/sign/ed25519';
import { PREDICATE_TYPES, PredicateName, STATEMENT_TYPE } from '../attest/predicate-types';
import type { Predicates } from '../attest/predicates';
import { isObject } from '../core/json';

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
  /** keyid of the trusted key that verified it (computed from the key, not read from the envelope). */
  readonly signer: string;
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

/**
 * Sort ledger entries into verified evidence and rejected entries. Only a signature by one of
 * `trusted` makes an entry evidence; DSSE keyids are advisory and never consulted.
 */
export function classifyEntries(
  entries: Iterable<LedgerEntry>,
  trusted: readonly TrustedKey[],
): { evidence: Evidence[]; rejected: Rejected[] } {
  const evidence: Evidence[] = [];
  const rejected: Rejected[] = [];
  // First occurrence of each envelope and of each signed payload: a replay is never new evidence.
  const firstByEnvelope = new Map<string, number>();
  const firstByPayload = new Map<string, number>();
  for (const e of entries) {
    const digest = sha256Tagged(e.envelopeBytes);
    const source = `ledger entry ${e.seq}`;
    let env: DsseEnvelope;
    try {
      env = parseEnvelope(e.envelopeBytes.toString('utf8'), source);
    } catch (err) {
      rejected.push({ seq: e.seq, digest, reason: isReceiptError(err) ? err.message : 'not a DSSE envelope' });
      continue;
    }
    const st = decodeStatement(env, source);
    // The same statement re-wrapped (other JSON spacing, signature order, extra signatures)
    // has other envelope bytes but the same signed payload: also a replay.
    const payloadDigest = sha256Tagged(
      Buffer.concat([Buffer.from(`${env.payloadType}\n`, 'utf8'), Buffer.from(env.payload, 'base64')]),
    );
    const first = firstByEnvelope.get(digest) ?? firstByPayload.get(payloadDigest);
    if (first !== undefined) {
      const reason = `replay of entry ${first} (same ${firstByEnvelope.has(digest) ? 'envelope' : 'signed statement'}; only the first occurrence counts)`;
      rejected.push({ seq: e.seq, digest, reason, claims: claimsOf(st) });
      continue;
    }
    firstByEnvelope.set(digest, e.seq);
    firstByPayload.set(payloadDigest, e.seq);
    let signer: TrustedKey;
    try {
      signer = verifyEnvelope(env, trusted, source);
    } catch {
      rejected.push({ seq: e.seq, digest, reason: 'signed by no trusted key', claims: claimsOf(st) });
      continue;
    }
    if (!st || st._type !== STATEMENT_TYPE || typeof st.predicateType !== 'string') {
      rejected.push({ seq: e.seq, digest, reason: 'payload is not an in-toto Statement v1' });
      continue;
    }
    const predicate = st.predicate;
    if (typeof predicate !== 'object' || predicate === null || Array.isArray(predicate)) {
      rejected.push({ seq: e.seq, digest, reason: 'statement has no predicate object' });
      continue;
    }
    if (isKnownPredicateType(st.predicateType)) {
      // A receipt only counts as evidence in the exact shape its schema defines (fail closed).
      try {
        validatePredicate(st.predicateType, predicate, source);
      } catch (err) {
        const why = isReceiptError(err) ? err.message.replace(`${source}: `, '') : 'invalid';
        rejected.push({
          seq: e.seq,
          digest,
          reason: `predicate does not match its schema: ${why}`,
          claims: claimsOf(st),
        });
        continue;
      }
    }
    evidence.push({
      seq: e.seq,
      digest,
      predicateType: st.predicateType,
      predicate: predicate as Record<string, unknown>,
      subject: Array.isArray(st.subject) ? (st.subject as Evidence['subject']) : [],
      signer: signer.keyid,
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
    const claims = claimsOf(e);
    if (e.predicateType === approvalType) {
      const name = roles.approvers.get(e.signer);
      const principal = (e.predicate as Partial<Predicates['approval']>).principal;
      if (roles.receiptSigners.has(e.signer)) {
        const reason = 'approval signed by a CI (--pub) key, which signs receipts, never approvals';
        rejected.push({ seq: e.seq, digest: e.digest, reason, claims });
      } else if (name === undefined) {
        rejected.push({ seq: e.seq, digest: e.digest, reason: 'approval not signed by an --approver key', claims });
      } else if (!samePrincipal(name, principal)) {
        const reason = `approval names principal "${String(principal)}" but is signed by ${name}'s key`;
        rejected.push({ seq: e.seq, digest: e.digest, reason, claims });
      } else kept.push(e);
    } else if (roles.receiptSigners.has(e.signer)) {
      kept.push(e);
    } else {
      rejected.push({
        seq: e.seq,
        digest: e.digest,
        reason: 'signed by an approver key, which only signs approvals',
        claims,
      });
    }
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
