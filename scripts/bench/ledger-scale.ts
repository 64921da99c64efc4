/**
 * The ledger at production scale (npm run bench; issue "ledger at production scale"): gate and
 * verify cost against ledger size on the directory store and on radosgw (scripts/s3-local.sh,
 * loopback), batch append rate on radosgw, and verify of 100,000 entries against a floor program
 * measured in the same run (read every entry file, hash it, verify every signature with
 * node:crypto on all cores). Prints one JSON line per measurement, then a table.
 *
 * The gate runs `kfm gate promote --to stage` for a commit with no evidence among filler
 * entries (DENIED, exit 1): what it costs is reading the ledger, which is what grows. With a
 * checkpoint (`kfm audit checkpoint`, which writes bundles and the index) the gate reads by proof.
 * KFM_BENCH_QUICK=1 skips the 100,000-entry runs; KFM_BENCH_ONLY=fs|s3 runs one part. KFM_BENCH_BEFORE=DIR also times the CLI built
 * in DIR (an older checkout's dist/, e.g. a worktree of the previous main) on the same fixtures,
 * for a before/after table from one run (the fixtures are written by this checkout; older
 * versions read the same layout).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { encodeEntry, entryHash, GENESIS_PREV, seqName } from '../../ledger/entry';
import { openStore } from '../../ledger/open-store';
import { generateKeyPairPem, parseSigningKey } from '../../attest/sign/ed25519';
import { benchEnvelope } from './lib/envelopes';

const REPO = resolve(__dirname, '..', '..');
const CLI = join(REPO, 'dist', 'receipts', 'cli.js');
const root = mkdtempSync(join(tmpdir(), 'kfm-bench-scale-'));
const { privatePem, publicPem } = generateKeyPairPem();
const key = parseSigningKey(privatePem, 'bench.key');
const pub = join(root, 'bench.pub');
const keyFile = join(root, 'bench.key');
writeFileSync(pub, publicPem);
writeFileSync(keyFile, privatePem, { mode: 0o600 });
const COMMIT = 'b'.repeat(40);
const quick = process.env.KFM_BENCH_QUICK === '1';
const rows: { what: string; before?: string; value: string; goal: string }[] = [];
const emit = (r: Record<string, number | string>) => console.log(JSON.stringify({ bench: 'ledger-scale', ...r }));

const envelope = (i: number): Buffer => benchEnvelope(i, key);

/** A valid directory log of n entries written directly (no fsync). */
function writeLog(dir: string, n: number): void {
  mkdirSync(join(dir, 'entries'), { recursive: true });
  let prev = GENESIS_PREV;
  for (let s = 1; s <= n; s++) {
    const bytes = encodeEntry(s, prev, envelope(s));
    writeFileSync(join(dir, 'entries', `${seqName(s)}.json`), bytes);
    prev = entryHash(bytes);
  }
}

const BEFORE = process.env.KFM_BENCH_BEFORE
  ? join(process.env.KFM_BENCH_BEFORE, 'dist', 'receipts', 'cli.js')
  : undefined;

function run(
  args: string[],
  env: NodeJS.ProcessEnv = process.env,
  cli = CLI,
): { seconds: number; rssMb: number; code: number; stderr: string } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', process.execPath, cli, ...args], {
    encoding: 'utf8',
    maxBuffer: 256 << 20,
    env,
  });
  const lines = r.stderr.trim().split('\n');
  const [e, m] = (lines.pop() ?? '').split(' ').map(Number);
  return { seconds: e, rssMb: Math.round(m / 1024), code: r.status ?? -1, stderr: lines.join('\n') };
}

function must(r: ReturnType<typeof run>, codes: number[], what: string): ReturnType<typeof run> {
  if (!codes.includes(r.code))
    throw new Error(`${what}: exit ${r.code}: ${r.stderr.split('\n').slice(-3).join(' | ')}`);
  return r;
}

const gateArgs = (store: string, cp?: string) => [
  'gate',
  'promote',
  '--to',
  'stage',
  '--store',
  store,
  '--pub',
  pub,
  '--commit',
  COMMIT,
  ...(cp ? ['--checkpoint', cp] : []),
];

