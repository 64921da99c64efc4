/**
 * What one `kfm audit append` costs with and without the log's public key (issue 24), in the same
 * run on the same ledgers: a directory store of KFM_BENCH_FS_N entries (default 5,000) and, when
 * the local radosgw's variables are set (scripts/s3-local.sh start), an S3 store of
 * KFM_BENCH_S3_N (default 500). Each ledger gets a checkpoint (bundles and index), then a few
 * more entries; then RUNS appends of a fresh envelope each way, alternating. Prints one JSON line
 * per append and a summary line per store.
 *
 *   npx tsx scripts/bench/append-start.ts   (after npm run build: it times dist/)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { generateKeyPairPem, parseSigningKey } from '../../attest/sign/ed25519';
import { benchEnvelope } from './lib/envelopes';
import { encodeEntry, entryHash, GENESIS_PREV, seqName } from '../../ledger/entry';

const CLI = join(resolve(__dirname, '..', '..'), 'dist', 'receipts', 'cli.js');
const root = mkdtempSync(join(tmpdir(), 'kfm-bench-append-'));
const { privatePem, publicPem } = generateKeyPairPem();
const key = parseSigningKey(privatePem, 'bench.key');
const pub = join(root, 'bench.pub');
const keyFile = join(root, 'bench.key');
writeFileSync(pub, publicPem);
writeFileSync(keyFile, privatePem, { mode: 0o600 });
const RUNS = Number(process.env.KFM_BENCH_RUNS ?? 3);
let made = 0;

const envelope = (i: number): Buffer => benchEnvelope(i, key);

function file(): string {
  const f = join(root, `e-${++made}-${Math.random()}.json`);
  writeFileSync(f, envelope(1_000_000 + made));
  return f;
}

function kfm(args: string[], env: NodeJS.ProcessEnv = process.env): { code: number; seconds: number; stderr: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, [CLI, ...args], { env, encoding: 'utf8', maxBuffer: 1 << 28 });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`kfm ${args.slice(0, 2).join(' ')} exited ${r.status}: ${r.stderr}`);
  return { code: r.status, seconds, stderr: r.stderr };
}

function measure(store: string, n: number, env: NodeJS.ProcessEnv): void {
  kfm(
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
      join(root, `cp-${Math.random()}`),
    ],
    env,
  );
  kfm(['audit', 'append', file(), file(), '--store', store], env);
  const times: Record<'without' | 'with', number[]> = { without: [], with: [] };
  for (let i = 0; i < RUNS; i++) {
    for (const way of i % 2 === 0 ? (['without', 'with'] as const) : (['with', 'without'] as const)) {
      const r = kfm(['audit', 'append', file(), '--store', store, ...(way === 'with' ? ['--log-pub', pub] : [])], env);
      if (r.stderr !== '') throw new Error(`append ${way} the key said: ${r.stderr}`);
      times[way].push(r.seconds);
      console.log(
        JSON.stringify({
          bench: 'append-start',
          store: store.startsWith('s3://') ? 's3' : 'fs',
          n,
          way,
          seconds: r.seconds,
        }),
      );
    }
  }
  const range = (t: number[]) => `${Math.min(...t).toFixed(2)}–${Math.max(...t).toFixed(2)} s`;
  console.log(
    JSON.stringify({
      summary: store.startsWith('s3://') ? 's3' : 'fs',
      n,
      without: range(times.without),
      with: range(times.with),
    }),
  );
}

const fsN = Number(process.env.KFM_BENCH_FS_N ?? 5000);
const dir = join(root, 'fs-store');
mkdirSync(join(dir, 'entries'), { recursive: true });
let prev = GENESIS_PREV;
for (let s = 1; s <= fsN; s++) {
  const bytes = encodeEntry(s, prev, envelope(s));
  writeFileSync(join(dir, 'entries', `${seqName(s)}.json`), bytes);
  prev = entryHash(bytes);
}
measure(dir, fsN, process.env);

if (process.env.KFM_AUDIT_STORE?.startsWith('s3://') && process.env.AWS_ENDPOINT_URL_S3) {
  const s3N = Number(process.env.KFM_BENCH_S3_N ?? 500);
  const spec = `${process.env.KFM_AUDIT_STORE}-bench-append-${Date.now()}`;
  const files: string[] = [];
  for (let i = 0; i < s3N; i++) files.push(file());
  kfm(['audit', 'append', '--init', ...files, '--store', spec]);
  measure(spec, s3N, process.env);
}
