import { ReceiptError } from '../../core/errors';
import { basename } from 'node:path';
import { sha256Hex } from '../../core/digest';
import { readInputFile, writeFileExclusive } from '../../core/files';
import { PREDICATE_KINDS, PREDICATE_TYPES } from '../../attest/predicate-types';
import { hexOf, signPipelineStatement } from '../../attest/pipeline-statement';
import { readVerifiedStatement, Subject } from '../../attest/statement';
import { parseCommandArgs, parseEnv, pickVerb, requireOpt } from '../lib/args';
import { eventTime } from '../lib/clock';
import { loadSigningKey, loadTrustedKeys, many } from '../lib/keys';
import { resolveRepo } from '../../receipts/provenance';
import { Command } from '../lib/types';

const CHECK = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})=(pass|fail)$/;

/**
 * `kfm record smoke --env ENV --check NAME=pass|fail... --key KEY --out OUT [--commit SHA]
 *   [--apply-receipt FILE [--pub PUB...]] [--subject FILE...] [--timestamp RFC3339] [--json]`
 *
 * Subjects: the commit (`gitCommit`), the apply receipt validated (`--apply-receipt`, verified
 * under the signing key or a `--pub`) and the sha256 of each `--subject` file (e.g. the state
 * snapshot the checks read).
 *
 * A signed validation record (plan 21.03 "Validation" per tier). Its status is `pass` only when
 * at least one check ran and every check passed: an empty record never proves anything.
 */
export const record: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  pickVerb('record', verb, { smoke: true });
  const cmd = 'record smoke';
  const { values } = parseCommandArgs(
    cmd,
    rest,
    {
      env: { type: 'string', required: true },
      check: {
        type: 'string',
        multiple: true,
        required: true,
        arg: 'NAME=pass|fail',
        help: 'one check and its result',
      },
      key: { type: 'string', required: true },
      out: { type: 'string', required: true },
      commit: { type: 'string', default: 'GITHUB_SHA, else git rev-parse HEAD' },
      subject: { type: 'string', multiple: true, arg: 'FILE', help: 'a file the checks read, bound by sha256' },
      'apply-receipt': { type: 'string', arg: 'FILE', help: 'the apply receipt validated, bound by digest' },
      pub: { type: 'string', multiple: true, arg: 'PUB', help: 'trusted key the apply receipt may be signed by' },
      timestamp: { type: 'string' },
      json: { type: 'boolean' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Sign a validation (smoke test) record: pass only when every check passed.',
      example:
        'record smoke --env stage --check health=pass --check tls=pass --key .kfm/keys/kfm-signing.key --out stage.smoke.json',
    },
  );
  const env = parseEnv(cmd, requireOpt(cmd, values, 'env'));
  const out = requireOpt(cmd, values, 'out');
  const key = loadSigningKey(requireOpt(cmd, values, 'key'));
  const checks = many(values.check).map((c) => {
    const m = CHECK.exec(c);
    if (!m) throw new ReceiptError('USAGE', `kfm ${cmd}: --check "${c}" must be NAME=pass or NAME=fail`);
    return { name: m[1], status: m[2] };
  });
  if (checks.length === 0)
    throw new ReceiptError('USAGE', `kfm ${cmd}: at least one --check NAME=pass|fail is required`);
  const repo = resolveRepo({ commit: values.commit as string | undefined }, io.env, io.cwd);
  if (repo.commit === null) {
    throw new ReceiptError(
      'USAGE',
      `kfm ${cmd}: no commit known: pass --commit SHA (or set GITHUB_SHA, or run inside a git checkout)`,
    );
  }
  const { commit, source } = { commit: repo.commit, source: repo.source };
  const status = checks.every((c) => c.status === 'pass') ? 'pass' : 'fail';
  const predicate = {
    kind: PREDICATE_KINDS.validation,
    env,
    status,
    checks,
    repo: { commit, source },
    timestamps: { finished: eventTime(cmd, values.timestamp as string | undefined, io.env) },
  };
  // in-toto needs at least one subject: the commit validated, plus any evidence files given.
  const subjects: Subject[] = [{ name: `git+commit:${commit}`, digest: { gitCommit: commit } }];
  // The apply receipt this validated: the gates count a smoke record only for the apply it names.
  const applyPath = values['apply-receipt'] as string | undefined;
  if (applyPath !== undefined) {
    const trusted = [
      { publicKey: key.publicKey, keyid: key.keyid, source: `${String(values.key)} (public part)` },
      ...loadTrustedKeys(many(values.pub)),
    ];
    const r = readVerifiedStatement(readInputFile(applyPath, 'apply receipt'), applyPath, trusted);
    if (r.predicateType !== PREDICATE_TYPES.apply || r.predicate.env !== env) {
      throw new ReceiptError(
        'INPUT_INVALID',
        `${applyPath}: --apply-receipt is not a ${env} apply receipt (${PREDICATE_TYPES.apply})`,
      );
    }
    subjects.push({ name: `apply-receipt:${basename(applyPath)}`, digest: { sha256: hexOf(r.envelopeDigest) } });
  }
  for (const f of many(values.subject))
    subjects.push({ name: basename(f), digest: { sha256: sha256Hex(readInputFile(f, 'subject')) } });
  const signed = signPipelineStatement(PREDICATE_TYPES.validation, subjects, predicate, key);
  writeFileExclusive(out, signed.bytes);
  io.stdout(
    values.json ? JSON.stringify({ status, digest: signed.digest, out }) + '\n' : `${status} ${out} ${signed.digest}\n`,
  );
  return 0;
};
