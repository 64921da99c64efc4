/**
 * scripts/doctor.sh, the setup check: one line per item, `ok`, `MISSING` with its fix, or
 * `skipped` with why; offline it checks the local parts and says what it skipped.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, ListObjectVersionsCommand, PutBucketVersioningCommand } from '@aws-sdk/client-s3';
import { makeEnvelopes, makeKey } from '../ledger/helpers';
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
    'KFM_WITNESS_KEYS_DIR',
    'KFM_WITNESS_QUORUM',
    'KFM_STATE_ENCRYPT',
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

  it('is also `kfm doctor`: the same lines and exit code as the script', () => {
    const r = doctor({ KFM_OFFLINE: '1' });
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      KFM_OFFLINE: '1',
      KFM_STATE_DIR: r.state,
      KFM_APPROVERS_DIR: join(r.state, 'approvers'),
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
      delete env[k];
    const k = spawnSync(process.execPath, [KFM, 'doctor'], { env, encoding: 'utf8', timeout: 120_000 });
    expect(k.status).toBe(r.status);
    expect(k.stdout).toBe(r.stdout);
    expect(k.stderr).toBe('doctor.sh: something is missing (see MISSING above)\n');
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

/** A real `kfm witness serve` of the log signed by `logPub`; resolves with its URL once it listens. */
function startWitness(dir: string, name: string, logPub: string): Promise<{ url: string; child: ChildProcess }> {
  const k = makeKey(join(dir, 'witness-keys'), name);
  const child = spawn(process.execPath, [
    KFM,
    'witness',
    'serve',
    '--key',
    k.key,
    '--name',
    name,
    '--log',
    `kfm-infra/audit=${logPub}`,
    '--state',
    join(dir, 'witness-state', name),
    '--listen',
    '127.0.0.1:0',
  ]);
  return new Promise((res, rej) => {
    child.once('exit', (code) => rej(new Error(`witness ${name} exited ${code}`)));
    child.stdout!.once('data', (d) => res({ url: String(d).trim(), child }));
  });
}

