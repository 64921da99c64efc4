import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Directories opened read-only by core/files.ts: that is how it fsyncs a directory.
const dirsOpened: string[] = [];
jest.mock('node:fs', () => {
  const actual = jest.requireActual<typeof import('node:fs')>('node:fs');
  return {
    ...actual,
    openSync: (p: string, flags: string, mode?: number) => {
      if (flags === 'r') dirsOpened.push(String(p));
      return actual.openSync(p, flags, mode);
    },
  };
});
import { mkdtempSync, rmSync } from 'node:fs';
import { writeFileExclusive } from '../../core/files';

describe('writeFileExclusive durability', () => {
  it('fsyncs the parent of every directory it creates (a new store survives a crash)', () => {
    const root = mkdtempSync(join(tmpdir(), 'kfm-fsync-'));
    writeFileExclusive(join(root, 'store', 'entries', '000000000001.json'), '{}');
    expect(dirsOpened).toEqual([join(root, 'store', 'entries'), join(root, 'store'), root]);
    dirsOpened.length = 0;
    writeFileExclusive(join(root, 'store', 'entries', '000000000002.json'), '{}');
    expect(dirsOpened).toEqual([join(root, 'store', 'entries')]);
    rmSync(root, { recursive: true, force: true });
  });
});
