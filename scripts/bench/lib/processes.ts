/**
 * Whole-process measures shared by the benches: wall and CPU time and peak RSS by GNU time, the
 * bare read + sha256 + JSON.parse every figure is a ratio against, medians, and the machine.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';

export interface Measure {
  readonly seconds: number;
  /** user + sys: less noisy than wall time on a shared machine. */
  readonly cpu: number;
  readonly maxRssKiB: number;
}

/** One run of `node ARGS` under /usr/bin/time; `exits` are the codes that are not failures. */
export function measure(args: readonly string[], exits: readonly number[] = [0]): Measure {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', process.execPath, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  if (!exits.includes(r.status ?? -1))
    throw new Error(`bench: ${args.join(' ').slice(0, 80)} exited ${r.status}: ${r.stderr.slice(-400)}`);
  const last = r.stderr.trim().split('\n').pop()!;
  const [e, u, sy, m] = last.split(' ').map(Number);
  return { seconds: e!, cpu: +(u! + sy!).toFixed(2), maxRssKiB: m! };
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

/** Medians of time, CPU and peak RSS over runs of one command. */
export function medians(ms: readonly Measure[]): Measure {
  return {
    seconds: median(ms.map((x) => x.seconds)),
    cpu: median(ms.map((x) => x.cpu)),
    maxRssKiB: median(ms.map((x) => x.maxRssKiB)),
  };
}

/** The floor any reader of a plan pays: read the file, hash it, JSON.parse it. Returns the script path. */
export function writeBareParse(dir: string): string {
  const path = join(dir, 'bare-parse.js');
  writeFileSync(
    path,
    `const fs = require('fs'); const c = require('crypto');
const b = fs.readFileSync(process.argv[2]);
const d = c.createHash('sha256').update(b).digest('hex');
const o = JSON.parse(b.toString('utf8'));
if (!d || !o) process.exit(1);
`,
  );
  return path;
}

/** The machine the figures were taken on. */
export function machine(): { cpu: string; cores: number; node: string } {
  return { cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, node: process.version };
}

/** `kfm receipt plan` arguments with fixed provenance, writing to `out`. */
export function receiptPlanArgs(cli: string, plan: string, key: string, out: string): string[] {
  return [
    cli,
    'receipt',
    'plan',
    plan,
    '--env',
    'dev',
    '--key',
    key,
    '--out',
    out,
    '--commit',
    '0123456789abcdef0123456789abcdef01234567',
    '--branch',
    'main',
    '--actor',
    'bench',
    '--method',
    'ci',
  ];
}

/**
 * The least any `kfm receipt plan` of a plan can cost, as a process: the bare parse's work through
 * kfm's own reader and input checks (`readPlanDocument`: read, hash, UTF-8 and shape checks, the
 * plan model), then loading the signing key and signing, encoding, writing (in pieces, hashed, as
 * kfm writes a receipt) and fsyncing an envelope whose payload has `payloadBytes` bytes (the real
 * receipt's), without one change record,
 * exposure fact or canonical JSON. A goal below this ratio cannot be met without a smaller receipt or fewer input checks.
 * Run as `node FLOOR DIST PLAN KEY OUT PAYLOAD_BYTES`. Returns the script path.
 */
export function writeReceiptFloor(dir: string): string {
  const path = join(dir, 'receipt-floor.js');
  writeFileSync(
    path,
    `const [dist, plan, key, out, n] = process.argv.slice(2);
require(dist + '/cli/lib/short-process').tuneForOneShortProcess(); // as kfm's process entry does
const { doc, digest } = require(dist + '/terraform/plan').readPlanDocument(plan);
const signing = require(dist + '/cli/lib/keys').loadSigningKey(key);
const dsse = require(dist + '/attest/dsse/envelope');
const signed = dsse.signPayloadOfText(dsse.IN_TOTO_PAYLOAD_TYPE, ['x'.repeat(Number(n))], signing);
// As kfm writes a receipt (attest/statement.ts writeSignedStatement): in pieces, hashed on the way.
const written = dsse.writeEnvelopeFile(signed, out);
if (!digest || !doc || !written.digest) process.exit(1);
`,
  );
  return path;
}

/** The payload size in bytes of the DSSE envelope in `file`. */
export function payloadBytes(file: string): number {
  const env = JSON.parse(readFileSync(file, 'utf8')) as { payload: string };
  return Buffer.from(env.payload, 'base64').length;
}