describe('scripts/doctor.sh: the witnesses, asked', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kfm-doctor-witnesses-'));
  const log = makeKey(join(dir, 'log'), 'kfm-signing');
  const store = join(dir, 'audit');
  const children: ChildProcess[] = [];
  let witnessEnv: NodeJS.ProcessEnv;
  const kfm = (...args: string[]) => spawnSync(process.execPath, [KFM, ...args], { encoding: 'utf8', env: witnessEnv });
  const append = (n: number, tag: string) => {
    for (const f of makeEnvelopes(join(dir, tag), log, n, tag))
      expect(kfm('audit', 'append', f, '--store', store).status).toBe(0);
  };
  /** scripts/cosign.sh with only these witnesses configured (the others see nothing of it). */
  const cosign = (only: string, quorum: string) =>
    spawnSync('bash', [join(root, 'scripts', 'cosign.sh')], {
      encoding: 'utf8',
      env: {
        ...witnessEnv,
        KFM_WITNESSES: only,
        KFM_WITNESS_QUORUM: quorum,
        KFM_RECEIPTS_DIR: mkdtempSync(join(dir, 'cp-')),
      },
    });

  beforeAll(async () => {
    const keys = join(dir, 'witness-pubs');
    mkdirSync(keys);
    const up = await Promise.all(['w1', 'w2', 'w3'].map((n) => startWitness(dir, n, log.pub)));
    children.push(...up.map((u) => u.child));
    for (const n of ['w1', 'w2', 'w3']) copyFileSync(join(dir, 'witness-keys', `${n}.pub`), join(keys, `${n}.pub`));
    // w4 is configured (its key committed) but nothing listens where it is said to be.
    makeKey(keys, 'w4');
    const closed = await new Promise<number>((res) => {
      const srv = createServer().listen(0, '127.0.0.1', () => {
        const port = (srv.address() as { port: number }).port;
        srv.close(() => res(port));
      });
    });
    witnessEnv = {
      ...process.env,
      KFM_OFFLINE: '0',
      KFM_KEY: log.key,
      KFM_PUB: log.pub,
      KFM_AUDIT_STORE: store,
      KFM_WITNESS_KEYS_DIR: keys,
      KFM_WITNESS_QUORUM: '2',
      KFM_WITNESSES: `w1=${up[0]!.url} w2=${up[1]!.url} w3=${up[2]!.url} w4=http://127.0.0.1:${closed}`,
      KFM_WITNESS_TIMEOUT: '5',
    };
    expect(kfm('audit', 'init', '--store', store).status).toBe(0);
  });

  afterAll(() => {
    for (const c of children) c.kill('SIGTERM');
  });

  const witnessLines = (r: { lines: string[] }) => r.lines.filter((l) => / witness(es)? /.test(l) && !/ key$/.test(l));

  it('with no checkpoint yet: each witness answers or is named unreachable, with its fix', () => {
    append(2, 'a');
    const r = doctor(witnessEnv);
    const w = witnessLines(r);
    expect(w).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^ok {7}witness w1 at http:\/\/127\.0\.0\.1:\d+: answers \(HTTP 400 to an empty request\); the ledger has no checkpoint to compare yet$/,
        ),
        expect.stringMatching(
          /^MISSING {2}witness w4 at http:\/\/127\.0\.0\.1:\d+ unreachable: unreachable \(ECONNREFUSED\) \(the ledger: 2 entries, no checkpoint yet\): start it, or fix its URL in KFM_WITNESSES/,
        ),
      ]),
    );
    expect(r.status).toBe(1);
  });

  it("says which witness holds the ledger's newest checkpoint, which is behind, and whether a quorum is consistent", () => {
    expect(cosign(witnessEnv.KFM_WITNESSES!.split(' ').slice(0, 2).join(' '), '2').status).toBe(0); // w1, w2 at 2
    append(1, 'b');
    expect(cosign(witnessEnv.KFM_WITNESSES!.split(' ').slice(0, 2).join(' '), '2').status).toBe(0); // w1, w2 at 3
    const r = doctor(witnessEnv);
    const w = witnessLines(r);
    expect(w).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^ok {7}witness w1 at \S+: holds tree size 3, the same tree as the ledger: 3 entries, newest checkpoint tree size 3$/,
        ),
        expect.stringMatching(/^ok {7}witness w2 at \S+: holds tree size 3, /),
        expect.stringMatching(
          /^MISSING {2}witness w3 at \S+ behind: holds tree size 0 \(the ledger: 3 entries, newest checkpoint tree size 3\): run scripts\/cosign\.sh/,
        ),
        expect.stringMatching(/^MISSING {2}witness w4 at http:\/\/127\.0\.0\.1:\d+ unreachable: /),
        'ok       witnesses consistent with the ledger: 2 of 4 hold its newest checkpoint (quorum 2)',
      ]),
    );
  });

  it('names a witness ahead of the ledger when its newest witnessed checkpoint is hidden (an incident), with both sizes', () => {
    append(1, 'c');
    expect(cosign(witnessEnv.KFM_WITNESSES!.split(' ').slice(0, 2).join(' '), '2').status).toBe(0); // w1, w2 at 4
    // With only an appender's access: hide the newest witnessed checkpoint (move it out of the store).
    const cps = join(store, 'checkpoints');
    const newest = readdirSync(cps).sort().pop()!;
    expect(newest).toMatch(/^0{11}4\./);
    renameSync(join(cps, newest), join(dir, newest));
    const r = doctor(witnessEnv);
    const w = witnessLines(r);
    expect(w).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^MISSING {2}witness w1 at \S+ ahead: holds tree size 4 \(the ledger: 4 entries, newest checkpoint tree size 3\): a newer witnessed checkpoint \(tree size 4\) is missing from the store/,
        ),
        expect.stringMatching(
          /^MISSING {2}witnesses consistent with the ledger: only 0 of 4 hold its newest checkpoint, quorum 2/,
        ),
      ]),
    );
    expect(r.status).toBe(1);
    // The verb behind it: a witness ahead of the ledger is a verification failure (exit 3).
    const [w1] = witnessEnv.KFM_WITNESSES!.split(' ');
    const direct = kfm(
      'audit',
      'witnesses',
      '--store',
      store,
      '--pub',
      log.pub,
      '--witness',
      `w1=${join(witnessEnv.KFM_WITNESS_KEYS_DIR!, 'w1.pub')}`,
      '--witness-url',
      w1!,
    );
    expect(direct.stdout).toMatch(
      /^w1 ahead: holds tree size 4 \(ledger: 4 entries, newest checkpoint tree size 3\); fix: a newer witnessed checkpoint/,
    );
    expect(direct.status).toBe(3);
  });

  it('offline, says it did not ask the witnesses', () => {
    const r = doctor({ ...witnessEnv, KFM_OFFLINE: '1' });
    expect(r.lines).toContain('skipped  witnesses asked: offline: reachability and tree sizes not checked');
  });
});

