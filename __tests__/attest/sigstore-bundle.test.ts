/**
 * Every kfm record kind exported as a keyed Sigstore bundle v0.3 verifies under the Sigstore
 * project's own verifier (`@sigstore/verify`, not kfm's code), offline, with the log, CT and
 * timestamp thresholds at 0; a tampered payload fails there too. The bundles are written by the
 * real CLI (`--bundle` on the writing verbs, `kfm receipt export-bundle` for a promotion manifest),
 * and every verb that reads an envelope reads the bundle to the same digest.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PREDICATE_TYPES } from '../../attest/predicate-types';
import { signPipelineStatement } from '../../attest/pipeline-statement';
import { parseSigningKey } from '../../attest/sign/ed25519';
import { BUNDLE_MEDIA_TYPE, readBundle, recordBytes } from '../../attest/sigstore/bundle';
import { keypair, kfm, PROV, TF, tmp } from '../receipts/helpers';
import { sigstoreVerifyKeyed } from './sigstore-helpers';

const LIFECYCLE = join(TF, 'generated-tf1.11.4', 'lifecycle');
const PLAN = join(LIFECYCLE, '2-change.show-plan.json');
const STREAM = join(LIFECYCLE, '2-change.apply.jsonl');
const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const sha = (b: Buffer): string => 'sha256:' + createHash('sha256').update(b).digest('hex');

const keys = keypair();
const dir = tmp('kfm-bundle-');
const f = (name: string): string => join(dir, name);
const ok = (args: string[]): string => {
  const r = kfm(args);
  if (r.status !== 0) throw new Error(`kfm ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

const sigstoreVerify = (bundlePath: string, pubPem = readFileSync(keys.pub, 'utf8')): void =>
  sigstoreVerifyKeyed(bundlePath, pubPem);

const records: Record<string, { envelope: string; bundle: string }> = {};

beforeAll(() => {
  const r = (k: string) => (records[k] = { envelope: f(`${k}.json`), bundle: f(`${k}.sigstore.json`) });
  /** A writing verb signing record `kind` with the test key, writing the envelope and its bundle. */
  const write = (kind: string, args: string[]) => {
    const rec = r(kind);
    ok([...args, '--key', keys.key, '--out', rec.envelope, '--bundle', rec.bundle]);
    return rec;
  };
  const plan = write('plan', ['receipt', 'plan', PLAN, '--env', 'dev', ...PROV]);
  // Inputs are read from their bundles: the records bind the same digests as from the envelopes.
  const apply = write('apply', ['receipt', 'apply', STREAM, '--plan-receipt', plan.bundle, '--env', 'dev', ...PROV]);
  write('drift', ['receipt', 'drift', PLAN, '--env', 'dev', '--apply-receipt', apply.bundle, ...PROV]);
  const approval = [
    'approve',
    '--env',
    'dev',
    '--plan-receipt',
    plan.bundle,
    '--principal',
    'alice',
    '--pub',
    keys.pub,
  ];
  write('approval', approval);
  write('validation', [
    'record',
    'smoke',
    '--env',
    'dev',
    '--check',
    'health=pass',
    '--commit',
    COMMIT,
    '--apply-receipt',
    apply.bundle,
  ]);
  const manifest = r('promotion');
  const signing = parseSigningKey(readFileSync(keys.key), keys.key);
  const D = sha(readFileSync(plan.envelope));
  const m = signPipelineStatement(
    PREDICATE_TYPES.promotion,
    [{ name: 'prod.plan.json', digest: { sha256: D.slice(7) } }],
    {
      kind: 'kfm.infra.PromotionManifest',
      env: 'prod',
      repo: { commit: COMMIT },
      evidence: [{ requirement: 'prod plan receipt', digest: D, seq: 1 }],
      policy: { bundle_digest: D },
      approvals: [{ digest: D, principal: 'alice', change_record: 'CR-1' }],
      ledger: { size: 3, root: Buffer.alloc(32, 7).toString('base64'), anchored: true, checkpoints: [{ size: 3 }] },
      timestamps: { promoted: '2026-12-01T19:47:41.000Z' },
    },
    signing,
  );
  writeFileSync(manifest.envelope, m.bytes);
  ok(['receipt', 'export-bundle', manifest.envelope, '--out', manifest.bundle]);
}, 300_000);

