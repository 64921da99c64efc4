import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pae, paeWithRoom } from '../../attest/dsse/pae';
import {
  decodeStatementPayload,
  DsseEnvelope,
  IN_TOTO_PAYLOAD_TYPE,
  parseEnvelope,
  serializeEnvelope,
  serializeEnvelopeBytes,
  signEnvelope,
  signEnvelopeOfText,
} from '../../attest/dsse/envelope';
import { isReceiptError, ReceiptError } from '../../core/errors';
import { canonicalJson } from '../../core/canonical-json';
import { sha256Tagged } from '../../core/digest';
import { buildPlanStatement } from '../../receipts/plan/build-plan-receipt';
import { parsePlanDocument } from '../../terraform/plan';
import { deriveCommitmentKey } from '../../receipts/redact/commitment';
import { keyIdOf, SigningKey, verifyBytes } from '../../attest/sign/ed25519';
import { buildStatement, readVerifiedStatement, signStatement, writeSignedStatement } from '../../attest/statement';
import { TF } from '../receipts/helpers';
import { PREDICATE_TYPES } from '../../attest/predicate-types';

function key(): {
  signing: SigningKey;
  trusted: { publicKey: SigningKey['publicKey']; keyid: string; source: string };
} {
  const kp = generateKeyPairSync('ed25519');
  const keyid = keyIdOf(kp.publicKey);
  return {
    signing: { privateKey: kp.privateKey, publicKey: kp.publicKey, keyid },
    trusted: { publicKey: kp.publicKey, keyid, source: 'test.pub' },
  };
}

function errorOf(f: () => unknown): ReceiptError {
  try {
    f();
  } catch (e) {
    if (isReceiptError(e)) return e;
    throw e;
  }
  throw new Error('expected a ReceiptError');
}

describe('DSSE PAE', () => {
  it('encodes the DSSE spec example exactly', () => {
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString('latin1')).toBe(
      'DSSEv1 29 http://example.com/HelloWorld 11 hello world',
    );
  });
  it('counts a non-ASCII payload type in UTF-8 bytes', () => {
    const b = pae('application/vnd.ü+json', Buffer.from([0, 255]));
    expect(
      b.equals(
        Buffer.concat([
          Buffer.from('DSSEv1 23 application/vnd.'),
          Buffer.from([0xc3, 0xbc]),
          Buffer.from('+json 2 '),
          Buffer.from([0, 255]),
        ]),
      ),
    ).toBe(true);
  });
  it('encodes an empty payload with length 0', () => {
    expect(pae('t', Buffer.alloc(0)).toString()).toBe('DSSEv1 1 t 0 ');
  });
  it.each(['', 'hello world', '{"a":"ü €𝄞"}'])(
    'leaves room for a body written in place, same bytes as pae (%j)',
    (body) => {
      for (const type of ['http://example.com/HelloWorld', 'application/vnd.ü+json']) {
        const bytes = Buffer.from(body, 'utf8');
        const { message, at } = paeWithRoom(type, bytes.length);
        bytes.copy(message, at);
        expect(message.equals(pae(type, bytes))).toBe(true);
      }
    },
  );
});

describe('signing a payload given as text', () => {
  it.each(['{"a":1}', '{"a":"ü €𝄞"}', ''])('gives the envelope signEnvelope gives for its UTF-8 (%j)', (text) => {
    const { signing } = key();
    const fromText = signEnvelopeOfText(IN_TOTO_PAYLOAD_TYPE, text, signing);
    const fromBytes = signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(text, 'utf8'), signing);
    expect(fromText).toEqual(fromBytes);
    expect(serializeEnvelopeBytes(fromText).equals(serializeEnvelopeBytes(fromBytes))).toBe(true);
  });
});

