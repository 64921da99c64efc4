import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readDigestedInput } from '../../core/files';
import { parsePlanDocument, readPlanDocument } from '../../terraform/plan';

const dir = mkdtempSync(join(tmpdir(), 'kfm-digested-'));
const sha = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const write = (name: string, bytes: Buffer | string): string => {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
};
const PLAN = join(
  __dirname,
  '..',
  'fixtures',
  'receipts',
  'terraform',
  'generated-tf1.11.4',
  'lifecycle',
  '2-change.show-plan.json',
);

describe('readDigestedInput: the digest of exactly the bytes read, and their text when ASCII', () => {
  it('reads an ASCII file of many pieces as text, hashed as its bytes', () => {
    // 5.5 MiB: six pieces, the last one short.
    const bytes = Buffer.from('{"a":"' + 'x'.repeat(5.5 * (1 << 20)) + '"}');
    const r = readDigestedInput(write('big.json', bytes), 'plan JSON', 1 << 30);
    expect(r.bytes).toBeUndefined();
    expect(r.ascii).toBe(bytes.toString('utf8'));
    expect(r.digest).toBe(sha(bytes));
  });

  it('gives the bytes of a file holding one byte above 0x7f, even in its last piece, with their digest', () => {
    const bytes = Buffer.concat([Buffer.from('{"a":"' + 'x'.repeat(5 << 20)), Buffer.from('é"}', 'utf8')]);
    const r = readDigestedInput(write('utf8.json', bytes), 'plan JSON', 1 << 30);
    expect(r.ascii).toBeUndefined();
    expect(r.bytes!.equals(bytes)).toBe(true);
    expect(r.digest).toBe(sha(bytes));
  });

  it('reads a small file whole, as bytes', () => {
    const bytes = Buffer.from('{"a":"' + 'x'.repeat(1 << 20) + '"}');
    const r = readDigestedInput(write('small.json', bytes), 'plan JSON', 1 << 30);
    expect([r.ascii, r.bytes?.equals(bytes), r.digest]).toEqual([undefined, true, sha(bytes)]);
  });

  it('sends UTF-16 (ASCII bytes and NULs) and invalid UTF-8 to the byte decoder, which names them', () => {
    const utf16 = write(
      'utf16.json',
      Buffer.from('{"format_version":"1.2","a":"' + 'x'.repeat(3 << 20) + '"}', 'utf16le'),
    );
    expect(readDigestedInput(utf16, 'plan JSON', 1 << 30).bytes).toBeDefined();
    expect(() => readPlanDocument(utf16)).toThrow(/is UTF-16/);
    const invalid = write(
      'invalid.json',
      Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]),
    );
    expect(() => readPlanDocument(invalid)).toThrow(/not valid UTF-8/);
  });

  it('refuses an empty file and a missing one with the same lines as before', () => {
    expect(() => readDigestedInput(write('empty.json', ''), 'plan JSON', 10)).toThrow(
      expect.objectContaining({ code: 'FILE_EMPTY' }),
    );
    expect(() => readDigestedInput(join(dir, 'nope.json'), 'plan JSON', 10)).toThrow(
      expect.objectContaining({
        code: 'FILE_NOT_FOUND',
        message: `${join(dir, 'nope.json')}: plan JSON file not found`,
      }),
    );
    expect(() => readDigestedInput(dir, 'plan JSON', 10)).toThrow(expect.objectContaining({ code: 'INPUT_INVALID' }));
  });

  it('stops reading a file past the limit, so the size check refuses it', () => {
    const p = write('huge.json', Buffer.alloc(12 << 20, 0x20));
    const r = readDigestedInput(p, 'plan JSON', 5 << 20);
    expect(r.ascii!.length).toBeLessThan(12 << 20);
    expect(r.ascii!.length).toBeGreaterThan(5 << 20);
  });

  it('reads a FIFO to its end', async () => {
    const fifo = join(dir, 'plan.fifo');
    execFileSync('mkfifo', [fifo]);
    const text = readFileSync(PLAN, 'utf8');
    const writer = spawn('sh', ['-c', `cat "$0" > "$1"`, PLAN, fifo]);
    const r = readDigestedInput(fifo, 'plan JSON', 1 << 30);
    await new Promise((ok) => writer.on('exit', ok));
    expect(r.ascii).toBe(text);
    expect(r.digest).toBe(sha(readFileSync(PLAN)));
  });
});

describe('readPlanDocument', () => {
  it('parses a plan as parsePlanDocument does on its bytes, with the digest of its bytes', () => {
    const { doc, digest } = readPlanDocument(PLAN);
    expect(doc).toEqual(parsePlanDocument(readFileSync(PLAN), PLAN));
    expect(digest).toBe(sha(readFileSync(PLAN)));
  });

  it('judges random bytes after 5 MiB of blanks, ASCII or not, exactly as the byte reader does', () => {
    const blanks = Buffer.alloc(5 << 20, 0x20);
    for (let i = 0; i < 12; i++) {
      const raw = randomBytes(64 + i);
      // Even cases: ASCII only (NULs included), the path read as text.
      if (i % 2 === 0) for (let j = 0; j < raw.length; j++) raw[j]! &= 0x7f;
      const p = write(`random-${i}.json`, Buffer.concat([blanks, raw]));
      const viaBytes = (() => {
        try {
          return parsePlanDocument(readFileSync(p), p);
        } catch (e) {
          return (e as Error).message;
        }
      })();
      const viaRead = (() => {
        try {
          return readPlanDocument(p).doc;
        } catch (e) {
          return (e as Error).message;
        }
      })();
      expect(viaRead).toEqual(viaBytes);
    }
  });
});
