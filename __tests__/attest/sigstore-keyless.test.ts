/**
 * The keyless path end to end, offline, against `@sigstore/mock` served over real HTTP with a
 * trusted root made for it: a job with a GitHub workflow identity makes a key for itself, signs a
 * prod plan receipt, certifies it keyless (Fulcio certificate + Rekor entry or RFC 3161
 * timestamp), appends it to the ledger, and the record verifies under identity trust, per role.
 * Refused: the wrong identity, an identity of another role, an expired certificate, a bundle with
 * no log entry and no timestamp.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readVerifiedRecord, sameSigner } from '../../attest/sigstore/trusted-signer';
import { parseIdentityPolicy, parseTrustedRoot } from '../../attest/sigstore/identity';
import { kfm, PROV, Run, TF, tmp } from '../receipts/helpers';
import { GITHUB_ISSUER, MockSigstore, spawnMockSigstore } from './sigstore-mock';

const PLAN = join(TF, 'generated-tf1.11.4', 'lifecycle', '2-change.show-plan.json');
const PROD = 'repo:acme/infra:environment:prod';
const dir = tmp('kfm-keyless-');
const f = (n: string): string => join(dir, n);
let mock: MockSigstore;
let n = 0;

const POLICY = {
  identities: [
    {
      role: 'ci',
      issuer: GITHUB_ISSUER,
      subject: 'repo:acme/infra:environment:prod',
      kinds: ['plan', 'apply', 'drift', 'validation', 'promotion'],
      envs: ['prod'],
    },
    { role: 'ci', issuer: GITHUB_ISSUER, subject: 'repo:acme/infra:environment:(dev|stage)', envs: ['dev', 'stage'] },
    {
      role: 'approver',
      issuer: 'https://github.com/login/oauth',
      subject: 'alice@example\\.com',
      kinds: ['approval'],
      principal: 'alice',
    },
  ],
};

function ok(r: Run): string {
  if (r.status !== 0) throw new Error(r.stderr);
  return r.stdout;
}

/** A job's own P-256 key and a receipt it signed (the key lives only as long as the job). */
function jobReceipt(env: string): { key: string; receipt: string } {
  const k = f(`job${++n}`);
  const key = JSON.parse(ok(kfm(['keygen', '--alg', 'p256', '--out-dir', k]))).key as string;
  const receipt = f(`plan${n}.json`);
  ok(kfm(['receipt', 'plan', PLAN, '--env', env, '--key', key, '--out', receipt, ...PROV]));
  return { key, receipt };
}

/** `kfm receipt certify` as a job of `subject`, against the mock; returns the run and the bundle path. */
function certify(
  job: { key: string; receipt: string },
  subject: string,
  witness: string[],
  m = mock,
): { r: Run; out: string } {
  const out = f(`b${++n}.sigstore.json`);
  const r = kfm(
    ['receipt', 'certify', job.receipt, '--key', job.key, '--out', out, '--fulcio-url', m.url, ...witness],
    { env: m.env(subject) },
  );
  return { r, out };
}
const REKOR = (): string[] => ['--rekor-url', mock.url, '--rekor-entry-type', 'intoto'];
const TSA = (): string[] => ['--tsa-url', mock.url];
const verify = (bundle: string, extra: string[] = []): Run =>
  kfm([
    'receipt',
    'verify',
    bundle,
    '--trusted-root',
    f('root.json'),
    '--identity-policy',
    f('policy.json'),
    '--json',
    ...extra,
  ]);

beforeAll(async () => {
  mock = await spawnMockSigstore();
  writeFileSync(f('root.json'), JSON.stringify(mock.trustedRoot));
  writeFileSync(f('policy.json'), JSON.stringify(POLICY));
});
afterAll(() => mock.close());

