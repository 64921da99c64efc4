/**
 * The third review issue 24 asks for (a reviewer who wrote none of the fixes): the gates and the
 * ledger on main after the second review, attacked with only an attacker's access — an appender
 * (adds objects; on a directory store also deletes), an approver holding only their own key,
 * someone racing the CI, someone running a witness — on the directory store and the real local
 * radosgw, with real `kfm witness serve` processes and the real CLI (dist/). Each test performs
 * one attack and asserts the secure behaviour. `test.failing` marks a hole still open (the
 * comment names it and the fix it needs); every other test is an attack that is refused.
 */
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { noteKeyHash } from '../../ledger/checkpoint';
import { sha256Hex } from '../../core/digest';
import { bundlesHeld, indexUpTo } from '../../ledger/checkpointing/index-pass';
import { openStore } from '../../ledger/open-store';
import { verifyLog } from '../../ledger/verify';
import { pinnedBundleDigest } from '../../gates/pins';
import { generateKeyPairPem } from '../../attest/sign/ed25519';
import { ci, COMMIT, Ledger, stranger } from '../gates/support/evidence';
import { onBothStores, RawStore } from '../gates/support/stores';
import { seqName } from '../../ledger/entry';
import { shardPath } from '../../ledger/layout';
import { shardOfCommit, shardOfDigest } from '../../ledger/log-index-format';
import { goodLedger, kfm, ORIGIN, reviewBench, Witness } from './support';

jest.setTimeout(300_000);
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const { dir, CI_PUB, CI_KEY, REVIEWER_PUB, startWitness } = reviewBench('third-review');

const KEYS_ = ['--pub', CI_PUB, '--approver', `reviewer=${REVIEWER_PUB}`];

