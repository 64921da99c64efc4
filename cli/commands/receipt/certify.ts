import { ReceiptError } from '../../../core/errors';
import { readInputFile, refuseExisting, writeFileExclusive } from '../../../core/files';
import { CommandAbout, OptionSpec, parseCommandArgs, requireOpt } from '../../lib/args';
import { CommandIo } from '../../lib/types';
import { keys as keyLib } from './lazy';
import { ENVELOPE, strs } from './shared';

const PUBLIC_GOOD = { fulcio: 'https://fulcio.sigstore.dev', rekor: 'https://rekor.sigstore.dev' };

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
  'fulcio-url': { type: 'string', arg: 'URL', help: 'Fulcio certificate authority', default: PUBLIC_GOOD.fulcio },
  'rekor-url': {
    type: 'string',
    arg: 'URL',
    help: 'Rekor transparency log the signature is logged in',
    default: `${PUBLIC_GOOD.rekor} when no --tsa-url is given`,
  },
  'rekor-api': { type: 'string', arg: '1|2', help: 'Rekor API major version', default: '1' },
  'rekor-entry-type': { type: 'string', arg: 'dsse|intoto', help: 'Rekor v1 entry type', default: 'dsse' },
  'tsa-url': { type: 'string', arg: 'URL', help: 'RFC 3161 timestamp authority', default: 'none' },
  json: { type: 'boolean', help: 'print {digest, out, identity} as JSON', default: 'a line for people' },
};

const ABOUT: CommandAbout = {
  summary:
    "Sign a record keyless: the workflow's OIDC identity gets a Fulcio certificate; logged in Rekor or timestamped.",
  example:
    'receipt certify prod.plan.receipt.json --key $RUNNER_TEMP/kfm/kfm-signing.key --out prod.plan.receipt.sigstore.json',
  exits: '3 when the envelope does not verify under --key or --pub; 4 when Fulcio, Rekor or the TSA fail',
};

function oneOf<T extends string>(cmd: string, flag: string, v: unknown, allowed: readonly T[], dflt: NoInfer<T>): T {
  if (v === undefined) return dflt;
  if (typeof v === 'string' && (allowed as readonly string[]).includes(v)) return v as T;
  throw new ReceiptError('USAGE', `kfm ${cmd}: --${flag} must be one of ${allowed.join(', ')}`);
}

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
  const tsaURL = typeof v['tsa-url'] === 'string' ? v['tsa-url'] : undefined;
  const rekorURL =
    typeof v['rekor-url'] === 'string' ? v['rekor-url'] : tsaURL === undefined ? PUBLIC_GOOD.rekor : undefined;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { certifyEnvelope } =
    require('../../../attest/sigstore/keyless') as typeof import('../../../attest/sigstore/keyless');
  const { CIContextProvider } = require('@sigstore/sign') as typeof import('@sigstore/sign');
  /* eslint-enable @typescript-eslint/no-require-imports */
  const { bytes, digest } = await certifyEnvelope(
    readInputFile(path, 'envelope'),
    path,
    {
      identity: new CIContextProvider('sigstore'),
      fulcioURL: typeof v['fulcio-url'] === 'string' ? v['fulcio-url'] : PUBLIC_GOOD.fulcio,
      rekorURL,
      rekorMajor: oneOf(cmd, 'rekor-api', v['rekor-api'], ['1', '2'], '1') === '2' ? 2 : 1,
      rekorEntryType: oneOf<'dsse' | 'intoto'>(
        cmd,
        'rekor-entry-type',
        v['rekor-entry-type'],
        ['dsse', 'intoto'],
        'dsse',
      ),
      tsaURL,
      key,
    },
    trusted,
  );
  writeFileExclusive(out, bytes);
  io.stdout(v.json === true ? JSON.stringify({ digest, out }) + '\n' : `keyless bundle ${out} ${digest}\n`);
  return 0;
}
