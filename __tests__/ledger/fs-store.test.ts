import { chmodSync, existsSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { openStore } from '../../ledger/open-store';
import { seqName } from '../../ledger/entry';
import { jsonLines, kfm, makeEnvelopes, makeKey, spawnKfm, tempDir } from './helpers';
import { ledgerSuite } from './ledger-suite';

const entryPath = (spec: string, seq: number) => join(spec, 'entries', `${seqName(seq)}.json`);

ledgerSuite('filesystem', () => {
  const root = tempDir('fs-stores');
  let n = 0;
  return {
    env: process.env,
    newSpec: () => join(root, `store-${++n}`),
    readRaw: async (spec, seq) => readFileSync(entryPath(spec, seq)),
    writeRaw: async (spec, seq, bytes) => {
      const p = entryPath(spec, seq);
      if (existsSync(p)) chmodSync(p, 0o644);
      require('node:fs').mkdirSync(join(spec, 'entries'), { recursive: true });
      writeFileSync(p, bytes);
    },
    deleteEntry: async (spec, seq) => unlinkSync(entryPath(spec, seq)),
    putStray: async (spec, name, bytes) => writeFileSync(join(spec, 'entries', name), bytes),
    writeDerived: async (spec, path, bytes) => {
      const p = join(spec, path);
      if (existsSync(p)) chmodSync(p, 0o644);
      mkdirSync(dirname(p), { recursive: true });
      writeFileSync(p, bytes);
    },
    deleteDerived: async (spec, path) => unlinkSync(join(spec, path)),
  };
});

describe('filesystem store crash safety', () => {
  it('reports a leftover temp file as a note, not an entry, and still verifies', () => {
    const dir = tempDir('fs-leftover');
    const key = makeKey(join(dir, 'k'), 'k');
    const envs = makeEnvelopes(join(dir, 'e'), key, 2);
    const spec = join(dir, 'store');
    expect(kfm(['audit', 'append', '--init', ...envs, '--store', spec]).code).toBe(0);
    writeFileSync(join(spec, 'entries', `.${seqName(3)}.json.tmp-4242-0a1b2c3d4e5f`), '{"partial');
    const r = kfm(['audit', 'verify', '--store', spec, '--pub', key.pub]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/note: .*tmp-4242-0a1b2c3d4e5f: leftover of an interrupted append/);
  });

  it('fails verify with an integrity error (exit 3) when a directory sits where an entry of the log belongs', () => {
    const dir = tempDir('fs-eisdir');
    const key = makeKey(join(dir, 'k'), 'k');
    const spec = join(dir, 'store');
    expect(kfm(['audit', 'append', '--init', ...makeEnvelopes(join(dir, 'e'), key, 3), '--store', spec]).code).toBe(0);
    unlinkSync(entryPath(spec, 2));
    mkdirSync(entryPath(spec, 2));
    const r = kfm(['audit', 'verify', '--store', spec, '--pub', key.pub]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/LOG_INTEGRITY: .*000000000002\.json: is a directory where a log file belongs/);
  });

  it('a directory where the next entry goes is planted ahead of the log: junk, and the append refuses naming it', () => {
    const dir = tempDir('fs-eisdir-next');
    const key = makeKey(join(dir, 'k'), 'k');
    const spec = join(dir, 'store');
    const envs = makeEnvelopes(join(dir, 'e'), key, 3);
    expect(kfm(['audit', 'append', '--init', ...envs.slice(0, 2), '--store', spec]).code).toBe(0);
    mkdirSync(entryPath(spec, 3));
    const r = kfm(['audit', 'verify', '--store', spec, '--pub', key.pub]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /note: junk: .*000000000003\.json: is a directory where a log file belongs \(not read\); entry object that does not chain onto entry 2/,
    );
    const a = kfm(['audit', 'append', envs[2], '--store', spec]);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/000000000003\.json: an object that does not chain onto entry 2 is where entry 3 goes/);
  });

  it('keeps every acknowledged append when appenders are killed with SIGKILL at random instants', async () => {
    const dir = tempDir('fs-kill');
    const key = makeKey(join(dir, 'k'), 'k');
    const spec = join(dir, 'store');
    const acked: { seq: number; digest: string }[] = [];
    let killedMidway = 0;
    // A first, uncut round measures how long 150 appends take on this machine right now; the
    // kills then land at random instants inside that window (stdout may reach us in one burst at
    // the end, so the first acknowledgement is no clock to kill by).
    let window = 0;
    for (let round = 0; round < 13; round++) {
      const files = makeEnvelopes(join(dir, `r${round}`), key, 150, `r${round}`);
      const started = Date.now();
      const child = spawnKfm(['audit', 'append', '--init', ...files, '--store', spec]);
      let out = '';
      let t: NodeJS.Timeout | undefined;
      if (round > 0) {
        // Every fourth round: early, during start-up; the others: anywhere in the run.
        const at = round % 4 === 3 ? Math.random() * 0.3 * window : (0.2 + Math.random() * 0.75) * window;
        t = setTimeout(() => child.kill('SIGKILL'), Math.floor(at));
      }
      child.stdout.on('data', (d) => {
        out += d;
      });
      const exited = await new Promise<number | null>((res) => {
        child.on('close', (code) => {
          if (t) clearTimeout(t);
          res(code);
        });
      });
      // Only complete lines were acknowledged; a cut-off last line was not.
      if (round === 0) window = Date.now() - started;
      const complete = out.slice(0, out.lastIndexOf('\n') + 1);
      const lines = jsonLines(complete);
      if (exited === null && lines.length < files.length) killedMidway++;
      acked.push(...lines);
    }
    const store = openStore(spec);
    for (const x of acked) expect((await store.get(x.seq)).digest).toBe(x.digest);
    expect(new Set(acked.map((x) => x.seq)).size).toBe(acked.length);
    const r = kfm(['audit', 'verify', '--store', spec, '--pub', key.pub]);
    expect(r.stderr.split('\n').filter((l) => l.includes('LOG_INTEGRITY'))).toEqual([]);
    expect(r.code).toBe(0);
    expect(killedMidway).toBeGreaterThan(0); // the test really killed appenders mid-run
  });
});