const s3 = localS3();
(s3 ? describe : describe.skip)('scripts/doctor.sh against the local radosgw', () => {
  // radosgw honours If-None-Match only in unversioned buckets: one of each, made here.
  const plain = `kfm-doctor-lock-${process.pid}`;
  const versioned = `kfm-doctor-lock-v-${process.pid}`;
  beforeAll(async () => {
    for (const b of [plain, versioned]) await s3!.client.send(new CreateBucketCommand({ Bucket: b }));
    await s3!.client.send(
      new PutBucketVersioningCommand({ Bucket: versioned, VersioningConfiguration: { Status: 'Enabled' } }),
    );
  });

  it('on a versioned radosgw bucket: reports that locking is NOT honoured, and leaves no probe behind', async () => {
    const r = doctor({
      ...s3!.env,
      KFM_OFFLINE: '0',
      KFM_STATE_ENCRYPT: '0',
      KFM_STATE_STORE: `s3://${versioned}/state`,
    });
    const line = r.lines.find((l) => l.includes(`state store s3://${versioned}/state`))!;
    expect(line).toMatch(
      new RegExp(
        `^MISSING  state store s3://${versioned}/state locking: a second conditional write \\(If-None-Match: \\*\\) of s3://${versioned}/state/kfm-lock-probe-[0-9a-f]{16}\\.tflock was accepted: this store does NOT honour If-None-Match.*radosgw honours If-None-Match only in unversioned buckets.*; Terraform's use_lockfile needs a store that refuses it`,
      ),
    );
    expect(r.status).toBe(1);
    const left = await s3!.client.send(new ListObjectVersionsCommand({ Bucket: versioned, Prefix: 'state/' }));
    expect([...(left.Versions ?? []), ...(left.DeleteMarkers ?? [])]).toEqual([]);
  });

  it('on an unversioned bucket the same probe is refused the second time, and nothing stays', async () => {
    const probe = spawnSync(
      process.execPath,
      [KFM, 'state', 'lock-check', '--store', `s3://${plain}/state`, '--json'],
      {
        env: { ...process.env, ...s3!.env, KFM_STATE_ENCRYPT: '0' },
        encoding: 'utf8',
      },
    );
    expect(probe.status).toBe(0);
    expect(JSON.parse(probe.stdout)).toMatchObject({ honoured: true, versioned: false, cleanup: 'removed' });
    const left = await s3!.client.send(new ListObjectVersionsCommand({ Bucket: plain, Prefix: 'state/' }));
    expect([...(left.Versions ?? []), ...(left.DeleteMarkers ?? [])]).toEqual([]);
  });

  it('a bucket that does not exist is named with its fix', () => {
    const r = doctor({
      ...s3!.env,
      KFM_OFFLINE: '0',
      KFM_STATE_ENCRYPT: '0',
      KFM_STATE_STORE: 's3://kfm-doctor-no-such-state/s',
    });
    expect(r.lines.find((l) => l.includes('kfm-doctor-no-such-state'))).toMatch(
      /^MISSING  state store s3:\/\/kfm-doctor-no-such-state\/s: STORE_UNAVAILABLE: S3 PutObject .*NoSuchBucket.*apply the bootstrap stack/,
    );
  });

  it('reaches the state store and the ledger it is given, and names the one that is not there with its fix', () => {
    const r = doctor({
      ...s3!.env,
      KFM_OFFLINE: '0',
      KFM_STATE_ENCRYPT: '0', // radosgw here has no SSE
      KFM_STATE_STORE: `s3://${plain}/doctor-state`,
      KFM_AUDIT_STORE: 's3://kfm-doctor-no-such-ledger/ledger',
    });
    expect(r.lines).toContain(
      `ok       state store s3://${plain}/doctor-state (reachable; locks: a second conditional write of a probe .tflock was refused)`,
    );
    expect(r.lines).toContain(
      'MISSING  ledger s3://kfm-doctor-no-such-ledger/ledger: not readable: apply the audit stack and set KFM_AUDIT_STORE from its receipts_bucket output',
    );
    expect(r.status).toBe(1);
  });
});
