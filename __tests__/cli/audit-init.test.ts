/**
 * `kfm audit init` creates a store explicitly (appends refuse one that does not exist): a
 * directory with its folders, idempotent, never over a directory that holds something else.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keypair, kfm, PROV, TF, tmp } from '../receipts/helpers';

const PLAN = join(TF, 'generated-tf1.11.4', 'lifecycle', '2-change.show-plan.json');

describe('kfm audit init', () => {
  const d = tmp('kfm-init-');

  it('creates a directory store with its folders and says so', () => {
    const store = join(d, 'new', 'audit');
    const r = kfm(['audit', 'init', '--store', store, '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ store, created: true, entries: 0 });
    expect(existsSync(join(store, 'entries'))).toBe(true);
    expect(existsSync(join(store, 'checkpoints'))).toBe(true);
  });

  it('leaves an existing ledger as it is: the entries stay, nothing is created', () => {
    const keys = keypair();
    const store = join(d, 'kept');
    expect(kfm(['audit', 'init', '--store', store]).status).toBe(0);
    const receipt = join(d, 'dev.plan.json');
    expect(kfm(['receipt', 'plan', PLAN, '--env', 'dev', '--key', keys.key, '--out', receipt, ...PROV]).status).toBe(0);
    expect(kfm(['audit', 'append', receipt, '--store', store]).status).toBe(0);
    const again = kfm(['audit', 'init', '--store', store]);
    expect(again.status).toBe(0);
    expect(again.stdout).toBe(`${store}: already a store, 1 entries\n`);
  });

  it('refuses a directory holding files that are not an audit store’s, naming them', () => {
    const store = join(d, 'home');
    mkdirSync(store);
    writeFileSync(join(store, 'notes.txt'), 'x');
    const r = kfm(['audit', 'init', '--store', store]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      /home: holds notes\.txt, which are not an audit store's; choose an empty or new directory/,
    );
    expect(existsSync(join(store, 'entries'))).toBe(false);
  });

  it('refuses an empty --store', () => {
    expect(kfm(['audit', 'init', '--store', '']).status).toBe(2);
  });
});
