import { ReceiptError } from '../../core/errors';
import { readInputFile, writeFileExclusive } from '../../core/files';
import { PREDICATE_TYPES } from '../../attest/predicate-types';
import { signPipelineStatement } from '../../attest/pipeline-statement';
import { validationRecord } from '../../gates/validation-record';
import { NO_POSITIONALS, parseCommandArgs, parseEnv, pickVerb, requireOpt, SIGNED_OUTPUT_OPTS } from '../lib/args';
import { eventTime } from '../lib/clock';
import { loadSigningKey, loadTrustedKeys, many } from '../lib/keys';
import { trustedKeyOf } from '../../attest/sign/ed25519';
import { resolveRepo } from '../../receipts/provenance';
import { IDENTITY_OPTS, loadIdentityTrust } from '../lib/identity-trust';
import { BUNDLE_OPT, readRecordFile, writeBundleOption } from '../lib/records';
import { Command } from '../lib/types';

const CHECK = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,63})=(pass|fail)$/;

const OPTIONS = {
  env: { type: 'string', required: true },
  check: { type: 'string', multiple: true, required: true, arg: 'NAME=pass|fail', help: 'one check and its result' },
  ...SIGNED_OUTPUT_OPTS,
  ...BUNDLE_OPT,
  commit: { type: 'string', default: 'GITHUB_SHA, else git rev-parse HEAD' },
  subject: { type: 'string', multiple: true, arg: 'FILE', help: 'a file the checks read, bound by sha256' },
  'apply-receipt': { type: 'string', arg: 'FILE', help: 'the apply receipt validated, bound by digest' },
  pub: { type: 'string', multiple: true, arg: 'PUB', help: 'trusted key the apply receipt may be signed by' },
  ...IDENTITY_OPTS,
} as const;

/**
 * `kfm record smoke --env ENV --check NAME=pass|fail... --key KEY --out OUT [--commit SHA]
 *   [--apply-receipt FILE [--pub PUB...]] [--subject FILE...] [--timestamp RFC3339] [--json]`
 *
 * A signed validation record (gates/validation-record.ts): `pass` only when every check passed.
 * The apply receipt is verified under the signing key or a `--pub`.
 */
export const record: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  pickVerb('record', verb, { smoke: true });
  const cmd = 'record smoke';
  const { values } = parseCommandArgs(cmd, rest, OPTIONS, NO_POSITIONALS, {
    summary: 'Sign a validation (smoke test) record: pass only when every check passed.',
    example:
      'record smoke --env stage --check health=pass --check tls=pass --key .kfm/keys/kfm-signing.key --out stage.smoke.json',
  });
  const env = parseEnv(cmd, requireOpt(cmd, values, 'env'));
  const out = requireOpt(cmd, values, 'out');
  const key = loadSigningKey(requireOpt(cmd, values, 'key'));
  const checks = many(values.check).map((c) => {
    const m = CHECK.exec(c);
    if (!m) throw new ReceiptError('USAGE', `kfm ${cmd}: --check "${c}" must be NAME=pass or NAME=fail`);
    return { name: m[1]!, status: m[2] as 'pass' | 'fail' };
  });
  if (checks.length === 0)
    throw new ReceiptError('USAGE', `kfm ${cmd}: at least one --check NAME=pass|fail is required`);
  const { commit, source } = resolveRepo({ commit: values.commit as string | undefined }, io.env, io.cwd);
  if (commit === null) {
    throw new ReceiptError(
      'USAGE',
      `kfm ${cmd}: no commit known: pass --commit SHA (or set GITHUB_SHA, or run inside a git checkout)`,
    );
  }
  const applyPath = values['apply-receipt'] as string | undefined;
  // The apply receipt may be signed by this key or a --pub.
  const trusted = () => [
    trustedKeyOf(key, `${String(values.key)} (public part)`),
    ...loadTrustedKeys(many(values.pub)),
  ];
  const r = validationRecord({
    env,
    checks,
    repo: { commit, source },
    at: eventTime(cmd, values.timestamp as string | undefined, io.env),
    applyReceipt:
      applyPath === undefined
        ? undefined
        : {
            bytes: readRecordFile(applyPath, 'apply receipt'),
            source: applyPath,
            trusted: trusted(),
            identities: loadIdentityTrust(cmd, values),
          },
    files: many(values.subject).map((f) => ({ path: f, bytes: readInputFile(f, 'subject') })),
  });
  const signed = signPipelineStatement(PREDICATE_TYPES.validation, r.subject, r.predicate, key);
  writeFileExclusive(out, signed.bytes);
  writeBundleOption(values, signed.bytes, out);
  const { status } = r.predicate;
  io.stdout(
    values.json ? JSON.stringify({ status, digest: signed.digest, out }) + '\n' : `${status} ${out} ${signed.digest}\n`,
  );
  return 0;
};