describe('signed statements', () => {
  const { signing, trusted } = key();
  const planPath = join(TF, 'generated-tf1.11.4', 'lifecycle', '2-change.show-plan.json');
  const bytes = readFileSync(planPath);
  const ctx = {
    env: 'prod',
    repo: { commit: 'abcdef1', branch: 'main', source: 'flag' as const, branch_source: 'flag' as const },
    actor: { principal: 'a', method: 'ci' as const, source: 'flag' as const },
    commitmentKey: deriveCommitmentKey(signing.privateKey),
  };
  const st = buildPlanStatement(
    parsePlanDocument(bytes, planPath),
    planPath,
    { planJsonName: 'plan.json', planJsonDigest: sha256Tagged(bytes) },
    ctx,
    null,
  );
  const signed = signStatement(st, signing);

  it('round-trips: the envelope verifies and decodes to the same statement', () => {
    const v = readVerifiedStatement(signed.bytes, 'r.json', [trusted]);
    expect(canonicalJson(v.statement)).toBe(canonicalJson(st));
    expect(v.envelopeDigest).toBe(signed.digest);
    expect(v.envelopeDigest).toBe(sha256Tagged(signed.bytes));
  });

  it('is deterministic: same statement and key give byte-identical envelopes', () => {
    expect(signStatement(st, signing).bytes.equals(signed.bytes)).toBe(true);
  });

  it('verifies with nothing but node:crypto and the DSSE spec (no kfm code)', () => {
    const env = JSON.parse(signed.bytes.toString());
    const payload = Buffer.from(env.payload, 'base64');
    const m = Buffer.concat([
      Buffer.from(`DSSEv1 ${Buffer.byteLength(env.payloadType)} ${env.payloadType} ${payload.length} `),
      payload,
    ]);
    expect(verifyBytes(trusted.publicKey, m, Buffer.from(env.signatures[0].sig, 'base64'))).toBe(true);
    expect(JSON.parse(payload.toString())._type).toBe('https://in-toto.io/Statement/v1');
  });

  it('rejects every single-bit flip of every payload byte with a signature error (exit 3)', () => {
    const env = JSON.parse(signed.bytes.toString());
    const payload = Buffer.from(env.payload, 'base64');
    let rejected = 0;
    for (let i = 0; i < payload.length; i++) {
      const p = Buffer.from(payload);
      p[i] = p[i]! ^ (1 << i % 8);
      const tampered = Buffer.from(JSON.stringify({ ...env, payload: p.toString('base64') }));
      const e = errorOf(() => readVerifiedStatement(tampered, 't.json', [trusted]));
      expect(e.code).toBe('SIGNATURE_INVALID');
      expect(e.exitCode).toBe(3);
      rejected++;
    }
    expect(rejected).toBe(payload.length);
  });

  it('rejects every flipped signature byte', () => {
    const env = JSON.parse(signed.bytes.toString());
    const sig = Buffer.from(env.signatures[0].sig, 'base64');
    for (let i = 0; i < sig.length; i++) {
      const s = Buffer.from(sig);
      s[i] = s[i]! ^ 0x01;
      const tampered = Buffer.from(
        JSON.stringify({ ...env, signatures: [{ keyid: env.signatures[0].keyid, sig: s.toString('base64') }] }),
      );
      expect(errorOf(() => readVerifiedStatement(tampered, 't.json', [trusted])).exitCode).toBe(3);
    }
  });

  it('rejects a wrong key with SIGNATURE_INVALID naming the file', () => {
    const other = key();
    const e = errorOf(() => readVerifiedStatement(signed.bytes, 'r.json', [other.trusted]));
    expect(e.code).toBe('SIGNATURE_INVALID');
    expect(e.message).toMatch(/^r\.json: signatures:/);
  });

  it('refuses to sign a predicate that breaks its schema', () => {
    const bad = buildStatement(st.subject, st.predicateType, { ...st.predicate, env: 'qa' });
    const e = errorOf(() => signStatement(bad, signing));
    expect(e.code).toBe('SCHEMA_INVALID');
    expect(e.message).toMatch(/predicate\.env/);
  });

  it('rejects a validly signed statement whose predicate breaks the schema', () => {
    const bad = { ...st, predicate: { ...st.predicate, summary: { add: -1 } } };
    const { signEnvelope, serializeEnvelope } = require('../../attest/dsse/envelope');
    const bytes = Buffer.from(
      serializeEnvelope(signEnvelope('application/vnd.in-toto+json', Buffer.from(canonicalJson(bad)), signing)),
    );
    expect(errorOf(() => readVerifiedStatement(bytes, 'b.json', [trusted])).code).toBe('SCHEMA_INVALID');
  });
});

describe('envelope bytes', () => {
  const { signing } = key();
  const types = [IN_TOTO_PAYLOAD_TYPE, 'x', 'a "payload": "b', 'type with \\ and \u2028 and ü', '"payload": ""'];
  const payloads = [Buffer.alloc(0), Buffer.from('{"a":1}'), Buffer.from([0, 255, 254, 34, 92, 10])];

  it('are the UTF-8 of serializeEnvelope for every envelope signEnvelope makes', () => {
    for (const t of types)
      for (const p of payloads) {
        const env = signEnvelope(t, p, signing);
        expect(serializeEnvelopeBytes(env).equals(Buffer.from(serializeEnvelope(env), 'utf8'))).toBe(true);
      }
  });

  it('are the UTF-8 of serializeEnvelope for an envelope made elsewhere or changed after signing', () => {
    const made = signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from('{}'), signing);
    const others: DsseEnvelope[] = [
      { ...made },
      { ...made, payload: 'not "base64" \\ ü\n' },
      { payloadType: 'p', payload: 'e30=', signatures: [] },
    ];
    for (const env of others)
      expect(serializeEnvelopeBytes(env).equals(Buffer.from(serializeEnvelope(env), 'utf8'))).toBe(true);
  });
});

