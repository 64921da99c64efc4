import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReceiptError } from '../../core/errors';
import { existsError, refuseExisting, writeFileExclusive } from '../../core/files';
import { isObject } from '../../core/json';

describe('isObject', () => {
  it('is true for a JSON object only, never for null, an array or a scalar', () => {
    expect([{}, { a: 1 }].map(isObject)).toEqual([true, true]);
    expect([null, [], 'x', 1, true, undefined].map(isObject)).toEqual([false, false, false, false, false, false]);
  });
});

describe('refusing to overwrite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kfm-files-'));

  it('names the path and says how to choose another, with code FILE_EXISTS (exit 2)', () => {
    const e = existsError('out/x.json');
    expect(e).toBeInstanceOf(ReceiptError);
    expect([e.code, e.exitCode, e.message]).toEqual([
      'FILE_EXISTS',
      2,
      'out/x.json: already exists; refusing to overwrite (choose a new --out)',
    ]);
    expect(existsError('k/kfm-signing.key', 'use another --out-dir', 'a key').message).toBe(
      'k/kfm-signing.key: already exists; refusing to overwrite a key (use another --out-dir)',
    );
  });

  it('refuses an existing file before any work and leaves its bytes alone', () => {
    const p = join(dir, 'receipt.json');
    writeFileSync(p, 'first');
    expect(() => refuseExisting(p)).toThrow(/already exists; refusing to overwrite/);
    expect(() => writeFileExclusive(p, 'second')).toThrow(expect.objectContaining({ code: 'FILE_EXISTS' }));
    expect(readFileSync(p, 'utf8')).toBe('first');
    expect(() => refuseExisting(join(dir, 'new.json'))).not.toThrow();
  });
});

describe('writing a file from a writer of pieces', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kfm-pieces-'));

  it('publishes the pieces in order, as one file', () => {
    const p = join(dir, 'pieces.json');
    writeFileExclusive(p, (put) => ['{"a":', '"ü"', '}\n'].forEach((t) => put(Buffer.from(t, 'utf8'))));
    expect(readFileSync(p, 'utf8')).toBe('{"a":"ü"}\n');
  });

  it('publishes nothing and leaves no temp file when the writer fails half way', () => {
    const p = join(dir, 'failed.json');
    const boom = new Error('the signer failed');
    expect(() =>
      writeFileExclusive(p, (put) => {
        put(Buffer.from('half a receipt'));
        throw boom;
      }),
    ).toThrow(boom);
    expect(readdirSync(dir).filter((f) => f.includes('failed'))).toEqual([]);
  });

  it('never runs the writer over an existing file', () => {
    const p = join(dir, 'kept.json');
    writeFileSync(p, 'first');
    let ran = false;
    expect(() =>
      writeFileExclusive(p, () => {
        ran = true;
      }),
    ).toThrow(expect.objectContaining({ code: 'FILE_EXISTS' }));
    expect([ran, readFileSync(p, 'utf8')]).toEqual([false, 'first']);
  });
});