onBothStores('third review: the ledger and the gates, attacked', (raw: RawStore) => {
  let n = 0;
  let w: Witness[] = [];
  beforeEach(() => {
    n++;
  });
  afterEach(() => {
    for (const x of w) {
      x.child.removeAllListeners('exit');
      x.child.kill('SIGTERM');
    }
    w = [];
  });
  const startWitnesses = async () => {
    w = await Promise.all([
      startWitness(`${raw.kind}-${n}`, 'review/w1'),
      startWitness(`${raw.kind}-${n}`, 'review/w2'),
    ]);
  };
  const witnessFlags = () =>
    w.flatMap((x) => ['--witness', `${x.name}=${x.pub}`, '--witness-url', `${x.name}=${x.url}`]);
  /** What scripts/cosign.sh runs: a checkpoint both witnesses cosign, stored with its index. */
  const cosign = (spec: string, file: string) => {
    const r = kfm(
      raw.env,
      'audit',
      'checkpoint',
      '--store',
      spec,
      '--key',
      CI_KEY,
      ...KEYS_,
      '--out',
      file,
      ...witnessFlags(),
      '--quorum',
      '2',
    );
    if (r.code !== 0) throw new Error(`cosign: ${r.stderr}`);
    return JSON.parse(r.stdout) as { size: number; stored: string };
  };
  const out = (label: string) => join(dir, `${raw.kind}-${n}-${label}`);

  async function appendAll(spec: string, l: Ledger, from = 1): Promise<void> {
    const store = openStore(spec, { env: raw.env });
    for (const e of l.entries.slice(from - 1)) await store.append(e.envelopeBytes);
  }

  const KEYS = KEYS_;
  const checkpoint = (spec: string, file: string, ...extra: string[]) =>
    kfm(raw.env, 'audit', 'checkpoint', '--store', spec, '--key', CI_KEY, ...KEYS, '--out', file, ...extra);
  const verify = (spec: string, ...extra: string[]) =>
    kfm(raw.env, 'audit', 'verify', '--store', spec, ...KEYS, ...extra);
  const gate = (spec: string, ...extra: string[]) =>
    kfm(raw.env, 'gate', 'promote', '--to', 'prod', '--store', spec, ...KEYS, '--commit', COMMIT, ...extra);

  // The name of a checkpoint signed without witnesses is checkpoints/<size>.<key hash>.txt: the
  // key hash is the same for every checkpoint of the log, so anyone who can read one checkpoint's
  // name knows the name of every future one. One PutObject of junk there, before the CI signs
  // that size ("first version wins" on S3; an exclusive create on a directory): does the CI's
  // `kfm audit checkpoint` then fail ("the log was rewritten") for that size?
  it('junk planted at the name of the next (unwitnessed) checkpoint does not stop the CI checkpointing that size', async () => {
    const spec = raw.newSpec('cp-plant');
    const l = goodLedger();
    await appendAll(spec, { entries: l.entries.slice(0, 5) } as Ledger);
    const first = checkpoint(spec, out('cp1.txt'));
    expect(first.code).toBe(0);
    const hash = noteKeyHash(ORIGIN, ci.signing.publicKey).toString('hex');
    const size = l.entries.length;
    await raw.put(spec, `checkpoints/${seqName(size)}.${hash}.txt`, Buffer.from('junk\n'));
    await appendAll(spec, l, 6);
    const c = checkpoint(spec, out('cp2.txt'), '--since', out('cp1.txt'));
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    const v = verify(spec, '--checkpoint', out('cp2.txt'));
    expect(v.code).toBe(0);
    const g = gate(spec, '--checkpoint', out('cp2.txt'));
    expect(g.stderr).not.toMatch(/BLOCKED/);
    expect(g.code).toBe(0);
  });

  // The index note a checkpoint writes is index/<size>.<key hash>.json: as predictable. Junk there
  // first means the signed index is never stored (putDerived's "first version wins" answer is
  // not looked at): does the pinned gate still read by proof, and does the next cosign resume?
  it('junk planted at the name of the next index note: the checkpoint still stores a usable index', async () => {
    const spec = raw.newSpec('index-plant');
    const l = goodLedger();
    await appendAll(spec, { entries: l.entries.slice(0, 5) } as Ledger);
    expect(checkpoint(spec, out('cp1.txt')).code).toBe(0);
    const hash = noteKeyHash(ORIGIN, ci.signing.publicKey).toString('hex');
    const size = l.entries.length;
    await raw.put(spec, `index/${seqName(size)}.${hash}.json`, Buffer.from('{}'));
    await appendAll(spec, l, 6);
    const c = checkpoint(spec, out('cp2.txt'), '--since', out('cp1.txt'));
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    const g = gate(spec, '--checkpoint', out('cp2.txt'), '--json');
    expect(g.code).toBe(0);
    expect(g.stdout).toMatch(/read by proof against/);
    // The next checkpoint resumes from it (what scripts/cosign.sh does).
    l.smoke('stage', 'fail');
    await appendAll(spec, l, l.entries.length);
    const next = checkpoint(spec, out('cp3.txt'), '--since', out('cp2.txt'));
    expect(next.stderr).toBe('');
    expect(next.code).toBe(0);
  });

  // Index shards are content-addressed (index/shards/<sha256 of the bytes>.json) and the bytes are
  // derived from the entries alone, which anyone can read: an appender appends one entry of its
  // own (touching one shard), computes the shards the next checkpoint will write (the library's
  // index pass, no key needed), and puts junk at those names first. On S3 the junk stays the
  // first version. The attacker grinds its entry (a signature per try) into the shard that names
  // the commit the gate is asked about, so the gate's first lookup meets a planted shard: until
  // the checkpoint wrote a copy of such a shard under a name only its signed note gives, that
  // gate read the whole log (in about 1 run in 25 before the grinding: the CI failure of stop 37).
  // Held: the signed note names each shard by digest, verify compares digests with the rebuilt
  // index (never the planted bytes), readers check a shard against its digest, and the
  // checkpoint reads each shard back and writes the copy where the name holds other bytes.
  it('junk planted at the content-addressed names of the next index shards jams neither verify, the gates nor the next keyed append', async () => {
    const spec = raw.newSpec('shard-plant');
    const l = goodLedger();
    await appendAll(spec, l);
    expect(checkpoint(spec, out('cp1.txt')).code).toBe(0);
    const store = openStore(spec, { env: raw.env });
    let junk: Ledger;
    for (let i = 0; ; i++) {
      junk = new Ledger();
      junk.add('https://example.com/junk', { x: i }, stranger.signing);
      if (shardOfDigest(`sha256:${sha256Hex(junk.entries[0]!.envelopeBytes)}`) === shardOfCommit(COMMIT)) break;
    }
    await store.append(junk.entries[0]!.envelopeBytes);
    const size = await store.size();
    const builder = await indexUpTo(store, size, await bundlesHeld(store), undefined);
    const { shardFiles } = await builder.finishMerged(ORIGIN);
    let planted = 0;
    const plantedPaths: string[] = [];
    for (const path of shardFiles.keys())
      if ((await store.getDerived(path)) === undefined) {
        await raw.put(spec, path, Buffer.from('{}'));
        plantedPaths.push(path);
        planted++;
      }
    expect(planted).toBeGreaterThan(0);
    const c = checkpoint(spec, out('cp2.txt'));
    expect(c.stderr).toBe('');
    expect(c.code).toBe(0);
    const v = verify(spec, '--checkpoint', out('cp2.txt'));
    expect(v.stderr).not.toMatch(/LOG_INTEGRITY/);
    expect(v.code).toBe(0);
    const g = gate(spec, '--checkpoint', out('cp2.txt'), '--json');
    expect(g.code).toBe(0);
    expect(g.stdout).toMatch(/read by proof against/);
    expect(g.stdout).not.toMatch(/read the whole log/);
    // The next checkpoint, resumed from it (what scripts/cosign.sh does) after an entry outside
    // the planted shards: the commit's shard is unchanged, its name still holds the junk, and the
    // copy the last checkpoint wrote is named by the last note: this one writes its own.
    let other: Buffer;
    for (let i = 0; ; i++) {
      const x = new Ledger();
      x.add('https://example.com/other', { i }, stranger.signing);
      other = x.entries[0]!.envelopeBytes;
      if (shardOfDigest(`sha256:${sha256Hex(other)}`) !== shardOfCommit(COMMIT)) break;
    }
    await store.append(other);
    const { body } = await (await indexUpTo(store, size + 1, await bundlesHeld(store), undefined)).finishMerged(ORIGIN);
    expect(plantedPaths).toContain(shardPath(body.shards[shardOfCommit(COMMIT)]!));
    expect(checkpoint(spec, out('cp3.txt'), '--since', out('cp2.txt')).code).toBe(0);
    const g3 = gate(spec, '--checkpoint', out('cp3.txt'), '--json');
    expect(g3.code).toBe(0);
    expect(g3.stdout).toMatch(/read by proof against/);
    expect(g3.stdout).not.toMatch(/read the whole log/);
    // The next append, started from the signed index note (--log-pub, what the scripts pass), of
    // a record whose digest falls in a planted shard: its "already appended?" lookup reads it.
    const bucket = sha256Hex(junk.entries[0]!.envelopeBytes).slice(0, 2);
    let next: Buffer;
    for (let i = 0; ; i++) {
      const x = new Ledger();
      x.add('https://example.com/next', { i }, stranger.signing);
      next = x.entries[0]!.envelopeBytes;
      if (sha256Hex(next).slice(0, 2) === bucket) break;
    }
    writeFileSync(out('next.json'), next);
    const a = kfm(raw.env, 'audit', 'append', out('next.json'), '--store', spec, '--log-pub', CI_PUB);
    expect(a.stderr).toBe('');
    expect(a.code).toBe(0);
    expect(JSON.parse(a.stdout.trim())).toMatchObject({ seq: size + 2 });
  });

  // An object's name is the appender's to choose, and verify and the gates print the names of
  // junk. A newline in it started a line of its own in kfm's output: on GitHub Actions a workflow
  // command (`::error::…`, `::stop-commands::…` turning off the annotations of every later
  // step, `::add-mask::…`); an escape sequence could recolour or erase what a terminal showed.
  // Fixed: messages naming stored objects are printable (core/printable.ts).
  it('a junk object whose name carries a newline and an escape sequence prints no line of its own, on verify and the gates', async () => {
    const spec = raw.newSpec('names');
    await appendAll(spec, goodLedger());
    expect(checkpoint(spec, out('cp.txt')).code).toBe(0);
    const evil = '\n::error title=kfm::ledger verified, promotion allowed\n::stop-commands::x\u001b[2K';
    for (const [path, bytes] of [
      [`entries/zz${evil}.json`, '{}'],
      [`checkpoints/999999999999.ffffffff${evil}.txt`, 'junk\n'],
      [`index/999999999999.ffffffff${evil}.json`, '{}'],
    ] as const)
      await raw.put(spec, path, Buffer.from(bytes));
    const runs = [
      verify(spec),
      gate(spec),
      gate(spec, '--checkpoint', out('cp.txt')),
      gate(spec, '--checkpoint', out('cp.txt'), '--json'),
    ];
    expect(runs.map((r) => r.code)).toEqual([0, 0, 0, 0]);
    for (const r of runs) {
      const text = r.stdout + r.stderr;
      expect(text).toMatch(/\\u000a::error title=kfm::/);
      expect(text.split('\n').filter((x) => x.startsWith('::'))).toEqual([]);
      expect(text).not.toContain('\u001b');
    }
  });

  // OPEN (measured on radosgw, same run: 3 entries and 2,000 junk objects in checkpoints/ and
  // index/, one PutObject each: audit verify 4.2 s -> 41.9 s, the pinned gate by proof 6.0 s ->
  // 22.9 s; about 20 ms per object, so 100,000 objects, cents of requests, make every verify
  // half an hour and every gate a quarter of an hour, for good under Object Lock). Nothing is
  // wrong in the verdict: every note named above the log must be read, because a checkpoint the
  // log key signed that is larger than the log is the sign of a truncated tail. How it could be
  // fixed: the readers stop reading notes above the log after a bound, count the rest as junk
  // and say so ("N more objects named above the log not read; with a pinned or witnessed
  // checkpoint a truncation is caught there"), or the signed index note lists the checkpoint
  // names it covers so a reader reads only the listed ones and the newest few.
  test.failing('junk notes named above the log cost verify a bounded number of reads', async () => {
    const spec = raw.newSpec('junk-count');
    await appendAll(spec, goodLedger());
    expect(checkpoint(spec, out('cp.txt')).code).toBe(0);
    const store = openStore(spec, { env: raw.env });
    const planted = 200;
    for (let i = 0; i < planted; i++)
      await raw.put(spec, `checkpoints/${seqName(999_999_000_000 + i)}.${seqName(i).slice(4)}.txt`, Buffer.from('x\n'));
    let reads = 0;
    const counting = new Proxy(store, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver) as unknown;
        if (prop !== 'checkpoints' || typeof v !== 'function') return typeof v === 'function' ? v.bind(target) : v;
        return (...args: unknown[]) =>
          (async function* () {
            for await (const cp of (v as (...a: unknown[]) => AsyncIterable<unknown>).apply(target, args)) {
              reads++;
              yield cp;
            }
          })();
      },
    });
    const report = await verifyLog(counting, { trusted: [ci.trusted], origin: ORIGIN });
    expect(report.ok).toBe(true);
    expect(reads).toBeLessThan(50);
  });

  // Someone who runs one witness restarts it with its state wiped (same key, same URL: it now
  // answers 409 "0" to every question), and an appender removes the newest witnessed tree: on a
  // directory store the entry holding a failing stage smoke and its note; on S3 (Object Lock)
  // a junk version over the note (the entry cannot be hidden). The gate asks both witnesses:
  // w1 holds the larger tree, w2 "holds 0". One witness ahead is less than the quorum, and w2
  // answered, so it is not "silent": on a directory store the gate judged the older tree and
  // promoted (exit 0); on S3 the entry stayed and the not-yet-witnessed tail denied. A wiped
  // witness is one that lies, and a quorum rule lets one liar outvote. Fixed: a witness that
  // holds a larger tree than the store has entries blocks on its own (gates/fresh-witnesses.ts):
  // an honest witness only holds trees the log signed, so the store lost entries. A lying
  // witness can now block (naming itself), never promote.
  it('a witness whose state was wiped does not outvote the one that holds the larger tree', async () => {
    await startWitnesses();
    const spec = raw.newSpec('wiped');
    const l = goodLedger();
    await appendAll(spec, l);
    cosign(spec, out('cp1.txt'));
    l.smoke('stage', 'fail');
    await appendAll(spec, l, l.entries.length);
    const cp2 = cosign(spec, out('cp2.txt'));
    // The operator of w2 restarts it with an empty state.
    w[1]!.child.removeAllListeners('exit');
    w[1]!.child.kill('SIGTERM');
    w[1] = await startWitness(`${raw.kind}-${n}`, 'review/w2', 'wiped-state');
    const notePath = cp2.stored.slice(spec.length + 1);
    if (raw.kind === 'directory') {
      await raw.remove(spec, notePath);
      await raw.remove(spec, `entries/${seqName(cp2.size)}.json`);
    } else {
      await raw.put(spec, notePath, Buffer.from('not a note\n'));
    }
    for (const pin of [[], ['--checkpoint', out('cp1.txt')]]) {
      const g = gate(spec, ...pin, ...witnessFlags(), '--quorum', '2');
      expect(g.code).toBe(1);
      expect(g.stderr).toMatch(
        raw.kind === 'directory'
          ? /BLOCKED audit ledger: .*review\/w1 \(holds tree size 11\) cosigned a larger tree than the 10 entries the store holds/
          : /BLOCKED (audit ledger|stage validation record)/,
      );
    }
  });

  // Someone who runs a witness makes it lie: a 409 with a huge tree size, a 200 with a body that
  // is no cosignature, no answer at all, or a 307 to another address (fetch followed it, posting
  // the checkpoint from the CI runner wherever the operator pointed: fixed, not followed). Held: a lie can only block (naming the witness), and
  // a witness that does not answer properly counts as not answering (blocks unless a person
  // passes --accept-store-view, which the gate then says).
  it('a lying witness (huge size, garbage, silence) can block a gate, never promote one', async () => {
    if (raw.kind !== 'directory') return; // the witness side: one store is enough
    await startWitnesses();
    const spec = raw.newSpec('liar');
    await appendAll(spec, goodLedger());
    cosign(spec, out('cp.txt'));
    const { publicPem } = generateKeyPairPem();
    writeFileSync(out('liar.pub'), publicPem);
    // The lying witness is its own process (the gate runs synchronously): it answers as the
    // file `mode` says at each request.
    const modeFile = out('liar-mode');
    writeFileSync(modeFile, 'huge');
    const liar = spawn(process.execPath, [
      '-e',
      `const fs = require('fs');
       const s = require('http').createServer((req, res) => {
         req.resume();
         const mode = fs.readFileSync(process.argv[1], 'utf8');
         if (mode === 'silent') return;
         if (mode.startsWith('redirect ')) return res.writeHead(307, { location: mode.slice(9) }).end();
         if (mode === 'huge') res.writeHead(409, { 'content-type': 'text/x.tlog.size' }).end('9999999999999999\\n');
         else res.writeHead(200, { 'content-type': 'text/plain' }).end('\u2014 review/liar AAAA\\n');
       });
       s.listen(0, '127.0.0.1', () => console.log('http://127.0.0.1:' + s.address().port));`,
      modeFile,
    ]);
    const url = await new Promise<string>((r) => liar.stdout!.once('data', (d) => r(String(d).trim())));
    try {
      const flags = [
        '--witness',
        `${w[0]!.name}=${w[0]!.pub}`,
        '--witness-url',
        `${w[0]!.name}=${w[0]!.url}`,
        '--witness',
        `review/liar=${out('liar.pub')}`,
        '--witness-url',
        `review/liar=${url}`,
        '--quorum',
        '1',
      ];
      const huge = gate(spec, ...flags);
      expect(huge.code).toBe(1);
      expect(huge.stderr).toMatch(/BLOCKED audit ledger: .*review\/liar \(holds tree size 9999999999999999\)/);
      for (const m of ['garbage', 'silent']) {
        writeFileSync(modeFile, m);
        const g = gate(spec, ...flags);
        expect(g.code).toBe(1);
        expect(g.stderr).toMatch(/BLOCKED audit ledger: .*too few to rule out a larger witnessed tree/);
        const accepted = gate(spec, ...flags, '--accept-store-view');
        expect(accepted.stderr).toMatch(/accept-store-view/);
        expect(accepted.code).toBe(0);
      }
      // A redirect (307 keeps the POST and its body) to another address is not followed: the
      // gate never posts where the witness's operator points it (here, the honest witness).
      writeFileSync(modeFile, `redirect ${w[0]!.url}/add-checkpoint`);
      const redirected = gate(spec, ...flags);
      expect(redirected.code).toBe(1);
      expect(redirected.stderr).toMatch(/review\/liar \(answered HTTP 307\)/);
    } finally {
      liar.kill('SIGTERM');
    }
  });

  // An approver (their own key only) signs an approval whose principal holds a newline and a
  // workflow command. The gate refuses it ("names principal … but is signed by reviewer's key")
  // and quoted the principal raw: a line of its own in the CI log. Fixed: gate details are
  // printed through core/printable.ts.
  it("an approver's approval with a newline in its principal prints no line of its own", async () => {
    if (raw.kind !== 'directory') return; // what the gate prints: one store is enough
    const spec = raw.newSpec('principal');
    const l = new Ledger(pinnedBundleDigest('prod'));
    l.provenTier('dev');
    l.provenTier('stage');
    l.approve(l.plan('prod'), 'x\n::error title=kfm::prod approved\n::stop-commands::x');
    await appendAll(spec, l);
    for (const g of [gate(spec), gate(spec, '--json')]) {
      expect(g.code).toBe(1);
      expect(g.stderr).toMatch(/BLOCKED prod approval: .*names principal "x\\u000a::error/);
      expect((g.stdout + g.stderr).split('\n').filter((x) => x.startsWith('::'))).toEqual([]);
    }
  });

  // The other side of the rule above: a witness ahead of the witnessed tree but not of the store
  // (w1 cosigned entry 11 while w2 was down, so no quorum note) is no rollback. The gate judges
  // the witnessed tree with entry 11 as deny-only, and promotes when entry 11 denies nothing.
  it('one witness that cosigned entries the store still holds does not block an honest gate', async () => {
    await startWitnesses();
    const spec = raw.newSpec('partial-cosign');
    const l = goodLedger();
    await appendAll(spec, l);
    cosign(spec, out('cp1.txt'));
    w[1]!.child.removeAllListeners('exit');
    w[1]!.child.kill('SIGTERM');
    l.smoke('stage', 'pass');
    await appendAll(spec, l, l.entries.length);
    expect(() => cosign(spec, out('cp2.txt'))).toThrow(/not witnessed/);
    w[1] = await startWitness(`${raw.kind}-${n}`, 'review/w2', 'state');
    for (const pin of [[], ['--checkpoint', out('cp1.txt')]]) {
      const g = gate(spec, ...pin, ...witnessFlags(), '--quorum', '2');
      expect(g.stderr).not.toMatch(/BLOCKED/);
      expect(g.code).toBe(0);
    }
  });
});

void readFileSync;
