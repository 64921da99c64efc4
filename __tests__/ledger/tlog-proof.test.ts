/**
 * `kfm audit prove --format tlog-proof` writes a c2sp.org/tlog-proof@v1 file (entry, index,
 * inclusion path, the checkpoint), and `kfm audit verify-proof` reads it offline, alone or with a
 * trusted checkpoint, on a ledger written by the previous version. An altered path, index or
 * checkpoint fails; the JSON proof format keeps working.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kfm, REPO, tmp } from '../receipts/helpers';

const LEGACY = join(REPO, '__tests__', 'fixtures', 'legacy', 'main-7c9073a');
const PUB = ['--pub', join(LEGACY, 'keys', 'kfm-signing.pub')];
const CP = join(LEGACY, 'checkpoint.txt');
const dir = tmp('kfm-tlog-proof-');
const store = join(dir, 'audit');
const proofFile = join(dir, 'proof-3.tlog');

beforeAll(() => {
  cpSync(join(LEGACY, 'audit'), store, { recursive: true });
  const r = kfm(['audit', 'prove', '--store', store, '--seq', '3', '--checkpoint', CP, '--format', 'tlog-proof']);
  if (r.status !== 0) throw new Error(r.stderr);
  writeFileSync(proofFile, r.stdout);
}, 180_000);

const verifyProof = (file: string, extra: string[] = []) =>
  kfm(['audit', 'verify-proof', '--proof', file, ...PUB, ...extra]);

describe('C2SP tlog-proof', () => {
  it('writes header, extra (the entry), index, the path, a blank line and the checkpoint as given', () => {
    const text = readFileSync(proofFile, 'utf8');
    const [head, checkpoint] = [text.slice(0, text.indexOf('\n\n')), text.slice(text.indexOf('\n\n') + 2)];
    const lines = head.split('\n');
    expect(lines[0]).toBe('c2sp.org/tlog-proof@v1');
    expect(lines[1]).toMatch(/^extra [A-Za-z0-9+/]+=*$/);
    expect(lines[2]).toBe('index 2');
    expect(lines.slice(3).length).toBeGreaterThan(0);
    for (const h of lines.slice(3)) expect(Buffer.from(h, 'base64')).toHaveLength(32);
    expect(checkpoint).toBe(readFileSync(CP, 'utf8'));
  });

  it('verifies offline with only the proof and the key, and with the envelope it proves', () => {
    const r = verifyProof(proofFile, ['--envelope', join(LEGACY, 'entry-3.envelope.json')]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, seq: 3, treeSize: 15 });
    expect(verifyProof(proofFile, ['--checkpoint', CP]).status).toBe(0);
  }, 120_000);

  it('fails when a path hash, the index or the checkpoint is altered', () => {
    const text = readFileSync(proofFile, 'utf8');
    const lines = text.split('\n');
    const flipped = [...lines];
    flipped[3] = Buffer.alloc(32, 1).toString('base64');
    const cases: [string, string, number, RegExp][] = [
      ['path', flipped.join('\n'), 3, /LOG_INTEGRITY: .*does not verify/],
      ['index', text.replace('index 2\n', 'index 3\n'), 3, /LOG_INTEGRITY/],
      [
        'root',
        text.replace(/\n15\n[^\n]+\n/, `\n15\n${Buffer.alloc(32, 9).toString('base64')}\n`),
        3,
        /CHECKPOINT_INVALID/,
      ],
      ['header', text.replace('tlog-proof@v1', 'tlog-proof@v9'), 2, /INPUT_INVALID|JSON/],
    ];
    for (const [name, body, status, msg] of cases) {
      const f = join(dir, `bad-${name}.tlog`);
      writeFileSync(f, body);
      const r = verifyProof(f, name === 'header' ? ['--checkpoint', CP] : []);
      expect([name, r.status]).toEqual([name, status]);
      expect(r.stderr).toMatch(msg);
    }
  }, 180_000);

  it('refuses a tlog-proof whose checkpoint differs from the trusted --checkpoint given', () => {
    const text = readFileSync(proofFile, 'utf8');
    const other = join(dir, 'other-cp.txt');
    writeFileSync(other, readFileSync(CP, 'utf8').replace(/^[^\n]+\n15\n/, 'kfm-infra/audit\n14\n'));
    const r = verifyProof(proofFile, ['--checkpoint', other]);
    expect(r.status).toBe(3);
    expect(r.stderr).toMatch(/LOG_INTEGRITY: .*its checkpoint differs from .*other-cp.txt/);
    expect(text.length).toBeGreaterThan(0);
  }, 120_000);

  it('needs --checkpoint to write a tlog-proof', () => {
    const r = kfm(['audit', 'prove', '--store', store, '--seq', '3', '--format', 'tlog-proof']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--format tlog-proof needs --checkpoint/);
  }, 120_000);
});
