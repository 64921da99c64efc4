/**
 * Two principles, with the real CLI as a process:
 * - a decision exits with its decision: a denied gate stays non-zero whatever happens to stdout
 *   (a reader that stops early, `| head -1` under pipefail), and ignored entries are summarised,
 *   so an appender cannot make a denial as long as they like;
 * - one key, one role, one name: a key given twice across --pub, --approver and --witness, or a
 *   witness serving with the log's own key, is a usage error (exit 2) naming both uses.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../ledger/open-store';
import { PREDICATE_TYPES } from '../../attest/predicate-types';
import { signPipelineStatement } from '../../attest/pipeline-statement';
import { makeKey, REPO, tempDir } from '../ledger/helpers';
import { COMMIT, templates } from './support/evidence';

jest.setTimeout(180_000);

const CLI = join(REPO, 'dist', 'receipts', 'cli.js');
const dir = tempDir('decisions-keys');
const ci = makeKey(join(dir, 'keys'), 'ci');
const alice = makeKey(join(dir, 'keys'), 'alice');

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const kfm = (...args: string[]) => {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
};

describe('a denied gate exits with its denial', () => {
  const store = join(dir, 'blocked');
  const copies = 2000;
  beforeAll(async () => {
    // A dev apply receipt for the commit (signed by CI, of no plan receipt the ledger holds),
    // then 1999 re-wrapped copies of it (leading spaces: other bytes, the same signed statement).
    const s = signPipelineStatement(
      PREDICATE_TYPES.apply,
      [{ name: 'x', digest: { sha256: 'f'.repeat(64) } }],
      { ...templates.apply, env: 'dev' },
      ci.signing,
    );
    const st = openStore(store, { env: process.env });
    for (let i = 0; i < copies; i++) await st.append(Buffer.from(' '.repeat(i) + s.bytes));
  });

  const promote = `node ${CLI} gate promote --to stage --store ${store} --pub ${ci.pub} --commit ${COMMIT}`;
  const sh = (pipeline: string) =>
    spawnSync('bash', ['-c', `set -o pipefail; ${pipeline}`], { cwd: REPO, encoding: 'utf8' });

  it('is non-zero through `| head -1` and through a reader that is already gone, under pipefail', () => {
    const head = sh(`${promote} | head -1`);
    expect(head.stdout).toMatch(/^ok      audit ledger: /);
    expect(head.status).toBe(1);
    const gone = sh(`${promote} | true`);
    expect(gone.status).toBe(1);
    expect(gone.stderr).not.toMatch(/INTERNAL/);
  });

  it('names the ignored copies once per reason, with a count and a few examples', () => {
    const r = kfm('gate', 'promote', '--to', 'stage', '--store', store, '--pub', ci.pub, '--commit', COMMIT);
    expect(r.code).toBe(1);
    const line = r.stderr.split('\n').find((l) => l.startsWith('gate: BLOCKED dev apply receipt'))!;
    expect(line).toMatch(
      /; ignored 1999 entries \(replay of an earlier entry \(same signed statement; only the first occurrence counts\)\): 2, 3, 4, … 1996 more$/,
    );
    expect(r.stdout.length + r.stderr.length).toBeLessThan(4000);
  });
});

describe('one key, one role, one name', () => {
  const store = join(dir, 'roles');
  beforeAll(async () => {
    writeFileSync(join(dir, 'alice-copy.pub'), readFileSync(alice.pub));
    await openStore(store, { env: process.env }).append(
      Buffer.from(
        signPipelineStatement(
          PREDICATE_TYPES.apply,
          [{ name: 'x', digest: { sha256: 'f'.repeat(64) } }],
          { ...templates.apply, env: 'dev' },
          ci.signing,
        ).bytes,
      ),
    );
  });
  const gate = (...extra: string[]) =>
    kfm('gate', 'promote', '--to', 'prod', '--store', store, '--pub', ci.pub, '--commit', COMMIT, ...extra);

  it('refuses one approver key under two logins (exit 2, naming both)', () => {
    const r = gate('--approver', `alice=${alice.pub}`, '--approver', `bob=${join(dir, 'alice-copy.pub')}`);
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `kfm: USAGE: kfm gate promote: --approver alice=${alice.pub} and --approver bob=${join(dir, 'alice-copy.pub')} are the same public key; a key holds one role under one name (give each its own key)`,
    );
  });

  it('refuses the log key as an approver key', () => {
    const r = gate('--approver', `alice=${ci.pub}`);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--pub .*ci\.pub and --approver alice=.*ci\.pub are the same public key/);
  });

  it('refuses the log key as a witness key, for the gates and for audit verify', () => {
    const g = gate('--witness', `w1=${ci.pub}`, '--quorum', '1');
    expect(g.code).toBe(2);
    expect(g.stderr).toMatch(/--pub .*ci\.pub and --witness w1=.*ci\.pub are the same public key/);
    const v = kfm('audit', 'verify', '--store', store, '--pub', ci.pub, '--witness', `w1=${ci.pub}`, '--quorum', '1');
    expect(v.code).toBe(2);
    expect(v.stderr).toMatch(/kfm audit verify: --pub .*ci\.pub and --witness w1=.*ci\.pub are the same public key/);
  });

  it('refuses an approver key that also witnesses', () => {
    const r = gate('--approver', `alice=${alice.pub}`, '--witness', `w1=${alice.pub}`, '--quorum', '1');
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--approver alice=.* and --witness w1=.* are the same public key/);
  });

  it('kfm witness serve refuses to witness a log with its own key', () => {
    const r = kfm(
      'witness',
      'serve',
      '--key',
      ci.key,
      '--name',
      'w1',
      '--log',
      `kfm-infra/audit=${ci.pub}`,
      '--state',
      join(dir, 'wstate'),
      '--listen',
      '127.0.0.1:0',
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(
      /^kfm: USAGE: kfm witness serve: --key and --log kfm-infra\/audit=.*ci\.pub are the same key/,
    );
  });

  it('still takes the same key twice in one role under one name (a repeat, not a second role)', () => {
    const r = gate('--pub', ci.pub, '--approver', `alice=${alice.pub}`, '--approver', `Alice=${alice.pub}`);
    expect(r.code).toBe(1);
  });
});

describe('drift.sh and smoke.sh bind their records as the gates read the ledger', () => {
  /** kfm_bind_newest_apply (scripts/lib/kfm-env.sh), as drift.sh and smoke.sh call it. */
  const bind = (store: string) =>
    spawnSync(
      'bash',
      [
        '-c',
        `. scripts/lib/kfm-env.sh; kfm_bind_newest_apply dev "$OUT" drift.sh "this drift report" > "$OUT.flags" || exit $?; cat "$OUT.flags"`,
      ],
      {
        cwd: REPO,
        encoding: 'utf8',
        env: {
          ...process.env,
          KFM_AUDIT_STORE: store,
          KFM_PUB: ci.pub,
          KFM_APPROVERS_DIR: join(dir, 'no-approvers'),
          KFM_STATE_DIR: join(dir, 'state'),
          KFM_WITNESSES: '',
          KFM_CHECKPOINTS: '',
          OUT: join(dir, `bind-${Math.random().toString(36).slice(2)}.json`),
        },
      },
    );
  const apply = (key = ci.signing) =>
    Buffer.from(
      signPipelineStatement(
        PREDICATE_TYPES.apply,
        [{ name: 'x', digest: { sha256: 'f'.repeat(64) } }],
        { ...templates.apply, env: 'dev' },
        key,
      ).bytes,
    );

  it('binds to the newest trusted apply of a ledger that verifies', async () => {
    const store = join(dir, 'bind-ok');
    await openStore(store, { env: process.env }).append(apply());
    const r = bind(store);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^--apply-receipt\n/);
  });

  it('stops (exit 3, kfm naming why) on a ledger that does not verify, never "no apply receipt"', async () => {
    const store = join(dir, 'bind-bad');
    const st = openStore(store, { env: process.env });
    await st.append(apply());
    await st.append(apply(alice.signing));
    // An entry is altered after it was appended (a flipped byte), with an entry chained onto it
    // after it: damage. (The log's last entry replaced alone looks like it deleted plus a planted
    // object: junk unless a checkpoint covers it; docs/audit-ledger.md.)
    const path = join(store, 'entries', '000000000001.json');
    const bytes = readFileSync(path);
    bytes[bytes.length - 30] ^= 1;
    chmodSync(path, 0o644);
    writeFileSync(path, bytes);
    const r = bind(store);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/^kfm: LOG_INTEGRITY: /m);
    expect(r.stderr).toMatch(
      /drift\.sh: the audit ledger cannot be read as the gates read it \(kfm gate evidence exit 3\)/,
    );
    expect(r.stderr).not.toMatch(/no dev apply receipt/);
  });
});
