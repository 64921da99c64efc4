/**
 * Sigstore bundles v0.3 (`application/vnd.dev.sigstore.bundle.v0.3+json`) around kfm's DSSE
 * envelopes, so cosign, sigstore-js, sigstore-python and `gh attestation verify` read kfm records.
 *
 * Two kinds, one rule for what the record is:
 * - keyed: `verificationMaterial.publicKey.hint` names the key (it must equal the DSSE `keyid`);
 *   the bundle is a wrapper and the record is the envelope inside it. Unwrapping gives back the
 *   envelope file's exact bytes, so its digest (what approvals, manifests and the ledger bind to)
 *   is the same whether a verb was given the envelope or its bundle.
 * - keyless: a Fulcio certificate plus a Rekor entry or an RFC 3161 timestamp; the bundle itself is
 *   the record (the certificate is part of what is verified), see ./keyless.ts and ./identity.ts.
 *
 * The bundle JSON is made and read by `@sigstore/bundle` (its own validation), never by hand.
 */
import type { Bundle } from '@sigstore/bundle';
import { isReceiptError, ReceiptError } from '../../core/errors';
import { utf8Text } from '../../core/json';
import { checkJsonShape } from '../../core/json-shape';
import { DsseEnvelope, parseEnvelope, serializeEnvelopeBytes } from '../dsse/envelope';

/** The media type kfm writes (the v0.3 name every current Sigstore client reads). */
export const BUNDLE_MEDIA_TYPE = 'application/vnd.dev.sigstore.bundle.v0.3+json';
/** Media types kfm reads: v0.3 under its current and its legacy name. Older bundles are refused. */
const READ_MEDIA_TYPES: ReadonlySet<string> = new Set([
  BUNDLE_MEDIA_TYPE,
  'application/vnd.dev.sigstore.bundle+json;version=0.3',
]);

/* eslint-disable @typescript-eslint/no-require-imports */
const sigstoreBundle = (): typeof import('@sigstore/bundle') => require('@sigstore/bundle');
/* eslint-enable @typescript-eslint/no-require-imports */

/** A bundle kfm read: its kind, the DSSE envelope inside, and the parsed bundle for a verifier. */
export interface ReadBundle {
  readonly kind: 'keyed' | 'keyless';
  readonly envelope: DsseEnvelope;
  readonly bundle: Bundle;
}

/**
 * The keyed bundle of a kfm envelope: the same payload, payloadType, signature and keyid, with the
 * keyid as the public-key hint and no log entry or timestamp (offline signing logs nothing).
 */
export function keyedBundleOf(env: DsseEnvelope, source: string): Bundle {
  if (env.signatures.length !== 1) {
    throw new ReceiptError(
      'ENVELOPE_INVALID',
      `${source}: ${env.signatures.length} signatures; a Sigstore bundle holds exactly one`,
    );
  }
  const s = env.signatures[0]!;
  if (s.keyid === '') {
    throw new ReceiptError(
      'ENVELOPE_INVALID',
      `${source}: signatures[0].keyid is empty; a keyed bundle needs it as its key hint`,
    );
  }
  return sigstoreBundle().toDSSEBundle({
    artifact: Buffer.from(env.payload, 'base64'),
    artifactType: env.payloadType,
    signature: Buffer.from(s.sig, 'base64'),
    keyHint: s.keyid,
  });
}

/** The bytes written for a bundle: the Sigstore JSON form, two-space indent, trailing newline. */
export function serializeBundle(bundle: Bundle): Buffer {
  return Buffer.from(JSON.stringify(sigstoreBundle().bundleToJSON(bundle), null, 2) + '\n', 'utf8');
}

/** The keyed bundle file of envelope file bytes (what `--bundle` and `receipt export-bundle` write). */
export function exportKeyedBundle(envelopeBytes: Buffer, source: string): Buffer {
  return serializeBundle(keyedBundleOf(parseEnvelope(envelopeBytes, source), source));
}

/**
 * The media type of JSON text when it is an object with a string `mediaType` naming a Sigstore
 * bundle; undefined for anything else (a DSSE envelope has no `mediaType`). Cheap: looks at the
 * start of the text before parsing.
 */
