/**
 * Anchored reads and checkpoints of a good log only, with the real CLI on a directory store:
 * what someone who can write the store but holds no key can do (delete the newest entries,
 * rewrite history and delete checkpoints/), and what a trusted checkpoint catches.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeEnvelopes, makeKey, REPO, tempDir } from '../ledger/helpers';

const CLI = join(REPO, 'dist', 'receipts', 'cli.js');
const COMMIT = 'a'.repeat(40);
const dir = tempDir('anchored');
const ci = makeKey(join(dir, 'keys'), 'ci');

function kfm(...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A store with `n` entries signed by the CI key. */
function storeWith(name: string, n: number, tag = name): string {
  const store = join(dir, name);
  for (const f of makeEnvelopes(join(dir, `env-${tag}`), ci, n, tag)) {
    expect(kfm('audit', 'append', '--init', f, '--store', store).code).toBe(0);
  }
  return store;
}

function checkpoint(store: string, out: string, ...extra: string[]) {
  return kfm('audit', 'checkpoint', '--store', store, '--key', ci.key, '--pub', ci.pub, '--out', out, ...extra);
}

const promote = (store: string, ...extra: string[]) =>
  kfm('gate', 'promote', '--to', 'stage', '--store', store, '--pub', ci.pub, '--commit', COMMIT, '--json', ...extra);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('kfm gate --checkpoint (anchored reads)', () => {
  it('says in one line that a read without a trusted checkpoint is unanchored', () => {
    const store = storeWith('unanchored', 2);
    const r = promote(store);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('gate: note:'))).toEqual([
      `gate: note: unanchored read of ${store}: no trusted --checkpoint, so deleted newest entries or a rewritten history cannot be seen (docs/gates.md)`,
    ]);
    const j = JSON.parse(r.stdout);
    expect(j.ledger).toMatchObject({ size: 2, anchored: false });
  });

  it('catches deleted newest entries, naming the first missing one', () => {
    const store = storeWith('truncated', 4);
    const cp = join(dir, 'truncated.cp');
    expect(checkpoint(store, cp).code).toBe(0);
    const anchored = promote(store, '--checkpoint', cp);
    expect(JSON.parse(anchored.stdout).ledger).toMatchObject({ size: 4, anchored: true });
    expect(anchored.stderr).not.toMatch(/unanchored/);
    // The appender deletes the two newest entries (a drifted report, a failed apply) and the
    // stored checkpoints: without the trusted checkpoint nothing looks wrong.
    unlinkSync(join(store, 'entries', '000000000004.json'));
    unlinkSync(join(store, 'entries', '000000000003.json'));
    rmSync(join(store, 'checkpoints'), { recursive: true });
    // Unanchored, the index note the checkpoint signed (left behind) still names the truncation.
    const blind = promote(store);
    expect(blind.stderr).toMatch(/BLOCKED audit ledger: .*signed index of 4 entries but the log has 2/);
    const r = promote(store, '--checkpoint', cp);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /BLOCKED audit ledger: .* does not verify .*(checkpoint covers|signed index of) 4 entries but the log has 2: .*000000000003\.json to .*000000000004\.json are missing/,
    );
  });

  it('catches a rewritten history (chain recomputed, checkpoints/ deleted)', () => {
    const store = storeWith('rewritten', 3);
    const cp = join(dir, 'rewritten.cp');
    expect(checkpoint(store, cp).code).toBe(0);
    rmSync(store, { recursive: true });
    storeWith('rewritten', 3, 'forged');
    expect(kfm('audit', 'verify', '--store', store, '--pub', ci.pub).code).toBe(0);
    const r = promote(store, '--checkpoint', cp);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/BLOCKED audit ledger: .*not a consistent extension of this checkpoint/);
  });

  it('gate apply takes --checkpoint too', () => {
    const store = storeWith('apply-gate', 2);
    const cp = join(dir, 'apply-gate.cp');
    expect(checkpoint(store, cp).code).toBe(0);
    unlinkSync(join(store, 'entries', '000000000002.json'));
    const plan = join(dir, 'x.tfplan');
    writeFileSync(plan, 'plan');
    const r = kfm(
      'gate',
      'apply',
      '--env',
      'dev',
      '--plan-file',
      plan,
      '--store',
      store,
      '--pub',
      ci.pub,
      '--commit',
      COMMIT,
      '--checkpoint',
      cp,
    );
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/BLOCKED audit ledger: .*(checkpoint covers|signed index of) 2 entries but the log has 1/);
  });
});

