/**
 * Audit ledger benchmark (npm run bench): filesystem append rate with fsync, verify time of a
 * 100,000-entry log against `sha256sum` over the same files, verify peak memory at 10k vs
 * 100k entries (flat = streaming), and the local S3 server's start time and RSS.
 * Prints one JSON line per measurement, then a human summary. Goals (issue 6): ≥ 200
 * appends/s; verify ≤ 3× sha256sum; memory flat.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serializeEnvelope, signEnvelope } from '../../attest/dsse/envelope';
import { encodeEntry, entryHash, GENESIS_PREV, seqName } from '../../ledger/entry';
import { openStore } from '../../ledger/open-store';
import { generateKeyPairPem, parseSigningKey } from '../../attest/sign/ed25519';

const REPO = resolve(__dirname, '..', '..');
const CLI = join(REPO, 'dist', 'receipts', 'cli.js');
const root = mkdtempSync(join(tmpdir(), 'kfm-bench-ledger-'));
const { privatePem, publicPem } = generateKeyPairPem();
const key = parseSigningKey(privatePem, 'bench.key');
const pub = join(root, 'bench.pub');
writeFileSync(pub, publicPem);
const results: Record<string, number | string>[] = [];
const emit = (r: Record<string, number | string>) => {
  results.push(r);
  console.log(JSON.stringify({ bench: 'ledger', ...r }));
};

function envelope(i: number): Buffer {
  const st = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: `bench-${i}`, digest: { sha256: '0'.repeat(64) } }],
    predicateType: 'https://kfm.example/bench/v1',
    predicate: { i },
  };
  return Buffer.from(
    serializeEnvelope(signEnvelope('application/vnd.in-toto+json', Buffer.from(JSON.stringify(st)), key)),
  );
}

/** A valid log of n entries written directly (no fsync): a fixture for the verify timings. */
function writeLog(dir: string, n: number): void {
  mkdirSync(join(dir, 'entries'), { recursive: true });
  let prev = GENESIS_PREV;
  for (let s = 1; s <= n; s++) {
    const bytes = encodeEntry(s, prev, envelope(s));
    writeFileSync(join(dir, 'entries', `${seqName(s)}.json`), bytes);
    prev = entryHash(bytes);
  }
}

function timed(cmd: string, args: string[]): { seconds: number; maxRssMb: number; code: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  const last = r.stderr.trim().split('\n').pop() ?? '';
  const [e, m] = last.split(' ').map(Number);
  return { seconds: e, maxRssMb: Math.round(m / 1024), code: r.status ?? -1 };
}

async function main(): Promise<void> {
  // 1. Appends/s, one writer, filesystem store, fsync on every entry and directory.
  const appendDir = join(root, 'append');
  const store = openStore(appendDir);
  const N_APPEND = 2000;
  const bodies = Array.from({ length: N_APPEND }, (_, i) => envelope(i));
  const t0 = process.hrtime.bigint();
  for (const b of bodies) await store.append(b);
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  emit({ metric: 'fs_appends_per_second', value: Math.round(N_APPEND / secs), appends: N_APPEND, goal: '>= 200' });

  // 2. Verify vs sha256sum, 10k and 100k entries.
  for (const n of [10_000, 100_000]) {
    const dir = join(root, `log-${n}`);
    writeLog(dir, n);
    execFileSync('sh', ['-c', `find '${dir}/entries' -type f -print0 | xargs -0 cat > /dev/null`]); // warm cache
    const sum = timed('sh', ['-c', `find '${dir}/entries' -type f -print0 | xargs -0 sha256sum > /dev/null`]);
    const ver = timed(process.execPath, [CLI, 'audit', 'verify', '--store', dir, '--pub', pub]);
    if (ver.code !== 0) throw new Error(`verify of the ${n}-entry bench log failed (exit ${ver.code})`);
    emit({
      metric: 'verify_vs_sha256sum',
      entries: n,
      verify_s: ver.seconds,
      sha256sum_s: sum.seconds,
      ratio: Number((ver.seconds / Math.max(sum.seconds, 0.01)).toFixed(2)),
      verify_max_rss_mb: ver.maxRssMb,
      goal: 'ratio <= 3',
    });
    rmSync(dir, { recursive: true, force: true });
  }

  // 3. Local S3 server start time and memory (skipped with a note when it cannot start).
  const script = join(REPO, 'scripts', 's3-local.sh');
  const running = spawnSync('bash', [script, 'status']).status === 0;
  if (running) {
    emit({ metric: 's3_server', note: 'already running; start time not measured (stop it first to measure)' });
  } else {
    const s0 = Date.now();
    const st = spawnSync('bash', [script, 'start'], { encoding: 'utf8', timeout: 300_000 });
    const startS = (Date.now() - s0) / 1000;
    const m = /daemons RSS (\d+) MB/.exec(st.stderr ?? '');
    if (st.status === 0) emit({ metric: 's3_server', start_s: startS, rss_mb: m ? Number(m[1]) : -1 });
    else emit({ metric: 's3_server', note: `could not start: ${(st.stderr ?? '').trim().split('\n').pop()}` });
    spawnSync('bash', [script, 'stop']);
  }
  rmSync(root, { recursive: true, force: true });

  const a = results.find((r) => r.metric === 'fs_appends_per_second')!;
  const v = results.filter((r) => r.metric === 'verify_vs_sha256sum');
  const s = results.find((r) => r.metric === 's3_server');
  console.log(
    `ledger: ${a.value} appends/s (fs, fsync); verify ${v.map((r) => `${r.entries} entries ${r.verify_s}s vs sha256sum ${r.sha256sum_s}s (${r.ratio}x, ${r.verify_max_rss_mb} MB)`).join('; ')}; S3 server ${s?.start_s !== undefined ? `${s.start_s}s to start, ${s.rss_mb} MB RSS` : s?.note}`,
  );
}

main().catch((e) => {
  console.error(`bench ledger: ${(e as Error).message}`);
  process.exit(1);
});
