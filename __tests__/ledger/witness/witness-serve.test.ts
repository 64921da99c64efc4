/**
 * `kfm witness serve` as real processes on loopback, and `kfm audit checkpoint / verify /
 * verify-proof` talking to them through the real CLI.
 */
import { ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../../ledger/open-store';
import { parseCheckpoint, signCheckpoint } from '../../../ledger/checkpoint';
import { formatAddCheckpoint } from '../../../ledger/witness/witness';
import { treeWithProofs } from '../../../ledger/witness/log-tree';
import { kfm, kfmAsync, KeyFiles, makeEnvelopes, makeKey, spawnKfm, tempDir } from '../helpers';

jest.setTimeout(120_000);

interface Running {
  readonly name: string;
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
}

const dir = tempDir('witness-serve');
const log = makeKey(dir, 'log');
const keys: Record<string, KeyFiles> = Object.fromEntries(
  ['w1', 'w2', 'w3', 'impostor'].map((n) => [n, makeKey(dir, n)]),
);
const running: Running[] = [];

function startWitness(name: string, key = keys[name], state = join(dir, `state-${name}`)): Promise<Running> {
  const child = spawnKfm([
    'witness',
    'serve',
    '--key',
    key.key,
    '--name',
    `example.org/${name}`,
    '--log',
    `kfm-infra/audit=${log.pub}`,
    '--state',
    state,
    '--listen',
    '127.0.0.1:0',
  ]);
  const exited = new Promise<number | null>((res) => child.on('exit', (code) => res(code)));
  return new Promise((resolve, reject) => {
    let out = '';
    let err = '';
    child.stderr!.on('data', (d) => (err += d));
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /^(http:\/\/127\.0\.0\.1:\d+)\n/.exec(out);
      if (m) {
        const r = { name, url: m[1], child, exited };
        running.push(r);
        resolve(r);
      }
    });
    child.on('exit', (code) => reject(new Error(`witness ${name} exited ${code}: ${err}`)));
  });
}

async function stop(w: Running): Promise<number | null> {
  w.child.kill('SIGTERM');
  const code = await w.exited;
  running.splice(running.indexOf(w), 1);
  return code;
}

afterAll(async () => {
  for (const w of [...running]) await stop(w);
});

const wflags = (ws: readonly Running[], pub: (n: string) => string = (n) => keys[n].pub) =>
  ws.flatMap((w) => [
    '--witness',
    `example.org/${w.name}=${pub(w.name)}`,
    '--witness-url',
    `example.org/${w.name}=${w.url}`,
  ]);
const trust = (names: readonly string[], pub: (n: string) => string = (n) => keys[n].pub) =>
  names.flatMap((n) => ['--witness', `example.org/${n}=${pub(n)}`]);

let n = 0;
const out = () => join(dir, `cp-${++n}.txt`);

/** `kfm audit checkpoint` of the log at `at`, with these witness flags, needing `quorum` cosignatures. */
const checkpointArgs = (at: string, witnessFlags: readonly string[], quorum: number, cp: string = out()) => [
  'audit',
  'checkpoint',
  '--store',
  at,
  '--key',
  log.key,
  '--pub',
  log.pub,
  '--out',
  cp,
  ...witnessFlags,
  '--quorum',
  String(quorum),
];
const checkpointWith = (at: string, ws: readonly Running[], quorum: number) =>
  kfm(checkpointArgs(at, wflags(ws), quorum));

async function append(store: string, count: number, tag: string): Promise<void> {
  const s = openStore(store, { env: {} });
  for (const f of makeEnvelopes(join(dir, `env-${tag}`), log, count, tag)) await s.append(readFileSync(f));
}

