import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { changedLeaves, formatPath, maskLeaves, oneSidedLeaves } from '../../receipts/redact/diff';
import { parseCommitmentKey } from '../../receipts/redact/commitment';
import { isReceiptError } from '../../core/errors';
import { KFM_VERSION } from '../../core/version';
import { REPO } from './helpers';

describe('changed leaves', () => {
  it('lists changed paths, treating a sensitive subtree as one leaf and unknown leaves as unknown', () => {
    const d = changedLeaves(
      { a: 1, s: { x: 'old', y: 2 }, l: [1, 2], same: 'z' },
      { a: 2, s: { x: 'new', y: 2 }, l: [1, 3], same: 'z' },
      { s: true },
      { s: true },
      { id: true },
    );
    expect(d.changed).toEqual(['a', 'id', 'l[1]', 's']);
    expect(d.sensitive.map((x) => x.path)).toEqual(['s']);
    expect(d.unknown).toEqual(['id']);
  });
  it('does not report an unchanged sensitive value', () => {
    expect(changedLeaves({ pw: 'x' }, { pw: 'x' }, { pw: true }, { pw: true }, {}).changed).toEqual([]);
  });
  it('quotes odd keys so paths stay unambiguous', () => {
    expect(formatPath(['tags', 'a b', 0, 'ключ', 'x"y'])).toBe('tags["a b"][0]["ключ"]["x\\"y"]');
  });
  it('finds sensitive leaves of a create by walking the mask only', () => {
    const d = oneSidedLeaves(
      { user: 'u', pw: 'p', list: ['s', 'pub'] },
      { pw: true, list: [true, false] },
      { id: true },
      'after',
    );
    expect(d.sensitive.map((x) => [x.path, x.after])).toEqual([
      ['list[0]', 's'],
      ['pw', 'p'],
    ]);
    expect(d.unknown).toEqual(['id']);
    expect(maskLeaves({})).toEqual([]);
  });
});

describe('commitment key files', () => {
  it('accepts 32 bytes of hex and refuses a short key without echoing it', () => {
    expect(parseCommitmentKey(Buffer.from('ab'.repeat(32)), 'k').secret).toHaveLength(32);
    try {
      parseCommitmentKey(Buffer.from('KFM-CANARY-short'), 'k');
      throw new Error('expected failure');
    } catch (e) {
      expect(isReceiptError(e)).toBe(true);
      expect((e as Error).message).not.toContain('CANARY');
    }
  });
});

describe('generated artifacts', () => {
  it('keeps attest/schema/compiled-*.ts in step with schemas/ (regenerate with scripts/fixtures/generate-schema-validators.ts)', () => {
    // In a child process: prettier (which formats the generated file) needs real dynamic import.
    const r = spawnSync(
      process.execPath,
      [require.resolve('tsx/cli'), join(REPO, 'scripts', 'fixtures', 'generate-schema-validators.ts'), '--check'],
      { encoding: 'utf8' },
    );
    expect(r.stdout).toContain('up to date');
    expect(r.status).toBe(0);
  });
  it('records the package.json version as the kfm tooling version', () => {
    expect(KFM_VERSION).toBe(JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')).version);
  });
});
