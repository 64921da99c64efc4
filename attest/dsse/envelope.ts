import { createHash } from 'node:crypto';
import { isReceiptError, ReceiptError } from '../../core/errors';
import { writeFileExclusive } from '../../core/files';
import { isObject, parseJsonNoEcho, syntaxKind, utf8Text } from '../../core/json';
import { checkJsonShape } from '../../core/json-shape';
import { signBytes, SigningKey, TrustedKey, verifyBytes } from '../sign/ed25519';
import { pae, paeWithRoom } from './pae';

/** The payload type of every envelope this project writes: an in-toto Statement. */
export const IN_TOTO_PAYLOAD_TYPE = 'application/vnd.in-toto+json';

export interface DsseSignature {
  readonly keyid: string;
  readonly sig: string;
}

/** A DSSE envelope (https://github.com/secure-systems-lab/dsse/blob/master/envelope.md). */
export interface DsseEnvelope {
  readonly payloadType: string;
  /** Standard base64 of the payload bytes. */
  readonly payload: string;
  readonly signatures: readonly DsseSignature[];
}

/** Envelopes made here → the base64 text Node wrote for their payload (never escaped by JSON). */
const ENCODED = new WeakMap<DsseEnvelope, string>();

/** Signs `payload` and returns the envelope. */
export function signEnvelope(payloadType: string, payload: Buffer, key: SigningKey): DsseEnvelope {
  return envelopeOf(signedPayload(payloadType, payload, pae(payloadType, payload), key));
}

/**
 * `signEnvelope(payloadType, Buffer.from(text, 'utf8'), key)`, with the text's UTF-8 written once,
 * straight into the bytes that are signed (PAE), and the payload a view of them.
 */
export function signEnvelopeOfText(payloadType: string, text: string, key: SigningKey): DsseEnvelope {
  return envelopeOf(signPayloadOfText(payloadType, [text], key));
}

/**
 * An envelope signed and not yet encoded: its payload is still bytes. `writeEnvelopePieces` hands
 * out the envelope file's bytes from it in pieces, so neither the payload's base64 (9 MB for a 10,000-change
 * receipt) nor the file's bytes are ever whole in memory.
 */
export interface SignedPayload {
  readonly payloadType: string;
  readonly payload: Buffer;
  readonly signatures: readonly DsseSignature[];
}

/**
 * Sign the UTF-8 of `pieces` joined (canonical-json.ts `canonicalJsonPieces`): each piece is
 * written straight into the bytes that are signed (PAE), and the payload is a view of them.
 */
export function signPayloadOfText(payloadType: string, pieces: readonly string[], key: SigningKey): SignedPayload {
  let length = 0;
  for (const p of pieces) length += Buffer.byteLength(p, 'utf8');
  const { message, at } = paeWithRoom(payloadType, length);
  let n = at;
  for (const p of pieces) n += message.write(p, n, 'utf8');
  if (n !== message.length) throw new Error('signPayloadOfText: payload length changed');
  return signedPayload(payloadType, message.subarray(at), message, key);
}

/** `payload` signed: `message` is its PAE encoding. */
function signedPayload(payloadType: string, payload: Buffer, message: Buffer, key: SigningKey): SignedPayload {
  const sig = signBytes(key, message);
  return { payloadType, payload, signatures: [{ keyid: key.keyid, sig: sig.toString('base64') }] };
}

function envelopeOf(s: SignedPayload): DsseEnvelope {
  const env: DsseEnvelope = {
    payloadType: s.payloadType,
    payload: s.payload.toString('base64'),
    signatures: s.signatures,
  };
  ENCODED.set(env, env.payload);
  return env;
}

/** The bytes written to disk for an envelope: fixed key order, two-space indent, trailing newline. */
export function serializeEnvelope(env: DsseEnvelope): string {
  return (
    JSON.stringify(
      {
        payloadType: env.payloadType,
        payload: env.payload,
        signatures: env.signatures.map((s) => ({ keyid: s.keyid, sig: s.sig })),
      },
      null,
      2,
    ) + '\n'
  );
}

const PAYLOAD_FIELD = '"payload": "';

/**
 * `serializeEnvelope(env)` as UTF-8 bytes. For an envelope signEnvelope made (its payload still the
 * base64 text Node wrote, whose characters JSON never escapes) the payload is copied in rather than
 * run through JSON.stringify, which takes about 15 ms on a 10,000-change receipt; same bytes.
 */