describe('keyed Sigstore bundles of kfm records', () => {
  it.each(['plan', 'apply', 'drift', 'approval', 'validation', 'promotion'])(
    'a %s record exported as a bundle verifies under @sigstore/verify, offline, thresholds 0',
    (kind) => {
      const { envelope, bundle } = records[kind]!;
      const json = JSON.parse(readFileSync(bundle, 'utf8'));
      expect(json.mediaType).toBe(BUNDLE_MEDIA_TYPE);
      const env = JSON.parse(readFileSync(envelope, 'utf8'));
      // The same DSSE envelope, and the key hint is the DSSE keyid.
      expect(json.dsseEnvelope).toEqual({
        payload: env.payload,
        payloadType: env.payloadType,
        signatures: env.signatures,
      });
      expect(json.verificationMaterial.publicKey.hint).toBe(env.signatures[0].keyid);
      expect(() => sigstoreVerify(bundle)).not.toThrow();
      // Unwrapped, the bundle is the envelope file byte for byte: same digest everywhere.
      expect(recordBytes(readFileSync(bundle), bundle).equals(readFileSync(envelope))).toBe(true);
    },
  );

  it('a bundle whose payload was altered fails @sigstore/verify (and kfm receipt verify)', () => {
    const json = JSON.parse(readFileSync(records.plan!.bundle, 'utf8'));
    const payload = JSON.parse(Buffer.from(json.dsseEnvelope.payload, 'base64').toString('utf8'));
    payload.predicate.env = 'prod';
    json.dsseEnvelope.payload = Buffer.from(JSON.stringify(payload)).toString('base64');
    const bad = f('tampered.sigstore.json');
    writeFileSync(bad, JSON.stringify(json));
    expect(() => sigstoreVerify(bad)).toThrow(/signature verification failed/);
    const r = kfm(['receipt', 'verify', bad, '--pub', keys.pub]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/SIGNATURE_INVALID/);
  });

  it('a bundle verifies under @sigstore/verify only with the right key', () => {
    const other = keypair();
    expect(() => sigstoreVerify(records.plan!.bundle, readFileSync(other.pub, 'utf8'))).toThrow(
      /signature verification failed/,
    );
  });

  it('kfm receipt verify reads a bundle and reports the envelope digest', () => {
    const { envelope, bundle } = records.approval!;
    const j = JSON.parse(ok(['receipt', 'verify', bundle, '--pub', keys.pub, '--json']));
    expect(j.digest).toBe(sha(readFileSync(envelope)));
  });

  it('kfm audit append stores the envelope of a keyed bundle: the same entry as appending the envelope', () => {
    const store = f('ledger');
    const a = JSON.parse(ok(['audit', 'append', '--init', records.plan!.bundle, '--store', store]));
    const b = JSON.parse(ok(['audit', 'append', '--init', records.plan!.envelope, '--store', store]));
    expect(b).toEqual({ ...a, existing: true });
    expect(a.digest).toBe(sha(readFileSync(records.plan!.envelope)));
  });

  it('refuses a keyed bundle whose key hint differs from the DSSE keyid', () => {
    const json = JSON.parse(readFileSync(records.plan!.bundle, 'utf8'));
    json.verificationMaterial.publicKey.hint = 'someone-else';
    const bad = f('hint.sigstore.json');
    writeFileSync(bad, JSON.stringify(json));
    expect(() => readBundle(readFileSync(bad, 'utf8'), bad)).toThrow(/hint does not equal the DSSE keyid/);
    const r = kfm(['receipt', 'verify', bad, '--pub', keys.pub]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/ENVELOPE_INVALID: .*hint/);
  });
});
