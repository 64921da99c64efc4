/**
 * Benchmark: `kfm receipt plan` and `kfm policy check --plan --json` on plans shaped like real AWS
 * plans (scripts/fixtures/bench-aws-plan.ts: ten resource types, nested blocks, unknown and
 * sensitive values, updates, replaces and deletes, planned by the real Terraform offline), at
 * 1,000 and 10,000 resources. Every figure is a ratio against a bare node process that reads,
 * hashes and JSON.parses the same file; whole processes, interleaved, median of KFM_BENCH_RUNS
 * (at least 7).
 * Goals (issue 29): receipt <= 1.5x time, policy <= 2x time, both <= 2x memory; 10,000 resources
 * cost at most 11x what 1,000 cost. The receipt floor (lib/processes.ts writeReceiptFloor) is what
 * any receipt of the plan costs before its first change record: the least the goal can be held to.
 * KFM_BENCH_BASE=/path/to/other/checkout measures that checkout's dist/ in the same interleaved
 * runs (before/after in one run). KFM_BENCH_AWS_SIZES=1000,10000 picks the sizes;
 * KFM_BENCH_PLAN_FILES=a.json,b.json measures those plan files instead (any `terraform show -json`).
 * Run: `npm run bench aws-plans` (builds first).
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { ensureAwsPlan } from '../fixtures/bench-aws-plan';
import {
  Measure,
  machine,
  measure,
  medians,
  payloadBytes,
  receiptPlanArgs,
  writeBareParse,
  writeReceiptFloor,
} from './lib/processes';

const REPO = resolve(__dirname, '..', '..');
const RUNS = Math.max(7, Number(process.env.KFM_BENCH_RUNS ?? 7));
const SIZES = (process.env.KFM_BENCH_AWS_SIZES ?? '1000,10000').split(',').map(Number);
const FILES = process.env.KFM_BENCH_PLAN_FILES?.split(',').map((f) => resolve(f));

/** The plans measured, by resource count: given files, or the generated AWS plans. */
function plans(): Map<number, string> {
  if (!FILES) return new Map(SIZES.map((n) => [n, ensureAwsPlan(n)]));
  const count = (f: string): number =>
    ((JSON.parse(readFileSync(f, 'utf8')) as { resource_changes?: unknown[] }).resource_changes ?? []).length;
  return new Map(FILES.map((f) => [count(f), f]));
}
const GOALS = { receipt: 1.5, policy: 2, memory: 2, growth: 11 };

interface Tool {
  readonly label: string;
  readonly cli: string;
}

function tools(): Tool[] {
  const out = [{ label: 'kfm', cli: join(REPO, 'dist', 'receipts', 'cli.js') }];
  const base = process.env.KFM_BENCH_BASE;
  if (base) out.push({ label: 'base', cli: join(resolve(base), 'dist', 'receipts', 'cli.js') });
  for (const t of out) if (!existsSync(t.cli)) throw new Error(`bench: ${t.cli} missing; build it first`);
  return out;
}

/**
 * The receipt floor's arguments for `plan`: its payload is as long as the payload of the receipt
 * this checkout's kfm makes of the plan (made once here, outside the timed runs).
 */
function floorArgs(plan: string, ts: Tool[], key: string, work: string): (i: number) => string[] {
  const sample = join(work, `floor-sample-${statSync(plan).size}.json`);
  measure(receiptPlanArgs(ts[0]!.cli, plan, key, sample));
  const n = String(payloadBytes(sample));
  const dist = resolve(ts[0]!.cli, '..', '..');
  return (i) => [
    join(work, 'receipt-floor.js'),
    dist,
    plan,
    key,
    join(work, `floor-${statSync(plan).size}-${i}.json`),
    n,
  ];
}

/** Interleaved runs of the bare parse, the receipt floor and, per tool, receipt and policy check on one plan. */
function runPlan(plan: string, ts: Tool[], key: string, work: string): Map<string, Measure> {
  const runs = new Map<string, Measure[]>();
  const add = (k: string, m: Measure): void => void runs.set(k, [...(runs.get(k) ?? []), m]);
  const floor = floorArgs(plan, ts, key, work);
  for (let i = 0; i < RUNS; i++) {
    add('bare', measure([join(work, 'bare-parse.js'), plan]));
    add('receipt floor', measure(floor(i)));
    for (const t of ts) {
      add(
        `${t.label} receipt`,
        measure(
          receiptPlanArgs(
            t.cli,
            plan,
            key,
            join(work, `${t.label}-${basename(plan)}-${statSync(plan).size}-${i}.json`),
          ),
        ),
      );
      const policy = [t.cli, 'policy', 'check', '--plan', plan, '--env', 'dev', '--now', '2026-01-01', '--json'];
      add(`${t.label} policy`, measure(policy, [0, 1]));
    }
  }
  return new Map([...runs].map(([k, ms]) => [k, medians(ms)]));
}

