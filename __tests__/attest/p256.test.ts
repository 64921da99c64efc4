/**
 * P-256 keys for keyed signing beside Ed25519: `kfm keygen --alg p256` makes one, every signing
 * verb signs with it, kfm and @sigstore/verify (as a keyed bundle) verify it, and the commitment
 * key derived from it comes from the private scalar, never from the public point.
 */
import { createPrivateKey, createPublicKey, hkdfSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { IN_TOTO_PAYLOAD_TYPE, signEnvelope, verifyEnvelope } from '../../attest/dsse/envelope';
import { generateKeyPairPem, parseSigningKey, parseTrustedKey } from '../../attest/sign/ed25519';
import { generateP256Pem, p256Secret } from '../../attest/sign/p256';
import { deriveCommitmentKey } from '../../receipts/redact/commitment';
import { kfm, PROV, TF, tmp } from '../receipts/helpers';
import { sigstoreVerifyKeyed } from './sigstore-helpers';

const PLAN = join(TF, 'generated-tf1.11.4', 'lifecycle', '2-change.show-plan.json');
const dir = tmp('kfm-p256-');

describe('P-256 keyed signing', () => {
  it('kfm keygen --alg p256 makes a P-256 pair; receipt plan signs with it; kfm and @sigstore/verify verify it', () => {
    const g = kfm(['keygen', '--out-dir', join(dir, 'k'), '--alg', 'p256']);
    expect(g.status).toBe(0);
    const { key, pub, keyid, alg } = JSON.parse(g.stdout);
    expect(alg).toBe('p256');
    expect(createPublicKey(readFileSync(pub)).asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const out = join(dir, 'plan.json');
    const bundle = join(dir, 'plan.sigstore.json');
    const r = kfm(['receipt', 'plan', PLAN, '--env', 'dev', '--key', key, '--out', out, '--bundle', bundle, ...PROV]);
    expect(r.stderr).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).signatures[0].keyid).toBe(keyid);
    expect(kfm(['receipt', 'verify', out, '--pub', pub]).status).toBe(0);
    expect(() => sigstoreVerifyKeyed(bundle, readFileSync(pub, 'utf8'))).not.toThrow();
    // A tampered payload fails both.
    const env = JSON.parse(readFileSync(out, 'utf8'));
    const st = JSON.parse(Buffer.from(env.payload, 'base64').toString());
    st.predicate.env = 'prod';
    env.payload = Buffer.from(JSON.stringify(st)).toString('base64');
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(env));
    expect(kfm(['receipt', 'verify', join(dir, 'bad.json'), '--pub', pub]).status).toBe(3);
  }, 180_000);

  it('refuses --alg rsa with one usage line', () => {
    const r = kfm(['keygen', '--out-dir', join(dir, 'rsa'), '--alg', 'rsa']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--alg "rsa", expected one of ed25519, p256/);
  });

  it('a P-256 signature does not verify under an Ed25519 key, nor the other way round', () => {
    const p = generateP256Pem();
    const e = generateKeyPairPem();
    const pk = parseSigningKey(p.privatePem, 'p.key');
    const ek = parseSigningKey(e.privatePem, 'e.key');
    const msg = Buffer.from('{"a":1}');
    const byP = signEnvelope(IN_TOTO_PAYLOAD_TYPE, msg, pk);
    const byE = signEnvelope(IN_TOTO_PAYLOAD_TYPE, msg, ek);
    expect(() => verifyEnvelope(byP, [parseTrustedKey(e.publicPem, 'e.pub')], 'p')).toThrow(/SIGNATURE|no signature/);
    expect(() => verifyEnvelope(byE, [parseTrustedKey(p.publicPem, 'p.pub')], 'e')).toThrow(/SIGNATURE|no signature/);
    expect(verifyEnvelope(byP, [parseTrustedKey(p.publicPem, 'p.pub')], 'p').keyid).toBe(pk.keyid);
  });

  it('refuses a P-384 key naming its curve', () => {
    const { generateKeyPairSync } = require('node:crypto') as typeof import('node:crypto');
    const k = generateKeyPairSync('ec', { namedCurve: 'secp384r1' });
    const pem = k.publicKey.export({ format: 'pem', type: 'spki' }) as string;
    expect(() => parseTrustedKey(pem, 'p384.pub')).toThrow(/p384.pub: key type "ec secp384r1"/);
  });

  it('derives the commitment key of a P-256 key from its private scalar, not from the public point', () => {
    const p = generateP256Pem();
    const priv = createPrivateKey(p.privatePem);
    const d = p256Secret(priv);
    const pubTail = (priv.export({ format: 'der', type: 'pkcs8' }) as Buffer).subarray(-32);
    expect(
      Buffer.from(createPublicKey(priv).export({ format: 'der', type: 'spki' }))
        .subarray(-32)
        .equals(pubTail),
    ).toBe(true);
    // Same labels as receipts/redact/commitment.ts: an attacker holding only the public key computes this.
    const hkdf = (ikm: Buffer) =>
      Buffer.from(
        hkdfSync(
          'sha256',
          ikm,
          Buffer.from('kfm-infra/receipts'),
          Buffer.from('kfm commitment key v1 (HMAC-SHA256)'),
          32,
        ),
      );
    const ck = deriveCommitmentKey(priv);
    expect(ck.secret.equals(hkdf(d))).toBe(true);
    expect(ck.secret.equals(hkdf(pubTail))).toBe(false);
  });
});