export function serializeEnvelopeBytes(env: DsseEnvelope): Buffer {
  if (ENCODED.get(env) !== env.payload) return Buffer.from(serializeEnvelope(env), 'utf8');
  const { head, tail } = envelopeFrame(env.payloadType, env.signatures);
  // One buffer, written in place: the payload (10 MB for a 10,000-change receipt) is copied once.
  const headBytes = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headBytes + env.payload.length + Buffer.byteLength(tail, 'utf8'));
  let n = out.write(head, 0, 'utf8');
  n += out.write(env.payload, n, 'latin1');
  n += out.write(tail, n, 'utf8');
  return n === out.length ? out : out.subarray(0, n);
}

/** The envelope file's text before and after the payload's base64: `serializeEnvelope`'s own. */
function envelopeFrame(payloadType: string, signatures: readonly DsseSignature[]): { head: string; tail: string } {
  const text = serializeEnvelope({ payloadType, payload: '', signatures });
  // The first `"payload": "` is the key: payloadType comes before it, and inside a JSON string
  // every `"` is escaped.
  const at = text.indexOf(PAYLOAD_FIELD) + PAYLOAD_FIELD.length;
  return { head: text.slice(0, at), tail: text.slice(at) };
}

/** Bytes of payload encoded at a time: a multiple of 3 (no padding inside), its base64 64 KiB. */
const BASE64_PIECE = 48 * 1024;
/** Bytes handed to `put` at a time, at most. */
const FILE_PIECE = 1024 * 1024;

/**
 * The bytes `serializeEnvelopeBytes(envelopeOf(signed))` would return, handed to `put` in pieces of
 * at most 1 MiB from one reused buffer (`put` must be done with a piece when it returns). The
 * base64 is made 48 KiB of payload at a time: texts that small live and die in V8's young
 * generation, where a 9 MB text and a 9 MB buffer were fresh memory the kernel had to map.
 */
export function writeEnvelopePieces(signed: SignedPayload, put: (piece: Buffer) => void): void {
  const { head, tail } = envelopeFrame(signed.payloadType, signed.signatures);
  const buf = Buffer.allocUnsafe(FILE_PIECE);
  let used = 0;
  const flush = (): void => {
    if (used > 0) put(buf.subarray(0, used));
    used = 0;
  };
  const text = (t: string): void => {
    const bytes = Buffer.byteLength(t, 'utf8');
    if (bytes > FILE_PIECE - used) {
      flush();
      if (bytes > FILE_PIECE) return put(Buffer.from(t, 'utf8'));
    }
    used += buf.write(t, used, 'utf8');
  };
  const { payload } = signed;
  text(head);
  // base64 is ASCII: one character, one byte.
  for (let i = 0; i < payload.length; i += BASE64_PIECE)
    text(payload.toString('base64', i, Math.min(payload.length, i + BASE64_PIECE)));
  text(tail);
  flush();
}

/**
 * `signed`'s envelope file written to `out` (core/files.ts `writeFileExclusive`: never over an
 * existing file) in pieces, hashed as they are written; returns the file's digest.
 */
