import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { kfm, REPO, tmp } from '../receipts/helpers';

/** A ledger, its checkpoint, a proof and receipts written by main at 7c9073a (see its README). */
const LEGACY = join(REPO, '__tests__', 'fixtures', 'legacy', 'main-7c9073a');
const PUBS = ['--pub', join(LEGACY, 'keys', 'kfm-signing.pub')];
const APPROVER_PUBS = readdirSync(join(LEGACY, 'approvers')).flatMap((f) => ['--pub', join(LEGACY, 'approvers', f)]);

describe('ledgers and receipts written by the previous version', () => {
  it('verifies the old ledger against its old checkpoint', () => {
    const store = join(tmp('kfm-legacy-'), 'audit');
    cpSync(join(LEGACY, 'audit'), store, { recursive: true });
    const r = kfm([
      'audit',
      'verify',
      '--store',
      store,
      ...PUBS,
      ...APPROVER_PUBS,
      '--checkpoint',
      join(LEGACY, 'checkpoint.txt'),
    ]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toMatch(/^ok: 15 entries, root O\+e7q3nP7hWFVbl2kbbaZjOGwvEVGYib374THTIFNno=/);
  });

  it('verifies an old inclusion proof of an old entry', () => {
    const r = kfm([
      'audit',
      'verify-proof',
      '--proof',
      join(LEGACY, 'proof-3.json'),
      '--checkpoint',
      join(LEGACY, 'checkpoint.txt'),
      ...PUBS,
      '--envelope',
      join(LEGACY, 'entry-3.envelope.json'),
    ]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, seq: 3, treeSize: 15 });
  });

  const receipts = readdirSync(join(LEGACY, 'receipts')).sort();
  it.each(receipts)('verifies the old receipt %s', (name) => {
    const r = kfm(['receipt', 'verify', join(LEGACY, 'receipts', name), ...PUBS, ...APPROVER_PUBS, '--json']);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout).verified).toBe(true);
  });

  it('under a key that did not sign it, every envelope of the old ledger is junk: not evidence, a failure under --strict', () => {
    const args = ['audit', 'verify', '--store', join(LEGACY, 'audit'), '--pub', join(LEGACY, 'approvers', 'author.pub')];
    const r = kfm(args);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/note: junk: .*000000000001\.json: envelope not signed by a trusted key/);
    expect(r.stdout).toMatch(/ok: \d+ entries, .* \d+ junk object\(s\) no trusted key signed/);
    expect(kfm([...args, '--strict']).status).toBe(3);
  });
});