describe('kfm witness serve (real processes on loopback)', () => {
  const store = join(dir, 'store');
  let w1: Running, w2: Running, w3: Running;

  beforeAll(async () => {
    [w1, w2, w3] = await Promise.all([startWitness('w1'), startWitness('w2'), startWitness('w3')]);
    await append(store, 3, 'a');
  });

  it('cosigns with a quorum of witnesses; verify and verify-proof trust it offline', () => {
    const cp = out();
    const r = kfm(checkpointArgs(store, wflags([w1, w2, w3]), 2, cp));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      size: 3,
      quorum: 2,
      cosigners: ['example.org/w1', 'example.org/w2', 'example.org/w3'],
    });
    const note = readFileSync(cp, 'utf8');
    expect(note.split('\n').filter((l) => l.startsWith('— example.org/'))).toHaveLength(3);
    const v = kfm([
      'audit',
      'verify',
      '--store',
      store,
      '--pub',
      log.pub,
      ...trust(['w1', 'w2', 'w3']),
      '--quorum',
      '2',
    ]);
    expect(v.stdout).toMatch(/^ok: 3 entries, .* 1 witnessed \(quorum 2\)\n$/);
    expect(v.code).toBe(0);
    writeFileSync(
      join(dir, 'proof.json'),
      kfm(['audit', 'prove', '--store', store, '--seq', '2', '--checkpoint', cp]).stdout,
    );
    const p = kfm([
      'audit',
      'verify-proof',
      '--proof',
      join(dir, 'proof.json'),
      '--checkpoint',
      cp,
      '--pub',
      log.pub,
      ...trust(['w1', 'w2']),
      '--quorum',
      '2',
    ]);
    expect(p.code).toBe(0);
    expect(JSON.parse(p.stdout).witnesses).toEqual(['example.org/w1', 'example.org/w2']);
    // The log's own signature still verifies without witnesses, as before.
    expect(
      kfm(['audit', 'verify-proof', '--proof', join(dir, 'proof.json'), '--checkpoint', cp, '--pub', log.pub]).code,
    ).toBe(0);
  });

  it('distrusts a cosignature under another key than the one configured', () => {
    const cp = join(dir, 'cp-1.txt');
    const wrong = (name: string) => (name === 'w2' ? keys.impostor.pub : keys[name].pub);
    const v = kfm([
      'audit',
      'verify-proof',
      '--proof',
      join(dir, 'proof.json'),
      '--checkpoint',
      cp,
      '--pub',
      log.pub,
      ...trust(['w1', 'w2'], wrong),
      '--quorum',
      '2',
    ]);
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(/not witnessed: 1 of 2 .*example\.org\/w2: no cosignature under its configured key/);
    expect(
      kfm(['audit', 'verify', '--store', store, '--pub', log.pub, ...trust(['w1', 'w2'], wrong), '--quorum', '2']).code,
    ).toBe(3);
  });

  it('fails when fewer than the quorum cosign: one line per witness, nothing stored or written', async () => {
    await append(store, 1, 'b');
    const impostor = await startWitness('w4', keys.impostor, join(dir, 'state-w4'));
    const before = readdirSync(join(store, 'checkpoints')).length;
    const cp = out();
    const r = kfm(checkpointArgs(store, [...wflags([w1]), ...wflags([impostor], () => keys.w3.pub)], 2, cp));
    expect(r.code).toBe(3);
    expect(r.stderr.split('\n').filter(Boolean)).toEqual([
      'kfm: witness example.org/w1: cosigned tree size 4',
      'kfm: witness example.org/w4: answered 200 but with no valid cosignature under its configured key',
      'kfm: CHECKPOINT_INVALID: checkpoint of tree size 4 not witnessed: 1 of 2 witness(es) cosigned, quorum 2; nothing stored or written',
    ]);
    expect(existsSync(cp)).toBe(false);
    expect(readdirSync(join(store, 'checkpoints'))).toHaveLength(before);
    await stop(impostor);
  });

  it('reaches quorum 2 of 3 with one witness down, and says which one', async () => {
    expect(await stop(w3)).toBe(0); // SIGTERM: stops cleanly
    const r = checkpointWith(store, [w1, w2, w3], 2);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).witnesses).toEqual([
      // Each witness is asked from the size the log's stored checkpoints show it cosigned.
      { name: 'example.org/w1', cosigned: true, answer: 'cosigned tree size 4' },
      { name: 'example.org/w2', cosigned: true, answer: 'cosigned tree size 4' },
      { name: 'example.org/w3', cosigned: false, answer: 'unreachable (ECONNREFUSED)' },
    ]);
  });

  it('a restarted witness keeps its state: it asks for the proof from the size it cosigned before', async () => {
    w3 = await startWitness('w3');
    // Straight HTTP: a submission from the empty tree is refused with the size it holds.
    const note = readFileSync(join(dir, 'cp-1.txt'), 'utf8');
    const res = await fetch(`${w3.url}/add-checkpoint`, { method: 'POST', body: formatAddCheckpoint(0, [], note) });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toBe('text/x.tlog.size');
    expect(await res.text()).toBe('3\n');
    // The client retries once from that size with the right proof (3 → 4).
    await append(store, 1, 'c');
    const r = checkpointWith(store, [w1, w2, w3], 3);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).cosigners).toHaveLength(3);
  });

  it('refuses to cosign a truncated log (409: it holds a larger tree)', () => {
    const trunc = join(dir, 'trunc');
    cpSync(store, trunc, { recursive: true });
    rmSync(join(trunc, 'checkpoints'), { recursive: true, force: true });
    // The signed index notes go too (verify itself names one larger than the log): the witnesses catch it.
    rmSync(join(trunc, 'index'), { recursive: true, force: true });
    for (const f of ['000000000005.json', '000000000004.json']) rmSync(join(trunc, 'entries', f), { force: true });
    const r = checkpointWith(trunc, [w1, w2, w3], 1);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(
      'kfm: witness example.org/w1: holds tree size 5 but the log has 3 entries: the log was truncated or rolled back (not cosigned)',
    );
  });

  it('refuses to cosign a forked log of the same size (422: same size, different root)', async () => {
    const forked = join(dir, 'forked');
    await append(forked, 5, 'fork');
    const r = checkpointWith(forked, [w1, w2, w3], 1);
    expect(r.code).toBe(3);
    for (const w of ['w1', 'w2', 'w3'])
      expect(r.stderr).toContain(`kfm: witness example.org/${w}: answered 422 Unprocessable Entity`);
  });

  it('serializes concurrent submissions for one log: exactly one of a racing batch is cosigned', async () => {
    await append(store, 3, 'd'); // size 8; the witnesses hold 5
    const s = openStore(store, { env: {} });
    const bodies: string[] = [];
    for (const size of [6, 7, 8]) {
      const t = await treeWithProofs(s, size, [5]);
      const signed = signCheckpoint({ origin: 'kfm-infra/audit', size, root: t.root }, log.signing);
      bodies.push(formatAddCheckpoint(5, t.proofs.get(5)!, signed));
    }
    const batch = [...bodies, ...bodies, ...bodies];
    const answers = await Promise.all(
      batch.map((b) =>
        fetch(`${w1.url}/add-checkpoint`, { method: 'POST', body: b }).then(async (r) => ({
          status: r.status,
          body: await r.text(),
        })),
      ),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409).map((a) => a.body)).toHaveLength(batch.length - 1);
    const held = new Set(answers.filter((a) => a.status === 409).map((a) => a.body));
    expect(held.size).toBe(1);
    const state = readdirSync(join(dir, 'state-w1')).filter((f) => f.endsWith('.checkpoint'));
    expect(parseCheckpoint(readFileSync(join(dir, 'state-w1', state[0]), 'utf8'), 'state').size).toBe(
      Number([...held][0]),
    );
  });
  it('two checkpointers racing on a growing log both get their checkpoint cosigned', async () => {
    const run = () => kfmAsync(checkpointArgs(store, wflags([w1, w2, w3]), 3));
    const first = run();
    await append(store, 1, 'e'); // the log grows while the first one asks
    const [a, b] = await Promise.all([first, run()]);
    expect([a.code, a.stderr, b.code, b.stderr]).toEqual([0, '', 0, '']);
    const v = kfm([
      'audit',
      'verify',
      '--store',
      store,
      '--pub',
      log.pub,
      ...trust(['w1', 'w2', 'w3']),
      '--quorum',
      '3',
    ]);
    expect(v.code).toBe(0);
  });
});