describe('a signed statement written to its file in pieces', () => {
  const { signing } = key();
  const dir = mkdtempSync(join(tmpdir(), 'kfm-written-'));
  // Payload sizes around the 48 KiB base64 step and past the 1 MiB write step, ASCII and not.
  const fills = [0, 1, 49_000, 49_152, 49_200, 98_304, 1_100_000, 1_600_000].flatMap((n) => [
    'x'.repeat(n),
    'ü€𝄞"\\\n'.repeat(Math.ceil(n / 10)),
  ]);

  it.each(fills.map((f, i) => [i, f.length, f]))(
    'gives the bytes and digest signStatement gives (#%i, %i characters)',
    (i, _n, fill) => {
      const st = buildStatement([{ name: 'f', digest: { sha256: 'ab' } }], 'https://example.com/t', { fill });
      const out = join(dir, `r${i}.json`);
      const { digest } = writeSignedStatement(st, signing, out);
      const whole = signStatement(st, signing);
      expect(readFileSync(out).equals(whole.bytes)).toBe(true);
      expect(digest).toBe(whole.digest);
    },
  );

  it('refuses a predicate that breaks its schema and writes nothing', () => {
    const st = buildStatement([{ name: 'f', digest: { sha256: 'ab' } }], PREDICATE_TYPES.plan, { env: 'qa' });
    const out = join(dir, 'bad.json');
    expect(errorOf(() => writeSignedStatement(st, signing, out)).code).toBe('SCHEMA_INVALID');
    expect(() => readFileSync(out)).toThrow(/ENOENT/);
  });
});

describe('decoding an envelope payload', () => {
  const envelopeOf = (payloadType: string, payload: string) => ({
    payloadType,
    payload: Buffer.from(payload, 'utf8').toString('base64'),
    signatures: [{ keyid: '', sig: 'AA==' }],
  });

  it('gives the in-toto Statement object an envelope carries', () => {
    const st = { _type: 'https://in-toto.io/Statement/v1', predicateType: 'x', subject: [], predicate: {} };
    expect(decodeStatementPayload(envelopeOf(IN_TOTO_PAYLOAD_TYPE, JSON.stringify(st)), 'r.json')).toEqual(st);
  });

  it('refuses another payload type, non-JSON and non-objects in one line naming the file, never the payload', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['text/plain', '{}', /^r\.json: payloadType is not "application\/vnd\.in-toto\+json"$/],
      [IN_TOTO_PAYLOAD_TYPE, '{"secret-canary": ', /^r\.json: not valid in-toto Statement payload/],
      [IN_TOTO_PAYLOAD_TYPE, '["secret-canary"]', /^r\.json: payload is not a JSON object$/],
    ];
    for (const [type, payload, message] of cases) {
      const e = errorOf(() => decodeStatementPayload(envelopeOf(type, payload), 'r.json'));
      expect([e.code, e.exitCode]).toEqual(['ENVELOPE_INVALID', 2]);
      expect(e.message).toMatch(message);
      expect(e.message).not.toMatch(/canary|\n/);
    }
  });
});

// Issue 24: parseEnvelope let a key given twice through (JSON.parse keeps the last, other readers
// the first) and read invalid UTF-8 as U+FFFD, so two readers could read one signed file two ways.
describe('one reading of signed bytes: duplicate keys and invalid UTF-8 are refused in one line', () => {
  const { signing, trusted } = key();
  const st = buildStatement([{ name: 'a', digest: { sha256: '0'.repeat(64) } }], 'https://example.com/x', { x: 1 });
  const signed = signStatement(st, signing);
  const text = signed.bytes.toString('utf8');
  const oneLine = (e: ReceiptError, what: RegExp) => {
    expect([e.code, e.exitCode]).toEqual(['ENVELOPE_INVALID', 2]);
    expect(e.message).toMatch(what);
    expect(e.message).not.toMatch(/\n/);
  };

  it('refuses an envelope with a key given twice, wherever it is', () => {
    const other = signStatement(buildStatement(st.subject, 'https://example.com/x', { x: 2 }), signing);
    const otherPayload = (JSON.parse(other.bytes.toString('utf8')) as DsseEnvelope).payload;
    const twice = [text.replace('{', `{"payload":"${otherPayload}",`), text.replace('"sig":', '"sig":"AA==","sig":')];
    for (const t of twice) {
      oneLine(
        errorOf(() => parseEnvelope(Buffer.from(t), 'r.json')),
        /^r\.json: .*(payload|sig).*(twice|duplicate)/i,
      );
      oneLine(
        errorOf(() => readVerifiedStatement(Buffer.from(t), 'r.json', [trusted])),
        /^r\.json: /,
      );
    }
  });

  it('refuses invalid UTF-8 in the envelope bytes and in the payload it carries', () => {
    const bad = Buffer.concat([
      signed.bytes.subarray(0, signed.bytes.length - 2),
      Buffer.from([0xff]),
      signed.bytes.subarray(-2),
    ]);
    oneLine(
      errorOf(() => parseEnvelope(bad, 'r.json')),
      /^r\.json: envelope is not valid UTF-8/,
    );
    const env = JSON.parse(text) as DsseEnvelope;
    const payload = Buffer.concat([Buffer.from('{"_type":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const withBadPayload = { ...env, payload: payload.toString('base64') };
    oneLine(
      errorOf(() => decodeStatementPayload(withBadPayload, 'r.json')),
      /^r\.json: payload is not valid UTF-8/,
    );
  });

  it('still reads the envelope it signed (bytes or text)', () => {
    expect(parseEnvelope(signed.bytes, 'r.json')).toEqual(parseEnvelope(text, 'r.json'));
  });
});