export function bundleMediaType(text: string): string | undefined {
  if (!/"mediaType"\s*:\s*"application\/vnd\.dev\.sigstore\.bundle/.test(text.slice(0, 4096))) return undefined;
  try {
    const o = JSON.parse(text) as unknown;
    if (typeof o === 'object' && o !== null && !Array.isArray(o)) {
      const m = (o as Record<string, unknown>).mediaType;
      return typeof m === 'string' ? m : undefined;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Read a Sigstore bundle holding a DSSE envelope. Throws ENVELOPE_INVALID naming `source` when it
 * is not a v0.3 bundle, holds a message signature, or (keyed) its key hint differs from the DSSE keyid.
 */
export function readBundle(input: string | Buffer, source: string): ReadBundle {
  const text = typeof input === 'string' ? input : utf8Text(input, source, 'Sigstore bundle', 'ENVELOPE_INVALID');
  const mediaType = bundleMediaType(text);
  if (mediaType === undefined || !READ_MEDIA_TYPES.has(mediaType)) {
    throw new ReceiptError(
      'ENVELOPE_INVALID',
      `${source}: mediaType ${JSON.stringify(mediaType ?? null)} is not a Sigstore bundle v0.3 (${BUNDLE_MEDIA_TYPE})`,
    );
  }
  // One reading only: a key given twice (JSON.parse keeps the last, other readers the first).
  try {
    checkJsonShape(text, source, 'Sigstore bundle', { maxString: Number.MAX_SAFE_INTEGER });
  } catch (e) {
    throw isReceiptError(e) ? new ReceiptError('ENVELOPE_INVALID', e.message) : e;
  }
  let bundle: Bundle;
  try {
    bundle = sigstoreBundle().bundleFromJSON(JSON.parse(text));
  } catch (e) {
    const fields = (e as { fields?: unknown }).fields;
    throw new ReceiptError(
      'ENVELOPE_INVALID',
      `${source}: not a valid Sigstore bundle${Array.isArray(fields) ? ` (fields ${fields.join(', ')})` : ''}`,
    );
  }
  if (bundle.content.$case !== 'dsseEnvelope') {
    throw new ReceiptError('ENVELOPE_INVALID', `${source}: bundle holds a message signature; expected a DSSE envelope`);
  }
  const d = bundle.content.dsseEnvelope;
  const envelope = parseEnvelope(
    JSON.stringify({
      payloadType: d.payloadType,
      payload: Buffer.from(d.payload).toString('base64'),
      signatures: d.signatures.map((s) => ({ keyid: s.keyid, sig: Buffer.from(s.sig).toString('base64') })),
    }),
    `${source}: dsseEnvelope`,
  );
  if (envelope.signatures.length !== 1) {
    throw new ReceiptError(
      'ENVELOPE_INVALID',
      `${source}: dsseEnvelope has ${envelope.signatures.length} signatures; expected 1`,
    );
  }
  const key = bundle.verificationMaterial.content;
  if (key.$case === 'publicKey') {
    if (key.publicKey.hint !== envelope.signatures[0]!.keyid) {
      throw new ReceiptError(
        'ENVELOPE_INVALID',
        `${source}: verificationMaterial.publicKey.hint does not equal the DSSE keyid (a keyed bundle names its key once)`,
      );
    }
    return { kind: 'keyed', envelope, bundle };
  }
  return { kind: 'keyless', envelope, bundle };
}

/**
 * What a verb reads when given a file that may be an envelope or a bundle: a keyed bundle becomes
 * the exact bytes of the envelope inside (same digest as the envelope file); an envelope and a
 * keyless bundle (which is itself the record) are returned as given.
 */
export function recordBytes(bytes: Buffer, source: string): Buffer {
  const text = bytes.toString('utf8');
  if (bundleMediaType(text) === undefined) return bytes;
  const read = readBundle(bytes, source);
  return read.kind === 'keyed' ? serializeEnvelopeBytes(read.envelope) : bytes;
}
