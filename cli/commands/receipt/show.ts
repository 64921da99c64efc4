import { ReceiptError } from '../../../core/errors';
import { readInputFile } from '../../../core/files';
import { CommandAbout, OptionSpec, parseCommandArgs } from '../../lib/args';
import { IDENTITY_OPTS, loadIdentityTrust, SIGNER_PUB_OPT } from '../../lib/identity-trust';
import { CommandIo } from '../../lib/types';
import { constructPathsOf, markdown, renderJsonOf } from './lazy';
import { ENVELOPE, readVerifiedArg, str } from './shared';

const OPTIONS: OptionSpec = {
  ...SIGNER_PUB_OPT,
  ...IDENTITY_OPTS,
  format: { type: 'string', arg: 'markdown|json', help: 'markdown (the PR comment) or JSON', default: 'markdown' },
  'max-chars': { type: 'string', arg: 'N', help: 'longest output (>= 200)', default: '65536 (a GitHub comment)' },
  synth: {
    type: 'string',
    help: 'show construct paths from this synthesized stack beside addresses',
    default: 'addresses only',
  },
  'full-link': {
    type: 'string',
    arg: 'URL',
    help: 'where the full rendering is, linked when folded',
    default: 'none',
  },
  'report-link': { type: 'string', arg: 'URL', help: 'where the HTML evidence report is, linked', default: 'none' },
};

const ABOUT: CommandAbout = {
  summary: 'Render a verified receipt for a reviewer: destructive changes first, within --max-chars.',
  example: 'receipt show dev.plan.receipt.json --pub keys/kfm-ci.pub --synth cdktf.out/stacks/dev/cdk.tf.json',
  exits: '3 when no trusted key verifies it, or (keyless) the Sigstore checks fail or no trusted identity may sign it',
};

export function show(io: CommandIo): number {
  const cmd = 'receipt show';
  const { values: v, positionals } = parseCommandArgs(cmd, io.argv, OPTIONS, ENVELOPE, ABOUT);
  const format = str(v, 'format') ?? 'markdown';
  if (format !== 'markdown' && format !== 'json')
    throw new ReceiptError('USAGE', `kfm ${cmd}: --format must be markdown or json`);
  const mc = str(v, 'max-chars');
  const maxChars = mc === undefined ? markdown().DEFAULT_MAX_CHARS : Number(mc);
  if (!Number.isInteger(maxChars) || maxChars < 200)
    throw new ReceiptError('USAGE', `kfm ${cmd}: --max-chars must be an integer >= 200`);
  const { path, r } = readVerifiedArg(cmd, v, positionals, loadIdentityTrust(cmd, v));
  // A keyless record shows who signed it and as what it is trusted; a keyed one, its key id (as before).
  const signer = r.signedBy.kind === 'identity' ? r.signedBy : undefined;
  const synth = str(v, 'synth');
  const constructPaths = synth
    ? constructPathsOf().parseConstructPaths(readInputFile(synth, 'synthesized stack JSON'), synth)
    : undefined;
  io.stdout(
    format === 'json'
      ? renderJsonOf().renderJson(r, path, maxChars, signer)
      : markdown().renderMarkdown(r, path, {
          maxChars,
          constructPaths,
          fullLink: str(v, 'full-link'),
          reportLink: str(v, 'report-link'),
          signer,
        }),
  );
  return 0;
}