export function writeEnvelopeFile(signed: SignedPayload, out: string): { digest: string } {
  const hash = createHash('sha256');
  writeFileExclusive(out, (put) =>
    writeEnvelopePieces(signed, (piece) => {
      hash.update(piece);
      put(piece);
    }),
  );
  return { digest: `sha256:${hash.digest('hex')}` };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * Parse envelope JSON text strictly: exactly the DSSE fields, canonical base64.
 * Throws ENVELOPE_INVALID naming `source` and the field.
 */
export function parseEnvelope(input: string | Buffer, source: string): DsseEnvelope {
  const text = typeof input === 'string' ? input : utf8Text(input, source, 'envelope', 'ENVELOPE_INVALID');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ReceiptError('ENVELOPE_INVALID', `${source}: not JSON (${syntaxKind(e)}); expected a DSSE envelope`);
  }
  // One reading only: a key given twice (JSON.parse keeps the last, other readers the first).
  try {
    checkJsonShape(text, source, 'DSSE envelope', { maxString: Number.MAX_SAFE_INTEGER });
  } catch (e) {
    throw isReceiptError(e) ? new ReceiptError('ENVELOPE_INVALID', e.message) : e;
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new ReceiptError('ENVELOPE_INVALID', `${source}: top level is not an object; expected a DSSE envelope`);
  }
  const o = raw as Record<string, unknown>;
  for (const k of Object.keys(o)) {
    if (k !== 'payloadType' && k !== 'payload' && k !== 'signatures') {
      throw new ReceiptError('ENVELOPE_INVALID', `${source}: field "${k}" is not part of a DSSE envelope`);
    }
  }
  if (typeof o.payloadType !== 'string' || o.payloadType.length === 0) {
    throw new ReceiptError('ENVELOPE_INVALID', `${source}: field "payloadType" missing or not a string`);
  }
  if (typeof o.payload !== 'string' || !BASE64.test(o.payload) || o.payload.length % 4 !== 0) {
    throw new ReceiptError('ENVELOPE_INVALID', `${source}: field "payload" missing or not standard base64`);
  }
  if (Buffer.from(o.payload, 'base64').toString('base64') !== o.payload) {
    throw new ReceiptError('ENVELOPE_INVALID', `${source}: field "payload" is not canonical base64`);
  }
  if (!Array.isArray(o.signatures) || o.signatures.length === 0) {
    throw new ReceiptError('ENVELOPE_INVALID', `${source}: field "signatures" missing or empty`);
  }
  const signatures: DsseSignature[] = o.signatures.map((s, i) => {
    if (typeof s !== 'object' || s === null || Array.isArray(s)) {
      throw new ReceiptError('ENVELOPE_INVALID', `${source}: signatures[${i}] is not an object`);
    }
    const so = s as Record<string, unknown>;
    if (typeof so.sig !== 'string' || so.sig.length === 0 || !BASE64.test(so.sig)) {
      throw new ReceiptError('ENVELOPE_INVALID', `${source}: signatures[${i}].sig missing or not base64`);
    }
    if (so.keyid !== undefined && typeof so.keyid !== 'string') {
      throw new ReceiptError('ENVELOPE_INVALID', `${source}: signatures[${i}].keyid is not a string`);
    }
    return { keyid: (so.keyid as string | undefined) ?? '', sig: so.sig };
  });
  return { payloadType: o.payloadType, payload: o.payload, signatures };
}

/**
 * Verify an envelope against trusted keys. The keyid is advisory: every signature is tried
 * against every trusted key. Returns the trusted key that verified; throws SIGNATURE_INVALID
 * (naming `source`) when none does.
 */
export function verifyEnvelope(env: DsseEnvelope, trusted: readonly TrustedKey[], source: string): TrustedKey {
  if (trusted.length === 0) {
    throw new ReceiptError('KEY_UNTRUSTED', `${source}: no trusted public key given; pass --pub`);
  }
  const message = pae(env.payloadType, Buffer.from(env.payload, 'base64'));
  for (const s of env.signatures) {
    const sig = Buffer.from(s.sig, 'base64');
    for (const key of trusted) {
      if (verifyBytes(key, message, sig)) return key;
    }
  }
  throw new ReceiptError(
    'SIGNATURE_INVALID',
    `${source}: signatures: no signature verifies under the trusted key(s) ${trusted.map((k) => k.source).join(', ')} (tampered payload or wrong key)`,
  );
}

/**
 * The in-toto Statement an envelope carries, as a JSON object: the one way to decode a payload.
 * Checks only that it is one (payloadType, JSON, an object); its fields are the caller's to check.
 * It is not authenticated: verify the envelope first wherever the content is trusted.
 * Throws ENVELOPE_INVALID naming `source`, never quoting the payload.
 */
export function decodeStatementPayload(env: DsseEnvelope, source: string): Record<string, unknown> {
  if (env.payloadType !== IN_TOTO_PAYLOAD_TYPE) {
    throw new ReceiptError('ENVELOPE_INVALID', `${source}: payloadType is not "${IN_TOTO_PAYLOAD_TYPE}"`);
  }
  const raw = parseJsonNoEcho(
    utf8Text(Buffer.from(env.payload, 'base64'), source, 'payload', 'ENVELOPE_INVALID'),
    source,
    'in-toto Statement payload',
    'ENVELOPE_INVALID',
  );
  if (!isObject(raw)) throw new ReceiptError('ENVELOPE_INVALID', `${source}: payload is not a JSON object`);
  return raw;
}
