import { basename } from 'node:path';
import { ReceiptError } from '../../../core/errors';
import { readInputFile, writeFileExclusive } from '../../../core/files';
import type { AuthorInfo, ReceiptContext } from '../../../receipts/plan/build-plan-receipt';
import type { CommitmentKey } from '../../../receipts/redact/commitment';
import type { SigningKey, TrustedKey } from '../../../attest/sign/ed25519';
import { PREDICATE_TYPES } from '../../../attest/predicate-types';
import type { Statement, Subject } from '../../../attest/statement';
import { OptionSpec, parseEnv, requireOpt } from '../../lib/args';
import { CommandIo } from '../../lib/types';
import { BUNDLE_OPT, readRecordFile, writeBundleOption } from '../../lib/records';
import { commitments, ed25519, keys, provenance, signers, statements } from './lazy';
import type { IdentityTrust } from '../../../attest/sigstore/trusted-signer';

/** What the receipt verbs share: flags, the signing context, and signing and printing a receipt. */

export const PROVENANCE: OptionSpec = {
  commit: { type: 'string', default: 'GITHUB_SHA, else git rev-parse HEAD' },
  branch: { type: 'string' },
  actor: { type: 'string' },
  method: { type: 'string' },
};
export const WRITE: OptionSpec = {
  env: { type: 'string', required: true },
  key: { type: 'string', required: true },
  out: { type: 'string', required: true, help: 'receipt file to write; never overwritten', arg: 'RECEIPT' },
  json: { type: 'boolean', help: 'print {summary, digest, out} as JSON', default: 'a summary line' },
  'commitment-key': { type: 'string' },
  ...BUNDLE_OPT,
};

export type Values = Record<string, unknown>;
export const str = (v: Values, k: string): string | undefined =>
  typeof v[k] === 'string' ? (v[k] as string) : undefined;
export const strs = (v: Values, k: string): string[] =>
  Array.isArray(v[k]) ? (v[k] as string[]) : typeof v[k] === 'string' ? [v[k] as string] : [];

/** The signing key's own public part and every --pub: what a receipt named as input must verify under. */
export function selfAndPubs(cmd: string, v: Values, signing: SigningKey): TrustedKey[] {
  return [
    ed25519().trustedKeyOf(signing, `${requireOpt(cmd, v, 'key')} (public part)`),
    ...keys().loadTrustedKeys(strs(v, 'pub')),
  ];
}

/**
 * The commitment key: `--commitment-key FILE` (>= 32 random bytes; raw, hex or base64), else
 * derived from the signing key by HKDF-SHA256 with a kfm domain label (see redact/commitment.ts).
 */
function loadCommitmentKey(v: Values, signing: SigningKey): CommitmentKey {
  const f = str(v, 'commitment-key');
  return f
    ? commitments().parseCommitmentKey(readInputFile(f, 'commitment key'), f)
    : commitments().deriveCommitmentKey(signing.privateKey);
}

export function context(cmd: string, v: Values, io: CommandIo, signing: SigningKey): ReceiptContext {
  const env = parseEnv(cmd, requireOpt(cmd, v, 'env'));
  return {
    env,
    repo: provenance().resolveRepo({ commit: str(v, 'commit'), branch: str(v, 'branch') }, io.env, io.cwd),
    actor: provenance().resolveActor({ actor: str(v, 'actor'), method: str(v, 'method') }, io.env),
    commitmentKey: loadCommitmentKey(v, signing),
  };
}

/** A login, optionally a bot's (`name[bot]`, which never approves). */
const LOGIN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(\[bot\])?$/;

/** `--author LOGIN`: the change's author; empty or absent is unknown (the prod gate then refuses approval). */
export function authorOf(cmd: string, author: string | undefined): AuthorInfo {
  if (author === undefined || author === '') return { principal: null, source: 'unknown' };
  if (!LOGIN.test(author))
    throw new ReceiptError('USAGE', `kfm ${cmd}: --author is not a login (letters, digits, . _ -; optional [bot])`);
  return { principal: author, source: 'flag' };
}

/**
 * `--apply-receipt FILE`: the apply receipt a record checked, verified under the signing key or
 * any --pub; returned as an in-toto subject (its envelope digest) that binds the record to it.
 */
export function applyReceiptSubject(
  cmd: string,
  path: string,
  trusted: TrustedKey[],
  env: string,
  identities?: IdentityTrust,
): Subject {
  const r = signers().readVerifiedRecord(readRecordFile(path, 'apply receipt'), path, trusted, identities);
  if (r.predicateType !== PREDICATE_TYPES.apply)
    throw new ReceiptError(
      'INPUT_INVALID',
      `${path}: --apply-receipt is not an apply receipt (${PREDICATE_TYPES.apply})`,
    );
  if (r.predicate.env !== env)
    throw new ReceiptError(
      'INPUT_INVALID',
      `${path}: --apply-receipt is for env "${String(r.predicate.env)}", not ${env}`,
    );
  return statements().subjectOf(`apply-receipt:${basename(path)}`, r.envelopeDigest);
}

export function emit(
  io: CommandIo,
  v: Values,
  statement: Statement<unknown>,
  signing: SigningKey,
  out: string,
  human: string,
): number {
  let digest: string;
  if (typeof v.bundle === 'string') {
    // The bundle wraps the same envelope bytes: they are kept whole for it.
    const signed = statements().signStatement(statement, signing);
    writeFileExclusive(out, signed.bytes);
    writeBundleOption(v, signed.bytes, out);
    digest = signed.digest;
  } else digest = statements().writeSignedStatement(statement, signing, out).digest;
  const summary = (statement.predicate as { summary: unknown }).summary;
  if (v.json === true) io.stdout(JSON.stringify({ summary, digest, out }) + '\n');
  else io.stdout(`${human}\nreceipt ${out} ${digest}\n`);
  return 0;
}

/** The envelope positional of `verify` and `show`. */
export const ENVELOPE = { min: 1, max: 1, names: 'ENVELOPE' };

/**
 * The receipt named by the positional, verified under every --pub (at least one without identity
 * trust) or, a keyless bundle, under the trusted root and an identity trusted for it.
 */
export function readVerifiedArg(cmd: string, v: Values, positionals: readonly string[], identities?: IdentityTrust) {
  const trusted = identities ? keys().loadTrustedKeys(strs(v, 'pub')) : keys().requireTrustedKeys(cmd, strs(v, 'pub'));
  const path = positionals[0]!;
  return { path, r: signers().readVerifiedRecord(readRecordFile(path, 'envelope'), path, trusted, identities) };
}