/** The gate by proof: `kfm gate promote --checkpoint` when the CLI has it, else the same read through the library. */
function byProof(store: string, cp: string, env: NodeJS.ProcessEnv = process.env): { seconds: number; rssMb: number } {
  const r = run(gateArgs(store, cp), env);
  if (r.code === 1) return r;
  const script = join(REPO, 'scripts', 'bench', 'gate-by-proof.ts');
  const t = spawnSync(
    '/usr/bin/time',
    [
      '-f',
      '%e %M',
      process.execPath,
      join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      script,
      store,
      pub,
      cp,
      COMMIT,
    ],
    { encoding: 'utf8', env },
  );
  if (t.status !== 0) throw new Error(`gate by proof: ${t.stderr}`);
  const [e, m] = (t.stderr.trim().split('\n').pop() ?? '').split(' ').map(Number);
  return { seconds: e, rssMb: Math.round(m / 1024) };
}

function checkpoint(store: string, env: NodeJS.ProcessEnv = process.env, since?: string): string {
  return timedCheckpoint(store, env, since).out;
}

/** `kfm audit checkpoint` (with `since`: resumed from that checkpoint), timed. */
function timedCheckpoint(
  store: string,
  env: NodeJS.ProcessEnv = process.env,
  since?: string,
): { out: string; seconds: number; rssMb: number } {
  const out = join(root, `cp-${Math.random().toString(36).slice(2)}.txt`);
  const r = must(
    run(
      [
        'audit',
        'checkpoint',
        '--store',
        store,
        '--key',
        keyFile,
        '--pub',
        pub,
        '--out',
        out,
        ...(since ? ['--since', since] : []),
      ],
      env,
    ),
    [0],
    'checkpoint',
  );
  return { out, seconds: r.seconds, rssMb: r.rssMb };
}

/** The floor: every entry file read, hashed and its signature verified, on all cores. */
function floor(dir: string): number {
  const src = `
    const { readFileSync, readdirSync } = require('node:fs');
    const { createHash, createPublicKey, verify } = require('node:crypto');
    const { Worker, isMainThread, workerData, parentPort } = require('node:worker_threads');
    const pae = (t, b) => Buffer.concat([Buffer.from('DSSEv1 ' + Buffer.byteLength(t) + ' ' + t + ' ' + b.length + ' '), b]);
    if (isMainThread) {
      const [dir, pubPem, n] = process.argv.slice(-3);
      const names = readdirSync(dir + '/entries');
      let left = Number(n), bad = 0;
      for (let w = 0; w < Number(n); w++) {
        const worker = new Worker(__filename, { workerData: { dir, pubPem, names: names.filter((_, i) => i % Number(n) === w) } });
        worker.on('message', (b) => { bad += b; if (--left === 0) { if (bad) { console.error('bad', bad); process.exit(1); } } });
      }
    } else {
      const key = createPublicKey(workerData.pubPem);
      let bad = 0;
      for (const f of workerData.names) {
        const bytes = readFileSync(workerData.dir + '/entries/' + f);
        createHash('sha256').update(bytes).digest();
        const env = JSON.parse(Buffer.from(JSON.parse(bytes).envelope, 'base64').toString());
        if (!verify(null, pae(env.payloadType, Buffer.from(env.payload, 'base64')), key, Buffer.from(env.signatures[0].sig, 'base64'))) bad++;
      }
      parentPort.postMessage(bad);
    }`;
  const file = join(root, 'floor.js');
  writeFileSync(file, src);
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%e', process.execPath, file, dir, publicPem, String(availableParallelism())],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`floor program failed: ${r.stderr}`);
  return Number(r.stderr.trim().split('\n').pop());
}

