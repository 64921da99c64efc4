import { basename } from 'node:path';
import { hexOf } from '../attest/pipeline-statement';
import { PREDICATE_KINDS, PREDICATE_TYPES } from '../attest/predicate-types';
import type { ValidationRecordPredicate } from '../attest/predicates';
import { TrustedKey } from '../attest/sign/ed25519';
import { Subject } from '../attest/statement';
import { IdentityTrust, readVerifiedRecord } from '../attest/sigstore/trusted-signer';
import { sha256Hex } from '../core/digest';
import { ReceiptError } from '../core/errors';
import { Env } from '../core/vocabulary';

type Check = ValidationRecordPredicate['checks'][number];

/** What `kfm record smoke` records. */
export interface ValidationRequest {
  readonly env: Env;
  readonly checks: readonly Check[];
  readonly repo: ValidationRecordPredicate['repo'];
  /** When the checks finished (RFC 3339). */
  readonly at: string;
  /** The apply receipt validated: the gates count a smoke record only for the apply it names. */
  readonly applyReceipt?: {
    readonly bytes: Buffer;
    readonly source: string;
    readonly trusted: readonly TrustedKey[];
    /** For a keyless apply receipt: the identities trusted to sign it. */
    readonly identities?: IdentityTrust;
  };
  /** Files the checks read, bound by sha256. */
  readonly files: readonly { readonly path: string; readonly bytes: Buffer }[];
}

/**
 * A validation record (plan 21.03 "Validation" per tier). Its status is `pass` only when at least
 * one check ran and every check passed: an empty record never proves anything. Subjects: the
 * commit (`gitCommit`), the apply receipt (verified under `trusted`) and each file by sha256.
 */
export function validationRecord(req: ValidationRequest): { subject: Subject[]; predicate: ValidationRecordPredicate } {
  if (req.checks.length === 0) throw new ReceiptError('USAGE', 'a validation record needs at least one check');
  const status = req.checks.every((c) => c.status === 'pass') ? 'pass' : 'fail';
  const predicate: ValidationRecordPredicate = {
    kind: PREDICATE_KINDS.validation,
    env: req.env,
    status,
    checks: req.checks,
    repo: req.repo,
    timestamps: { finished: req.at },
  };
  // in-toto needs at least one subject: the commit validated, plus any evidence files given.
  const subject: Subject[] = [{ name: `git+commit:${req.repo.commit}`, digest: { gitCommit: req.repo.commit } }];
  if (req.applyReceipt) subject.push(applyReceiptSubject(req.env, req.applyReceipt));
  for (const f of req.files) subject.push({ name: basename(f.path), digest: { sha256: sha256Hex(f.bytes) } });
  return { subject, predicate };
}

/** The apply receipt validated, once verified and found to be an apply receipt of `env`. */
function applyReceiptSubject(env: Env, r: NonNullable<ValidationRequest['applyReceipt']>): Subject {
  const v = readVerifiedRecord(r.bytes, r.source, r.trusted, r.identities);
  if (v.predicateType !== PREDICATE_TYPES.apply || v.predicate.env !== env) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${r.source}: --apply-receipt is not a ${env} apply receipt (${PREDICATE_TYPES.apply})`,
    );
  }
  return { name: `apply-receipt:${basename(r.source)}`, digest: { sha256: hexOf(v.envelopeDigest) } };
}
