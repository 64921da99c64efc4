import { readInputFile, writeFileExclusive } from '../../core/files';
import type { FlagSpec } from './args';

/* eslint-disable @typescript-eslint/no-require-imports */
const bundles = (): typeof import('../../attest/sigstore/bundle') => require('../../attest/sigstore/bundle');
/* eslint-enable @typescript-eslint/no-require-imports */

/** `--bundle FILE` of every verb that writes a signed record: the same envelope as a Sigstore bundle v0.3. */
export const BUNDLE_OPT = {
  bundle: {
    type: 'string',
    arg: 'FILE',
    help: 'also write the record as a Sigstore bundle v0.3 (same DSSE envelope; cosign, sigstore-js and gh read it); never overwritten',
    default: 'no bundle',
  },
} as const satisfies Record<string, FlagSpec>;

/**
 * A signed record named on the command line, as the envelope bytes the verbs work on: a DSSE
 * envelope as is, a keyed Sigstore bundle as the exact envelope inside (same digest), a keyless
 * bundle as is (the bundle is the record). Detected by the bundle's `mediaType`.
 */
export function readRecordFile(path: string, what: string): Buffer {
  const bytes = readInputFile(path, what);
  return bundles().recordBytes(bytes, path);
}

/** True for a keyless Sigstore bundle (checked as one: v0.3, a DSSE envelope inside); false for anything else. */
export function isKeylessBundle(bytes: Buffer, source: string): boolean {
  const b = bundles();
  const text = bytes.toString('utf8');
  return b.bundleMediaType(text) !== undefined && b.readBundle(bytes, source).kind === 'keyless';
}

/** Write `--bundle FILE` when given: the keyed bundle of `envelopeBytes` (already written to `out`). */
export function writeBundleOption(values: Record<string, unknown>, envelopeBytes: Buffer | string, out: string): void {
  const file = values.bundle;
  if (typeof file !== 'string') return;
  writeFileExclusive(file, bundles().exportKeyedBundle(Buffer.from(envelopeBytes), out));
}
