import { ReceiptError } from '../core/errors';
import {
  decodeStatementPayload,
  IN_TOTO_PAYLOAD_TYPE,
  parseEnvelope,
  serializeEnvelopeBytes,
  signEnvelopeOfText,
  signPayloadOfText,
  verifyEnvelope,
  writeEnvelopeFile,
  DsseEnvelope,
} from './dsse/envelope';
import { canonicalJson, canonicalJsonPieces } from '../core/canonical-json';
import { sha256Tagged } from '../core/digest';
import { isObject } from '../core/json';
import { SigningKey, TrustedKey } from './sign/ed25519';
import { isKnownPredicateType, validatePredicate } from './validate';
import { STATEMENT_TYPE } from './predicate-types';

/** An in-toto DigestSet: `sha256` (hex, no prefix, as in-toto expects) for files, `gitCommit` for a commit. */
export type DigestSet = Readonly<Record<string, string>>;

/** An in-toto ResourceDescriptor: what a statement is about, by name and digest. */
export interface Subject {
  readonly name: string;
  readonly digest: DigestSet;
}

export interface Statement<P = Record<string, unknown>> {
  readonly _type: typeof STATEMENT_TYPE;
  readonly subject: readonly Subject[];
  readonly predicateType: string;
  readonly predicate: P;
}

/** A subject for `bytes` named `name`. */
export function subjectOf(name: string, digestTagged: string): Subject {
  return { name, digest: { sha256: digestTagged.replace(/^sha256:/, '') } };
}

/** `alg:value` pairs of a digest set in algorithm order: sorts and compares subjects. */
function digestKey(d: DigestSet): string {
  return Object.keys(d)
    .sort()
    .map((alg) => `${alg}:${d[alg]}`)
    .join(',');
}

/** Build a Statement (subjects sorted by name then digest, duplicates dropped, for determinism). */
export function buildStatement<P>(subject: readonly Subject[], predicateType: string, predicate: P): Statement<P> {
  const seen = new Set<string>();
  const key = (s: Subject): string => `${s.name}\0${digestKey(s.digest)}`;
  const subs = [...subject]
    .sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0))
    .filter((s) => {
      const k = key(s);
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
  return { _type: STATEMENT_TYPE, subject: subs, predicateType, predicate };
}

/**
 * Sign a Statement: payload = canonical JSON (so same statement + key = same bytes), wrapped in a
 * DSSE envelope. `digest` is `sha256:` over the exact envelope file bytes (`bytes`).
 * Every kfm predicate type has a schema and is validated first (fail closed: nothing is signed otherwise).
 */
export function signStatement(
  statement: Statement<unknown>,
  key: SigningKey,
): { envelope: DsseEnvelope; bytes: Buffer; digest: string } {
  validateKnown(statement);
  const envelope = signEnvelopeOfText(IN_TOTO_PAYLOAD_TYPE, canonicalJson(statement), key);
  const bytes = serializeEnvelopeBytes(envelope);
  return { envelope, bytes, digest: sha256Tagged(bytes) };
}

/**
 * `signStatement(statement, key)`, its envelope file written to `out` (core/files.ts
 * `writeFileExclusive`: never over an existing file) in pieces, hashed as they are written: the
 * same bytes and digest, without the payload's base64 or the file ever whole in memory.
 */
export function writeSignedStatement(statement: Statement<unknown>, key: SigningKey, out: string): { digest: string } {
  validateKnown(statement);
  return writeEnvelopeFile(signPayloadOfText(IN_TOTO_PAYLOAD_TYPE, canonicalJsonPieces(statement), key), out);
}

/** Every kfm predicate type has a schema: its predicate is validated before anything is signed. */
function validateKnown(statement: Statement<unknown>): void {
  if (isKnownPredicateType(statement.predicateType))
    validatePredicate(statement.predicateType, statement.predicate, 'statement being signed');
}

export interface VerifiedStatement {
  readonly statement: Statement;
  readonly predicateType: string;
  readonly predicate: Record<string, unknown>;
  /** `sha256:` of the envelope file bytes as given. */
  readonly envelopeDigest: string;
  /** The trusted key that verified the signature. */
  readonly key: TrustedKey;
}

/**
 * Parse a DSSE envelope, verify it under one of `trusted` (SIGNATURE_INVALID / KEY_UNTRUSTED, exit 3),
 * decode the in-toto Statement and check its shape; predicates of kfm receipt types are validated
 * against their JSON Schema (SCHEMA_INVALID). Errors are one line naming `source` and the field.
 */
export function readVerifiedStatement(
  envelopeBytes: Buffer,
  source: string,
  trusted: readonly TrustedKey[],
): VerifiedStatement {
  if (envelopeBytes.length === 0) throw new ReceiptError('FILE_EMPTY', `${source}: envelope file is empty`);
  const env = parseEnvelope(envelopeBytes, source);
  const key = verifyEnvelope(env, trusted, source);
  const raw = decodeStatementPayload(env, source);
  if (raw._type !== STATEMENT_TYPE)
    throw new ReceiptError('ENVELOPE_INVALID', `${source}: payload _type is not "${STATEMENT_TYPE}"`);
  if (!Array.isArray(raw.subject) || raw.subject.length === 0)
    throw new ReceiptError('ENVELOPE_INVALID', `${source}: payload subject missing or empty`);
  raw.subject.forEach((s, i) => {
    if (!isObject(s) || typeof s.name !== 'string' || !isObject(s.digest) || Object.keys(s.digest).length === 0) {
      throw new ReceiptError('ENVELOPE_INVALID', `${source}: payload subject[${i}] needs a name and a digest`);
    }
  });
  if (typeof raw.predicateType !== 'string' || raw.predicateType === '')
    throw new ReceiptError('ENVELOPE_INVALID', `${source}: payload predicateType missing`);
  if (!isObject(raw.predicate))
    throw new ReceiptError('ENVELOPE_INVALID', `${source}: payload predicate missing or not an object`);
  if (isKnownPredicateType(raw.predicateType)) validatePredicate(raw.predicateType, raw.predicate, source);
  return {
    statement: raw as unknown as Statement,
    predicateType: raw.predicateType,
    predicate: raw.predicate,
    envelopeDigest: sha256Tagged(envelopeBytes),
    key,
  };
}