function main(): void {
  const ts = tools();
  const work = mkdtempSync(join(tmpdir(), 'kfm-bench-aws-'));
  try {
    writeBareParse(work);
    writeReceiptFloor(work);
    const kg = spawnSync(process.execPath, [ts[0]!.cli, 'keygen', '--out-dir', join(work, 'k')], { encoding: 'utf8' });
    if (kg.status !== 0) throw new Error(kg.stderr);
    const key = join(work, 'k', 'kfm-signing.key');
    const m = machine();
    process.stdout.write(JSON.stringify({ bench: 'aws-plans', measure: 'machine', ...m, runs: RUNS }) + '\n');
    const bySize = new Map<number, Map<string, Measure>>();
    const byCount = plans();
    for (const [size, plan] of byCount) {
      const r = runPlan(plan, ts, key, work);
      bySize.set(size, r);
      const bare = r.get('bare')!;
      const mib = statSync(plan).size / (1 << 20);
      for (const [k, x] of r) {
        const line = {
          bench: 'aws-plans',
          resources: size,
          plan_json_mib: +mib.toFixed(2),
          measure: k,
          seconds: x.seconds,
          cpu_seconds: x.cpu,
          max_rss_kib: x.maxRssKiB,
          time_ratio: +(x.seconds / bare.seconds).toFixed(2),
          cpu_ratio: +(x.cpu / bare.cpu).toFixed(2),
          memory_ratio: +(x.maxRssKiB / bare.maxRssKiB).toFixed(2),
        };
        process.stdout.write(JSON.stringify(line) + '\n');
      }
      for (const t of ts) {
        const rc = r.get(`${t.label} receipt`)!;
        const pc = r.get(`${t.label} policy`)!;
        const ratio = (x: Measure): string =>
          `x${(x.seconds / bare.seconds).toFixed(2)} time (cpu x${(x.cpu / bare.cpu).toFixed(2)}), x${(x.maxRssKiB / bare.maxRssKiB).toFixed(2)} memory`;
        process.stdout.write(
          `aws-plans ${size} resources (${mib.toFixed(1)} MiB), ${t.label}: receipt plan ${ratio(rc)} (goal <=${GOALS.receipt}); ` +
            `policy check ${ratio(pc)} (goal <=${GOALS.policy}); bare ${bare.seconds.toFixed(2)}s\n`,
        );
      }
      const fl = r.get('receipt floor')!;
      process.stdout.write(
        `aws-plans ${size} resources, receipt floor (kfm's input checks, then sign and write a receipt of the same size, ` +
          `no change records): x${(fl.seconds / bare.seconds).toFixed(2)} time (cpu x${(fl.cpu / bare.cpu).toFixed(2)}), ` +
          `x${(fl.maxRssKiB / bare.maxRssKiB).toFixed(2)} memory\n`,
      );
    }
    const [small, large] = [Math.min(...byCount.keys()), Math.max(...byCount.keys())];
    if (small !== large) {
      for (const t of ts) {
        for (const what of ['receipt', 'policy']) {
          const a = bySize.get(small)!.get(`${t.label} ${what}`)!;
          const b = bySize.get(large)!.get(`${t.label} ${what}`)!;
          const growth = +(b.seconds / a.seconds).toFixed(2);
          const line = { bench: 'aws-plans', measure: 'growth', tool: t.label, what, from: small, to: large, growth };
          process.stdout.write(JSON.stringify({ ...line, goal: GOALS.growth }) + '\n');
          process.stdout.write(`aws-plans growth ${t.label} ${what}: ${large}/${small} resources cost x${growth}\n`);
        }
      }
    }
    process.stdout.write(`aws-plans: ${m.cores} x ${m.cpu}, node ${m.node}, median of ${RUNS} interleaved runs\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
