import { decodeStatementPayload, parseEnvelope, verifyEnvelope } from '../attest/dsse/envelope';
import { hexOf } from '../attest/pipeline-statement';
import { PREDICATE_KINDS, PREDICATE_TYPES } from '../attest/predicate-types';
import type { ApprovalPredicate } from '../attest/predicates';
import { TrustedKey } from '../attest/sign/ed25519';
import { bundleMediaType, readBundle } from '../attest/sigstore/bundle';
import { IdentityTrust, readVerifiedRecord } from '../attest/sigstore/trusted-signer';
import { Subject } from '../attest/statement';
import { sha256Hex, sha256Tagged } from '../core/digest';
import { ReceiptError } from '../core/errors';
import { isObject } from '../core/json';
import { Env } from '../core/vocabulary';

/** What `kfm approve` approves, and as whom. */
export interface ApprovalRequest {
  readonly env: Env;
  readonly principal: string;
  readonly changeRecord?: string;
  /** The plan receipt's envelope bytes, and the file they came from. */
  readonly receipt: { readonly bytes: Buffer; readonly source: string };
  /** Keys to verify the plan receipt with first; none leaves that to the gate. */
  readonly trusted: readonly TrustedKey[];
  /** Identities to verify a keyless plan receipt (a Sigstore bundle) with first. @default - left to the gate */
  readonly identities?: IdentityTrust;
  /** The approval's time (RFC 3339). */
  readonly at: string;
}

/**
 * The statement approving one plan receipt (by its envelope digest): subjects are the receipt
 * and, when given, the change record (sha256 of its id). Refuses anything that is not a plan
 * receipt for `env`; verifies its signature first when `trusted` keys are given.
 */
export function approvalStatement(req: ApprovalRequest): {
  subject: Subject[];
  predicate: ApprovalPredicate;
  planReceipt: string;
} {
  const commit = planReceiptCommit(req);
  const digest = sha256Tagged(req.receipt.bytes);
  const predicate: ApprovalPredicate = {
    kind: PREDICATE_KINDS.approval,
    env: req.env,
    decision: 'approved',
    principal: req.principal,
    change_record: req.changeRecord ?? null,
    plan_receipt: { digest, commit },
    repo: { commit },
    timestamps: { approved: req.at },
  };
  const name = req.receipt.source.split('/').pop() ?? 'plan-receipt';
  const subject: Subject[] = [{ name, digest: { sha256: hexOf(digest) } }];
  if (req.changeRecord !== undefined)
    subject.push({
      name: `change-record:${req.changeRecord}`,
      digest: { sha256: sha256Hex(Buffer.from(req.changeRecord, 'utf8')) },
    });
  return { subject, predicate, planReceipt: digest };
}

/** The commit of the plan receipt approved, after checking it is a plan receipt for `env`. */
function planReceiptCommit({ receipt, trusted, identities, env }: ApprovalRequest): string | null {
  const raw = receipt.bytes.toString('utf8');
  // A keyless bundle is itself the plan receipt (its digest is what the gate binds to).
  const keyless = bundleMediaType(raw) !== undefined;
  const envelope = keyless ? readBundle(receipt.bytes, receipt.source).envelope : parseEnvelope(receipt.bytes, receipt.source);
  if (keyless && (trusted.length > 0 || identities !== undefined))
    readVerifiedRecord(receipt.bytes, receipt.source, trusted, identities);
  else if (trusted.length > 0) verifyEnvelope(envelope, trusted, receipt.source);
  // Without keys the receipt is not authenticated here (the gate verifies it), but we still
  // refuse to approve anything that is not a plan receipt for this env.
  const statement = decodeStatementPayload(envelope, receipt.source);
  if (statement.predicateType !== PREDICATE_TYPES.plan) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${receipt.source}: predicateType "${String(statement.predicateType)}" is not a plan receipt (${PREDICATE_TYPES.plan})`,
    );
  }
  const p = isObject(statement.predicate) ? statement.predicate : {};
  const text = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
  if (text(p.env) !== env) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${receipt.source}: predicate.env "${String(text(p.env))}" does not match --env ${env}`,
    );
  }
  return (isObject(p.repo) ? text(p.repo.commit) : undefined) ?? null;
}
