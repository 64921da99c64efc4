/**
 * scripts/doctor.sh, the setup check: one line per item, `ok`, `MISSING` with its fix, or
 * `skipped` with why; offline it checks the local parts and says what it skipped.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { localS3 } from '../support/local-s3';

const root = resolve(__dirname, '..', '..');
const DOCTOR = join(root, 'scripts', 'doctor.sh');
const KFM = join(root, 'dist', 'receipts', 'cli.js');

function doctor(extra: NodeJS.ProcessEnv) {
  const state = mkdtempSync(join(tmpdir(), 'kfm-doctor-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    KFM_STATE_DIR: state,
    KFM_APPROVERS_DIR: join(state, 'approvers'),
    ...extra,
  };
  for (const k of [
    'KFM_STATE_STORE',
    'AWS_ENDPOINT_URL_S3',
    'KFM_WITNESSES',
    'GH_TOKEN',
    'KFM_KEY',
    'KFM_PUB',
    'KFM_AUDIT_STORE',
  ])
    if (!(k in extra)) delete env[k];
  const r = spawnSync('bash', [DOCTOR], { env, encoding: 'utf8', timeout: 120_000 });
  return { ...r, state, lines: r.stdout.trim().split('\n') };
}

describe('scripts/doctor.sh', () => {
  it('on a fresh clone offline: names each missing item with its fix and what it skipped', () => {
    const r = doctor({ KFM_OFFLINE: '1' });
    expect(r.status).toBe(1);
    expect(r.lines).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^ok {7}terraform 1\.11\./),
        expect.stringMatching(/^skipped {2}state store: KFM_OFFLINE=1: local state in /),
        expect.stringMatching(/^MISSING {2}signing key .*: node dist\/receipts\/cli\.js keygen --out-dir /),
        expect.stringMatching(/^MISSING {2}approvers' keys: add keys\/approvers\/<login>\.pub/),
        expect.stringMatching(/^skipped {2}github: .*need GH_TOKEN/),
      ]),
    );
    expect(r.lines.every((l) => /^(ok|MISSING|skipped) /.test(l))).toBe(true);
  });

  it('online in CI terms, with no state store: says what to set', () => {
    const r = doctor({ KFM_OFFLINE: '0' });
    expect(r.lines).toContain(
      "MISSING  state store: set KFM_STATE_STORE=s3://BUCKET/PREFIX (the bootstrap stack's state_store output; docs/environments.md)",
    );
  });

  it('finds the signing key and the approvers once they exist', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfm-doctor-keys-'));
    spawnSync(process.execPath, [KFM, 'keygen', '--out-dir', join(dir, 'keys')], { encoding: 'utf8' });
    spawnSync(process.execPath, [KFM, 'keygen', '--out-dir', join(dir, 'reviewer')], { encoding: 'utf8' });
    mkdirSync(join(dir, 'approvers'));
    spawnSync('cp', [join(dir, 'reviewer', 'kfm-signing.pub'), join(dir, 'approvers', 'reviewer.pub')]);
    const r = doctor({
      KFM_OFFLINE: '1',
      KFM_KEY: join(dir, 'keys', 'kfm-signing.key'),
      KFM_APPROVERS_DIR: join(dir, 'approvers'),
    });
    expect(r.lines).toContain(`ok       signing key ${join(dir, 'keys', 'kfm-signing.key')}`);
    expect(r.lines).toContain(`ok       1 approver key(s) in ${join(dir, 'approvers')}`);
  });
});

const s3 = localS3();
(s3 ? describe : describe.skip)('scripts/doctor.sh against the local radosgw', () => {
  it('reaches the state store and the ledger it is given, and names the one that is not there with its fix', () => {
    const hasAws = spawnSync('bash', ['-c', 'command -v aws'], { encoding: 'utf8' }).status === 0;
    const r = doctor({
      ...s3!.env,
      KFM_OFFLINE: '0',
      KFM_STATE_STORE: 's3://kfm-audit-local/doctor-state', // the bucket scripts/s3-local.sh start creates
      KFM_AUDIT_STORE: 's3://kfm-doctor-no-such-ledger/ledger',
    });
    expect(r.lines).toContain(
      hasAws
        ? 'ok       state store s3://kfm-audit-local/doctor-state (bucket reachable; locking: use_lockfile, docs/environments.md)'
        : 'skipped  state store s3://kfm-audit-local/doctor-state: no aws CLI to reach it (terraform init will)',
    );
    expect(r.lines).toContain(
      'MISSING  ledger s3://kfm-doctor-no-such-ledger/ledger: not readable: apply the audit stack and set KFM_AUDIT_STORE from its receipts_bucket output',
    );
    expect(r.status).toBe(1);
  });
});
