import { readInputFile, refuseExisting, writeFileExclusive } from '../../../core/files';
import { CommandAbout, OptionSpec, parseCommandArgs, requireOpt } from '../../lib/args';
import { keylessOptionsOf, SIGSTORE_SERVICE_OPTS } from '../../lib/keyless';
import { CommandIo } from '../../lib/types';
import { keys as keyLib } from './lazy';
import { ENVELOPE, strs } from './shared';

const OPTIONS: OptionSpec = {
  key: {
    type: 'string',
    help: "the job's own P-256 key that signed the envelope (kfm keygen --alg p256): Fulcio certifies it",
    default: 'a fresh key in memory; then --pub must verify the envelope',
  },
  pub: { type: 'string', multiple: true, help: 'without --key: a trusted key the envelope must verify under first' },
  out: {
    type: 'string',
    required: true,
    arg: 'BUNDLE',
    help: 'keyless bundle to write (the record from now on); never overwritten',
  },
  ...SIGSTORE_SERVICE_OPTS,
  json: { type: 'boolean', help: 'print {digest, out, identity} as JSON', default: 'a line for people' },
};

const ABOUT: CommandAbout = {
  summary:
    "Sign a record keyless: the workflow's OIDC identity gets a Fulcio certificate; logged in Rekor or timestamped.",
  example:
    'receipt certify prod.plan.receipt.json --key $RUNNER_TEMP/kfm/kfm-signing.key --out prod.plan.receipt.sigstore.json',
  exits: '3 when the envelope does not verify under --key or --pub; 4 when Fulcio, Rekor or the TSA fail',
};

/**
 * `kfm receipt certify ENVELOPE --key KEY --out BUNDLE [--fulcio-url URL] [--rekor-url URL]
 *   [--rekor-api 1|2] [--rekor-entry-type dsse|intoto] [--tsa-url URL] [--json]`
 *
 * The identity token comes from GitHub Actions (ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN, given by
 * `permissions: id-token: write`), Buildkite, or SIGSTORE_ID_TOKEN. Any kfm record can be
 * certified; `--key` is a key made for the job (or, without it, a key in memory after the envelope verified
 * under `--pub`), so no long-lived key exists to leak or rotate.
 */
export async function certify(io: CommandIo): Promise<number> {
  const cmd = 'receipt certify';
  const { values: v, positionals } = parseCommandArgs(cmd, io.argv, OPTIONS, ENVELOPE, ABOUT);
  const path = positionals[0]!;
  const out = requireOpt(cmd, v, 'out');
  refuseExisting(out, 'choose another --out', 'a bundle');
  const key = typeof v.key === 'string' ? keyLib().loadSigningKey(v.key) : undefined;
  const trusted = key ? [] : keyLib().requireTrustedKeys(cmd, strs(v, 'pub'));
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { certifyEnvelope } =
    require('../../../attest/sigstore/keyless') as typeof import('../../../attest/sigstore/keyless');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { bytes, digest } = await certifyEnvelope(
    readInputFile(path, 'envelope'),
    path,
    keylessOptionsOf(cmd, v, key),
    trusted,
  );
  writeFileExclusive(out, bytes);
  io.stdout(v.json === true ? JSON.stringify({ digest, out }) + '\n' : `keyless bundle ${out} ${digest}\n`);
  return 0;
}
