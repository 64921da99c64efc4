import { writeFileExclusive } from '../../../core/files';
import { CommandAbout, OptionSpec, parseCommandArgs, requireOpt } from '../../lib/args';
import { readRecordFile } from '../../lib/records';
import { CommandIo } from '../../lib/types';
import { ENVELOPE } from './shared';

const OPTIONS: OptionSpec = {
  out: { type: 'string', required: true, arg: 'BUNDLE', help: 'bundle file to write; never overwritten' },
  json: { type: 'boolean', help: 'print {digest, out, mediaType} as JSON', default: 'a line for people' },
};

const ABOUT: CommandAbout = {
  summary: 'Write a signed record (DSSE envelope) as a keyed Sigstore bundle v0.3 holding the same envelope.',
  example: 'receipt export-bundle prod.plan.receipt.json --out prod.plan.receipt.sigstore.json',
  exits: '2 when the file is not a DSSE envelope with one keyed signature',
};

/**
 * `kfm receipt export-bundle ENVELOPE --out BUNDLE [--json]`: any kfm record (plan, apply, drift
 * receipt, approval, validation record, promotion manifest from `kfm audit get`) as a bundle that
 * cosign, sigstore-js, sigstore-python and `gh attestation verify` read. The signature is not
 * checked here (`kfm receipt verify` does that, for the envelope and for the bundle alike).
 */
export function exportBundle(io: CommandIo): number {
  const cmd = 'receipt export-bundle';
  const { values: v, positionals } = parseCommandArgs(cmd, io.argv, OPTIONS, ENVELOPE, ABOUT);
  const path = positionals[0]!;
  const out = requireOpt(cmd, v, 'out');
  const envelopeBytes = readRecordFile(path, 'envelope');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const b = require('../../../attest/sigstore/bundle') as typeof import('../../../attest/sigstore/bundle');
  const bytes = b.exportKeyedBundle(envelopeBytes, path);
  writeFileExclusive(out, bytes);
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { sha256Tagged } = require('../../../core/digest') as typeof import('../../../core/digest');
  const digest = sha256Tagged(envelopeBytes);
  if (v.json === true) io.stdout(JSON.stringify({ digest, out, mediaType: b.BUNDLE_MEDIA_TYPE }) + '\n');
  else io.stdout(`bundle ${out} of envelope ${digest}\n`);
  return 0;
}
