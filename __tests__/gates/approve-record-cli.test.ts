import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PREDICATE_TYPES } from '../../attest/predicate-types';

const ROOT = resolve(__dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'receipts', 'cli.js');
const COMMIT = 'd'.repeat(40);
let dir: string;

const kfm = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, encoding: 'utf8' });
const payloadOf = (file: string) =>
  JSON.parse(Buffer.from(JSON.parse(readFileSync(file, 'utf8')).payload, 'base64').toString());

/** A real plan receipt, made by `kfm receipt plan` from a real Terraform plan (fixture). */
function planReceipt(env: string, name: string): string {
  const f = join(dir, name);
  const plan = join(
    ROOT,
    '__tests__',
    'fixtures',
    'receipts',
    'generated',
    'partial-failure',
    '1-create.show-plan.json',
  );
  const r = kfm(
    'receipt',
    'plan',
    plan,
    '--env',
    env,
    '--key',
    join(dir, 'ci', 'kfm-signing.key'),
    '--out',
    f,
    '--commit',
    COMMIT,
    '--actor',
    'author',
    '--method',
    'ci',
  );
  expect(r.stderr).toBe('');
  return f;
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'kfm-approve-'));
  for (const k of ['ci', 'reviewer']) expect(kfm('keygen', '--out-dir', join(dir, k)).status).toBe(0);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kfm approve', () => {
  it('writes a signed approval naming the plan receipt digest, verifiable by anyone with the key', () => {
    const r = planReceipt('prod', 'prod.plan.json');
    const out = join(dir, 'approval.json');
    const a = kfm(
      'approve',
      '--env',
      'prod',
      '--plan-receipt',
      r,
      '--principal',
      'reviewer',
      '--change-record',
      'CR-7',
      '--key',
      join(dir, 'reviewer', 'kfm-signing.key'),
      '--pub',
      join(dir, 'ci', 'kfm-signing.pub'),
      '--out',
      out,
      '--timestamp',
      '2026-11-24T10:00:00Z',
      '--json',
    );
    expect(a.stderr).toBe('');
    expect(a.status).toBe(0);
    const st = payloadOf(out);
    expect(st.predicateType).toBe(PREDICATE_TYPES.approval);
    expect(st.predicate).toMatchObject({
      env: 'prod',
      principal: 'reviewer',
      change_record: 'CR-7',
      timestamps: { approved: '2026-11-24T10:00:00.000Z' },
    });
    expect(st.predicate.plan_receipt.digest).toBe(JSON.parse(a.stdout).plan_receipt);
    expect(kfm('receipt', 'verify', out, '--pub', join(dir, 'reviewer', 'kfm-signing.pub')).status).toBe(0);
    expect(kfm('receipt', 'verify', out, '--pub', join(dir, 'ci', 'kfm-signing.pub')).status).toBe(3);
  });

  it('refuses to approve a plan receipt for another env, with one line and nothing written', () => {
    const r = planReceipt('stage', 'stage.plan.json');
    const out = join(dir, 'never.json');
    const a = kfm(
      'approve',
      '--env',
      'prod',
      '--plan-receipt',
      r,
      '--principal',
      'reviewer',
      '--key',
      join(dir, 'reviewer', 'kfm-signing.key'),
      '--out',
      out,
    );
    expect(a.status).toBe(2);
    expect(a.stderr.trim().split('\n')).toHaveLength(1);
    expect(a.stderr).toMatch(/predicate\.env "stage" does not match --env prod/);
    expect(() => readFileSync(out)).toThrow();
  });

  it('refuses a plan receipt whose signature does not verify under --pub (exit 3)', () => {
    const r = planReceipt('prod', 'prod2.plan.json');
    const a = kfm(
      'approve',
      '--env',
      'prod',
      '--plan-receipt',
      r,
      '--principal',
      'reviewer',
      '--key',
      join(dir, 'reviewer', 'kfm-signing.key'),
      '--pub',
      join(dir, 'reviewer', 'kfm-signing.pub'),
      '--out',
      join(dir, 'never2.json'),
    );
    expect(a.status).toBe(3);
  });

  it('never overwrites an existing approval', () => {
    const r = planReceipt('prod', 'prod3.plan.json');
    const out = join(dir, 'exists.json');
    writeFileSync(out, 'keep me');
    const a = kfm(
      'approve',
      '--env',
      'prod',
      '--plan-receipt',
      r,
      '--principal',
      'reviewer',
      '--key',
      join(dir, 'reviewer', 'kfm-signing.key'),
      '--out',
      out,
    );
    expect(a.status).toBe(2);
    expect(readFileSync(out, 'utf8')).toBe('keep me');
  });
});