/** Entries 1..n of the bench envelopes written straight into an S3 prefix (the layout both versions read). */
async function rawFill(env: NodeJS.ProcessEnv, spec: string, n: number): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
  const c = new S3Client({
    endpoint: env.AWS_ENDPOINT_URL_S3,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' },
  });
  const [, bucket, prefix] = /^s3:\/\/([^/]+)\/(.*)$/.exec(spec)!;
  const bodies: Buffer[] = [];
  let prev = GENESIS_PREV;
  for (let s = 1; s <= n; s++) {
    const bytes = encodeEntry(s, prev, envelope(s));
    bodies.push(bytes);
    prev = entryHash(bytes);
  }
  for (let i = 0; i < n; i += 32) {
    await Promise.all(
      bodies
        .slice(i, i + 32)
        .map((Body, j) =>
          c.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/entries/${seqName(i + j + 1)}.json`, Body })),
        ),
    );
  }
}

/**
 * The S3 store's write rule, checked on this server: W writers PUT the same N keys at once, each
 * lists the key's versions right after its PUT and counts itself the winner when its version is
 * the oldest (ledger/s3-store.ts putFirst). A false win (saw itself oldest, then another version
 * sorted older) would let two writers chain onto different entries; it must be 0.
 */
async function raceCheck(
  env: NodeJS.ProcessEnv,
  bucket: string,
  writers = 6,
  keys = 200,
): Promise<Record<string, number>> {
  const worker = join(root, 'race-worker.js');
  writeFileSync(
    worker,
    `const { S3Client, PutObjectCommand, ListObjectVersionsCommand } = require(${JSON.stringify(require.resolve('@aws-sdk/client-s3'))});
    const [bucket, prefix, who, n, start] = process.argv.slice(2);
    const c = new S3Client({ endpoint: process.env.AWS_ENDPOINT_URL_S3, region: 'us-east-1', forcePathStyle: true });
    (async () => {
      while (Date.now() < Number(start)) await new Promise((r) => setTimeout(r, 1));
      const out = [];
      for (let k = 0; k < Number(n); k++) {
        const Key = prefix + '/' + String(k).padStart(6, '0');
        const Body = Buffer.alloc(1000 + Math.floor(Math.random() * 3000), who);
        const r = await c.send(new PutObjectCommand({ Bucket: bucket, Key, Body, IfNoneMatch: '*' }));
        const l = await c.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: Key }));
        const vs = (l.Versions || []).filter((v) => v.Key === Key);
        out.push({ v: r.VersionId, won: vs.length > 0 && vs[vs.length - 1].VersionId === r.VersionId });
      }
      console.log(JSON.stringify(out));
    })();`,
  );
  const prefix = `race-${Date.now().toString(36)}`;
  const start = Date.now() + 2_000;
  const { spawn } = await import('node:child_process');
  const results = await Promise.all(
    Array.from(
      { length: writers },
      (_, w) =>
        new Promise<{ v: string; won: boolean }[]>((res, rej) => {
          const p = spawn(process.execPath, [worker, bucket, prefix, String(w), String(keys), String(start)], { env });
          let out = '';
          p.stdout.on('data', (d) => (out += d));
          p.on('close', (code) => (code === 0 ? res(JSON.parse(out)) : rej(new Error(`race writer exit ${code}`))));
        }),
    ),
  );
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { S3Client, ListObjectVersionsCommand } = require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3');
  const c = new S3Client({
    endpoint: env.AWS_ENDPOINT_URL_S3,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' },
  });
  let raced = 0;
  let falseWins = 0;
  let noWinner = 0;
  for (let k = 0; k < keys; k++) {
    const Key = `${prefix}/${String(k).padStart(6, '0')}`;
    const l = await c.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: Key }));
    const vs = (l.Versions ?? []).filter((v) => v.Key === Key);
    if (vs.length > 1) raced++;
    const winners = results.map((r) => r[k]).filter((x) => x.won);
    if (winners.length === 0) noWinner++;
    falseWins += winners.filter((x) => x.v !== vs[vs.length - 1]?.VersionId).length;
  }
  return { writers, keys, raced, false_wins: falseWins, no_winner: noWinner };
}

function s3Env(): NodeJS.ProcessEnv | undefined {
  const st = spawnSync('bash', [join(REPO, 'scripts', 's3-local.sh'), 'start'], { encoding: 'utf8', timeout: 300_000 });
  if (st.status !== 0) return undefined;
  const env: NodeJS.ProcessEnv = { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
  for (const m of st.stdout.matchAll(/^export ([A-Z0-9_]+)='([^']*)'$/gm)) env[m[1]] = m[2];
  return env;
}

async function main(): Promise<void> {
  // 1. Directory store: gate on 2,000 and 20,000 entries, unanchored and by proof.
  const gate: Record<number, { full: number; proof: number; before: number }> = {};
  const rss: Record<number, { gate: number; gateFull: number; verify: number }> = {};
  const cps: Record<number, { full: number; resumed: number }> = {};
  const only = process.env.KFM_BENCH_ONLY; // 'fs' or 's3': one part only
  for (const n of only === 's3' ? [] : [2_000, 20_000]) {
    const dir = join(root, `gate-${n}`);
    writeLog(dir, n);
    const before = BEFORE ? must(run(gateArgs(dir), process.env, BEFORE), [1], `gate ${n} (before)`).seconds : NaN;
    const full = must(run(gateArgs(dir)), [1], `gate ${n}`);
    const full0 = timedCheckpoint(dir);
    const cp = full0.out;
    const proof = byProof(dir, cp);
    const verify = must(run(['audit', 'verify', '--store', dir, '--pub', pub]), [0], `verify ${n}`);
    // Ten appends later: the next checkpoint, resumed from this one, against a full one.
    const more = join(root, `more-${n}`);
    mkdirSync(more);
    const files = Array.from({ length: 10 }, (_, i) => {
      const f = join(more, `${i}.json`);
      writeFileSync(f, envelope(n + 1 + i));
      return f;
    });
    must(run(['audit', 'append', ...files, '--store', dir]), [0], `append ${n}`);
    const resumed = timedCheckpoint(dir, process.env, cp);
    const fullNext = timedCheckpoint(dir);
    cps[n] = { full: fullNext.seconds, resumed: resumed.seconds };
    emit({
      metric: 'fs_checkpoint',
      entries: n + 10,
      full_s: fullNext.seconds,
      since_s: resumed.seconds,
      first_s: full0.seconds,
    });
    gate[n] = { full: full.seconds, proof: proof.seconds, before };
    rss[n] = { gate: proof.rssMb, gateFull: full.rssMb, verify: verify.rssMb };
    emit({
      metric: 'fs_gate',
      entries: n,
      before_s: before,
      unanchored_s: full.seconds,
      by_proof_s: proof.seconds,
      rss_mb: proof.rssMb,
      unanchored_rss_mb: full.rssMb,
      verify_rss_mb: verify.rssMb,
    });
    rmSync(dir, { recursive: true, force: true });
  }
  if (only !== 's3')
    rows.push({
      what: 'directory store: gate on 20,000 entries (by proof)',
      before: `${gate[20_000].before} s`,
      value: `${gate[20_000].proof} s (unanchored ${gate[20_000].full} s)`,
      goal: '≤ 1.0 s',
    });
  if (only !== 's3')
    rows.push({
      what: 'directory store: gate(20,000) / gate(2,000)',
      before: (gate[20_000].before / gate[2_000].before).toFixed(2),
      value: `${(gate[20_000].proof / gate[2_000].proof).toFixed(2)} (unanchored ${(gate[20_000].full / gate[2_000].full).toFixed(2)})`,
      goal: '≤ 1.5',
    });

  if (only !== 's3')
    rows.push({
      what: 'directory store: checkpoint 10 appends after the last, at 2,010 / 20,010 entries (--since the last; full)',
      value: `${cps[2_000].resumed} s / ${cps[20_000].resumed} s; full ${cps[2_000].full} s / ${cps[20_000].full} s`,
      goal: 'flat with --since',
    });
  if (only !== 's3')
    rows.push({
      what: 'directory store: peak RSS at 2,000 → 20,000 entries (gate by proof; unanchored gate; verify)',
      value: `${rss[2_000].gate} → ${rss[20_000].gate} MB; ${rss[2_000].gateFull} → ${rss[20_000].gateFull} MB; ${rss[2_000].verify} → ${rss[20_000].verify} MB`,
      goal: 'flat',
    });

  // 2. radosgw: batch append of 100 files, verify and gate on 1,100 entries.
  const env = only === 'fs' ? undefined : s3Env();
  if (only === 'fs') {
    // skipped
  } else if (env === undefined) {
    emit({ metric: 's3', note: 'local S3 server could not start; S3 measurements skipped' });
  } else {
    const bucket = (env.KFM_AUDIT_STORE ?? '').replace(/^s3:\/\//, '').split('/')[0];
    const spec = `s3://${bucket}/bench-scale-${Date.now().toString(36)}`;
    const files = join(root, 'files');
    mkdirSync(files);
    const paths: string[] = [];
    for (let i = 1; i <= 1_100; i++) {
      const p = join(files, `e${String(i).padStart(5, '0')}.json`);
      writeFileSync(p, envelope(i));
      paths.push(p);
    }
    // 1,000 entries written directly (32 PUTs at a time), then a timed batch append of 100.
    await rawFill(env, spec, 1_000);
    let beforeRate = NaN;
    let beforeVerify = NaN;
    let beforeGate = NaN;
    if (BEFORE) {
      // The previous version on a copy of the same 1,000 entries (its own prefix), then on this one.
      const old = `${spec}-before`;
      await rawFill(env, old, 1_000);
      beforeRate =
        100 /
        must(run(['audit', 'append', ...paths.slice(1_000), '--store', old], env, BEFORE), [0], 'batch append (before)')
          .seconds;
      beforeVerify = must(
        run(['audit', 'verify', '--store', old, '--pub', pub], env, BEFORE),
        [0],
        's3 verify (before)',
      ).seconds;
      beforeGate = must(run(gateArgs(old), env, BEFORE), [1], 's3 gate (before)').seconds;
    }
    // A checkpoint at 1,000 (as deploys make them): its index serves the batch's replay check,
    // and the gate below reads by proof against it, then the 100 entries after it.
    const cp = checkpoint(spec, env);
    const batch = must(run(['audit', 'append', ...paths.slice(1_000), '--store', spec], env), [0], 'batch append');
    const rate = 100 / batch.seconds;
    const verify = must(run(['audit', 'verify', '--store', spec, '--pub', pub], env), [0], 's3 verify');
    const full = must(run(gateArgs(spec), env), [1], 's3 gate');
    const proof = byProof(spec, cp, env);
    // One append each after the checkpoint (its index serves the replay check): one already there, one new.
    const single = must(
      run(['audit', 'append', join(files, 'e00001.json'), '--store', spec], env),
      [0],
      'single append (existing)',
    );
    const fresh = join(files, 'fresh.json');
    writeFileSync(fresh, envelope(1_101));
    const one = must(run(['audit', 'append', fresh, '--store', spec], env), [0], 'single append');
    emit({
      metric: 's3',
      batch_append_per_s: Number(rate.toFixed(1)),
      append_existing_s: single.seconds,
      append_one_s: one.seconds,
      verify_1100_s: verify.seconds,
      gate_1100_unanchored_s: full.seconds,
      gate_1100_by_proof_s: proof.seconds,
    });
    rows.push({
      what: 'radosgw: verify 1,100 entries',
      before: `${beforeVerify} s`,
      value: `${verify.seconds} s`,
      goal: '≤ 5 s',
    });
    rows.push({
      what: 'radosgw: gate on 1,100 entries (by proof)',
      before: `${beforeGate} s`,
      value: `${proof.seconds} s (unanchored ${full.seconds} s)`,
      goal: '≤ 2 s',
    });
    rows.push({
      what: 'radosgw: batch append (100 files, one call)',
      before: `${beforeRate.toFixed(1)} /s`,
      value: `${rate.toFixed(1)} /s`,
      goal: '≥ 50 /s',
    });
    rows.push({
      what: 'radosgw: one append (after a checkpoint; process start included)',
      value: `${one.seconds} s new, ${single.seconds} s already there`,
      goal: '≤ 0.5 s',
    });
    const race = await raceCheck(env, bucket);
    emit({ metric: 's3_first_version_race', ...race });
    rows.push({
      what: 'radosgw: keys raced by 6 writers at once, one listing after each PUT: false wins',
      value: `${race.false_wins} false wins, ${race.no_winner} keys without a winner (${race.raced} of ${race.keys} keys raced)`,
      goal: '0',
    });
    void openStore;
  }

  // 3. Directory store: verify 100,000 entries against the floor program, same run.
  if (!quick && only !== 's3') {
    const dir = join(root, 'log-100k');
    writeLog(dir, 100_000);
    readdirSync(join(dir, 'entries'));
    floor(dir); // warm the page cache
    const f = floor(dir);
    const vb = BEFORE
      ? must(run(['audit', 'verify', '--store', dir, '--pub', pub], process.env, BEFORE), [0], 'verify 100k (before)')
      : undefined;
    const v = must(run(['audit', 'verify', '--store', dir, '--pub', pub]), [0], 'verify 100k');
    emit({
      metric: 'fs_verify_100k',
      verify_s: v.seconds,
      floor_s: f,
      ratio: Number((v.seconds / f).toFixed(2)),
      rss_mb: v.rssMb,
    });
    rows.push({
      what: 'directory store: verify 100,000 entries / floor',
      before: vb ? `${vb.seconds} s = ${(vb.seconds / f).toFixed(2)}×` : undefined,
      value: `${v.seconds} s / ${f} s = ${(v.seconds / f).toFixed(2)}× (${v.rssMb} MB)`,
      goal: '≤ 1.3×',
    });
    rmSync(dir, { recursive: true, force: true });
  }
  rmSync(root, { recursive: true, force: true });
  console.log('| measure | before | after | goal |\n|---|---|---|---|');
  for (const r of rows) console.log(`| ${r.what} | ${r.before ?? '—'} | ${r.value} | ${r.goal} |`);
}

main().catch((e) => {
  console.error(`bench ledger-scale: ${(e as Error).message}`);
  process.exit(1);
});