describe('keyless signing against @sigstore/mock', () => {
  it('signs a prod plan receipt in the prod workflow identity, logged in Rekor, and verifies it by identity', () => {
    const { r, out } = certify(jobReceipt('prod'), PROD, REKOR());
    expect(r.stderr).toBe('');
    const bundle = JSON.parse(readFileSync(out, 'utf8'));
    expect(bundle.mediaType).toBe('application/vnd.dev.sigstore.bundle.v0.3+json');
    expect(bundle.verificationMaterial.certificate.rawBytes).toBeDefined();
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    const j = JSON.parse(ok(verify(out)));
    expect(j).toMatchObject({
      verified: true,
      env: 'prod',
      identity: { issuer: GITHUB_ISSUER, subject: PROD },
      roles: ['ci'],
    });
  }, 240_000);

  it('signs with an RFC 3161 timestamp instead of a log entry', () => {
    const { r, out } = certify(jobReceipt('prod'), PROD, TSA());
    expect(r.stderr).toBe('');
    expect(
      JSON.parse(readFileSync(out, 'utf8')).verificationMaterial.timestampVerificationData.rfc3161Timestamps,
    ).toHaveLength(1);
    expect(JSON.parse(ok(verify(out))).identity.subject).toBe(PROD);
  }, 240_000);

  it('appends the keyless bundle to the ledger and reads it back verifiable by identity', () => {
    const { out } = certify(jobReceipt('prod'), PROD, TSA());
    const store = f('ledger');
    const a = JSON.parse(ok(kfm(['audit', 'append', '--init', out, '--store', store])));
    expect(a.digest).toBe(JSON.parse(ok(verify(out))).digest);
    const got = f('got.sigstore.json');
    writeFileSync(got, ok(kfm(['audit', 'get', '--seq', String(a.seq), '--store', store])));
    expect(readFileSync(got).equals(readFileSync(out))).toBe(true);
    expect(verify(got).status).toBe(0);
  }, 240_000);

  it('refuses the wrong identity: another repository, and the dev environment signing for prod', () => {
    const other = certify(jobReceipt('prod'), 'repo:mallory/infra:environment:prod', TSA());
    expect(other.r.status).toBe(0);
    const r1 = verify(other.out);
    expect(r1.status).toBe(3);
    expect(r1.stderr).toMatch(/KEY_UNTRUSTED: .*repo:mallory\/infra:environment:prod .*no trusted identity matches/);
    const dev = certify(jobReceipt('prod'), 'repo:acme/infra:environment:dev', TSA());
    const r2 = verify(dev.out);
    expect(r2.status).toBe(3);
    expect(r2.stderr).toMatch(/KEY_UNTRUSTED: .*environment:dev .*\(role ci\) may not sign a plan record for env prod/);
  }, 300_000);

  it('refuses a certificate that had expired when the signature was timestamped', async () => {
    const old = await spawnMockSigstore(-3600_000);
    try {
      writeFileSync(f('old-root.json'), JSON.stringify(old.trustedRoot));
      const { r, out } = certify(jobReceipt('prod'), PROD, ['--tsa-url', old.url], old);
      expect(r.status).toBe(0);
      const v = kfm([
        'receipt',
        'verify',
        out,
        '--trusted-root',
        f('old-root.json'),
        '--identity-policy',
        f('policy.json'),
      ]);
      expect(v.status).toBe(3);
      expect(v.stderr).toMatch(/SIGNATURE_INVALID: .*Sigstore verification failed \(CERTIFICATE_ERROR\)/);
    } finally {
      await old.close();
    }
  }, 240_000);

  it('refuses a keyless bundle with no log entry and no timestamp', () => {
    const { out } = certify(jobReceipt('prod'), PROD, REKOR());
    const b = JSON.parse(readFileSync(out, 'utf8'));
    b.verificationMaterial.tlogEntries = [];
    b.verificationMaterial.timestampVerificationData = { rfc3161Timestamps: [] };
    writeFileSync(f('bare.sigstore.json'), JSON.stringify(b));
    const v = verify(f('bare.sigstore.json'));
    expect(v.status).toBe(3);
    expect(v.stderr).toMatch(/TIMESTAMP_ERROR/);
  }, 240_000);

  it('refuses a keyless bundle without identity trust, and keeps keyed verification as it was', () => {
    const { out } = certify(jobReceipt('prod'), PROD, TSA());
    const v = kfm(['receipt', 'verify', out, '--pub', join(dir, 'job1', 'kfm-signing.pub')]);
    expect(v.status).toBe(3);
    expect(v.stderr).toMatch(/KEY_UNTRUSTED: .*keyless Sigstore bundle; pass --trusted-root and --identity-policy/);
  }, 240_000);

  it('an approval counts only from an approver identity approving as its own principal', () => {
    const plan = jobReceipt('prod');
    const approveAs = (principal: string) => {
      const k = f(`appr${++n}`);
      const key = JSON.parse(ok(kfm(['keygen', '--alg', 'p256', '--out-dir', k]))).key as string;
      const receipt = f(`approval${n}.json`);
      ok(
        kfm([
          'approve',
          '--env',
          'prod',
          '--plan-receipt',
          plan.receipt,
          '--principal',
          principal,
          '--key',
          key,
          '--change-record',
          'CR-1',
          '--out',
          receipt,
        ]),
      );
      return { key, receipt };
    };
    // Alice's own login (SIGSTORE_ID_TOKEN, as a laptop's OIDC login provides it).
    const aliceToken = (sub: string) =>
      `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: 'https://github.com/login/oauth', sub, aud: 'sigstore' })).toString('base64url')}.`;
    const sign = (job: { key: string; receipt: string }, env: Record<string, string>) => {
      const out = f(`ab${++n}.sigstore.json`);
      ok(
        kfm(
          [
            'receipt',
            'certify',
            job.receipt,
            '--key',
            job.key,
            '--out',
            out,
            '--fulcio-url',
            mock.url,
            '--tsa-url',
            mock.url,
          ],
          { env },
        ),
      );
      return out;
    };
    const byAlice = sign(approveAs('alice'), { SIGSTORE_ID_TOKEN: aliceToken('alice@example.com') });
    expect(JSON.parse(ok(verify(byAlice))).roles).toEqual(['approver']);
    // Alice's identity approving as bob, and the CI identity approving: not evidence.
    const asBob = verify(sign(approveAs('bob'), { SIGSTORE_ID_TOKEN: aliceToken('alice@example.com') }));
    expect(asBob.status).toBe(3);
    expect(asBob.stderr).toMatch(/may not sign a approval record for env prod as principal bob/);
    const byCi = verify(sign(approveAs('alice'), mock.env(PROD)));
    expect(byCi.status).toBe(3);
    expect(byCi.stderr).toMatch(/\(role ci\) may not sign a approval record/);
    // The gate's "someone other than the author" compares identities: the plan's signer is not Alice.
    const planBundle = certify(plan, PROD, TSA()).out;
    const trust = {
      root: parseTrustedRoot(JSON.stringify(mock.trustedRoot), 'root.json'),
      identities: parseIdentityPolicy(JSON.stringify(POLICY), 'policy.json'),
    };
    const a = readVerifiedRecord(readFileSync(byAlice), byAlice, [], trust).signedBy;
    const p = readVerifiedRecord(readFileSync(planBundle), planBundle, [], trust).signedBy;
    expect(sameSigner(a, p)).toBe(false);
    expect(sameSigner(a, readVerifiedRecord(readFileSync(byAlice), byAlice, [], trust).signedBy)).toBe(true);
  }, 480_000);
});