describe('kfm record smoke', () => {
  it('passes only when every check passed, and names the commit as its subject', () => {
    const out = join(dir, 'smoke.json');
    const r = kfm(
      'record',
      'smoke',
      '--env',
      'dev',
      '--check',
      'health=pass',
      '--check',
      'logging=fail',
      '--key',
      join(dir, 'ci', 'kfm-signing.key'),
      '--out',
      out,
      '--commit',
      COMMIT,
      '--timestamp',
      '2026-11-24T10:00:00Z',
      '--json',
    );
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).status).toBe('fail');
    const st = payloadOf(out);
    expect(st.predicate.status).toBe('fail');
    expect(st.subject).toEqual([{ name: `git+commit:${COMMIT}`, digest: { gitCommit: COMMIT } }]);
    expect(kfm('receipt', 'verify', out, '--pub', join(dir, 'ci', 'kfm-signing.pub')).status).toBe(0);
  });

  it.each([
    [['--env', 'dev'], /at least one --check/],
    [['--env', 'dev', '--check', 'health=ok'], /must be NAME=pass or NAME=fail/],
    [['--env', 'qa', '--check', 'health=pass'], /--env "qa" is not one of dev, stage, prod/],
  ])('rejects bad input %j with exit 2 and one line', (args, message) => {
    const r = kfm(
      'record',
      'smoke',
      ...(args as string[]),
      '--key',
      join(dir, 'ci', 'kfm-signing.key'),
      '--out',
      join(dir, 'bad.json'),
      '--commit',
      COMMIT,
    );
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
  });
});

describe('kfm gate', () => {
  it('refuses --to dev and an unknown verb as usage errors', () => {
    const store = join(dir, 'audit');
    expect(
      kfm(
        'gate',
        'promote',
        '--to',
        'dev',
        '--store',
        store,
        '--pub',
        join(dir, 'ci', 'kfm-signing.pub'),
        '--commit',
        COMMIT,
      ).status,
    ).toBe(2);
    expect(kfm('gate', 'launch').status).toBe(2);
  });

  it('treats a store that does not exist as bad input (exit 2), not as an empty ledger', () => {
    const r = kfm(
      'gate',
      'promote',
      '--to',
      'stage',
      '--store',
      join(dir, 'no-such-audit'),
      '--pub',
      join(dir, 'ci', 'kfm-signing.pub'),
      '--commit',
      COMMIT,
    );
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/no audit store here/);
  });

  it('denies promotion on an empty ledger with one stderr line per missing piece (exit 1)', () => {
    mkdirSync(join(dir, 'empty-audit'));
    const r = kfm(
      'gate',
      'promote',
      '--to',
      'stage',
      '--store',
      join(dir, 'empty-audit'),
      '--pub',
      join(dir, 'ci', 'kfm-signing.pub'),
      '--commit',
      COMMIT,
    );
    expect(r.status).toBe(1);
    const lines = r.stderr.trim().split('\n');
    // No --checkpoint: one line says the read is unanchored, then one line per missing piece.
    expect(lines[0]).toMatch(/^gate: note: unanchored read of .*: no trusted --checkpoint/);
    expect(lines.slice(1).every((l) => l.startsWith('gate: BLOCKED '))).toBe(true);
    expect(lines).toHaveLength(5);
  });
});