describe('kfm audit checkpoint signs only a good log', () => {
  it('refuses (exit 3, one line) to sign a history rewritten below a stored checkpoint', () => {
    const store = storeWith('cp-rewrite', 3);
    expect(checkpoint(store, join(dir, 'cp-rewrite.1')).code).toBe(0);
    const stored = readdirSync(join(store, 'checkpoints'));
    const keep = readFileSync(join(store, 'checkpoints', stored[0]!));
    rmSync(store, { recursive: true });
    storeWith('cp-rewrite', 4, 'forged2');
    mkdirSync(join(store, 'checkpoints'), { recursive: true });
    writeFileSync(join(store, 'checkpoints', stored[0]!), keep);
    const r = checkpoint(store, join(dir, 'cp-rewrite.2'));
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(
      /kfm audit checkpoint: .* does not verify .*nothing signed; first: .*not a consistent extension/,
    );
    expect(() => readFileSync(join(dir, 'cp-rewrite.2'))).toThrow();
  });

  it('catches it with --checkpoint even after checkpoints/ was deleted', () => {
    const store = storeWith('cp-deleted', 2);
    const first = join(dir, 'cp-deleted.1');
    expect(checkpoint(store, first).code).toBe(0);
    rmSync(store, { recursive: true });
    storeWith('cp-deleted', 2, 'forged3');
    expect(checkpoint(store, join(dir, 'cp-deleted.2'), '--checkpoint', first).code).toBe(3);
  });

  it('with --pub, is not jammed by an entry no trusted key signed (junk: never evidence, listed)', () => {
    const other = makeKey(join(dir, 'keys'), 'other');
    const store = storeWith('cp-unsigned', 1);
    const [f] = makeEnvelopes(join(dir, 'env-unsigned'), other, 1, 'unsigned');
    expect(kfm('audit', 'append', '--init', f!, '--store', store).code).toBe(0);
    const r = checkpoint(store, join(dir, 'cp-unsigned.1'));
    expect([r.code, r.stderr]).toEqual([0, '']);
  });

  it('without --pub checks chain, tree and stored checkpoints and says signatures were not', () => {
    const store = storeWith('cp-nopub', 2);
    const r = kfm('audit', 'checkpoint', '--store', store, '--key', ci.key, '--out', join(dir, 'cp-nopub.1'));
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'kfm: note: entry signatures not checked (no --pub); chain, tree and stored checkpoints verified\n',
    );
    expect(JSON.parse(r.stdout).size).toBe(2);
  });
});

describe('smaller input checks', () => {
  it('refuses a size-0 checkpoint whose root is not the empty tree', () => {
    const store = storeWith('size0', 1);
    const cp = join(dir, 'size0.cp');
    expect(checkpoint(store, cp).code).toBe(0);
    const forged = readFileSync(cp, 'utf8').replace(/\n1\n/, '\n0\n');
    writeFileSync(join(dir, 'size0.forged'), forged);
    const r = kfm('audit', 'verify', '--store', store, '--pub', ci.pub, '--checkpoint', join(dir, 'size0.forged'));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/tree size 0 with a root that is not the empty tree's/);
  });

  it('gives exit 2 and one line for a malformed --proof file', () => {
    const store = storeWith('proof', 1);
    const cp = join(dir, 'proof.cp');
    expect(checkpoint(store, cp).code).toBe(0);
    for (const [name, text] of [
      ['truncated', '{"v": "kfm-audit-inclusion'],
      ['null', 'null'],
      ['fields', '{"v":"kfm-audit-inclusion-proof/1","entry":"AA==","hashes":[1],"leafIndex":0,"treeSize":1}'],
    ]) {
      const p = join(dir, `proof.${name}.json`);
      writeFileSync(p, text!);
      const r = kfm('audit', 'verify-proof', '--proof', p, '--checkpoint', cp, '--pub', ci.pub);
      expect({ name, code: r.code, lines: r.stderr.trim().split('\n').length }).toEqual({ name, code: 2, lines: 1 });
      expect(r.stderr).not.toMatch(/INTERNAL/);
    }
  });

  it('refuses a private key readable by group or others, saying the chmod to run', () => {
    const k = makeKey(join(dir, 'keys'), 'open');
    chmodSync(k.key, 0o640);
    const store = storeWith('perm', 1);
    const r = kfm('audit', 'checkpoint', '--store', store, '--key', k.key, '--out', join(dir, 'perm.cp'));
    expect(r.code).toBe(2);
    expect(r.stderr.trim()).toBe(
      `kfm: INPUT_INVALID: ${k.key}: private key is accessible by group or others (mode 0640); run chmod 600 ${k.key}`,
    );
    chmodSync(k.key, 0o600);
    expect(kfm('audit', 'checkpoint', '--store', store, '--key', k.key, '--out', join(dir, 'perm.cp')).code).toBe(0);
  });
});
