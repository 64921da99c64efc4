/**
 * Benchmark: `kfm receipt plan` on a 10,000-resource plan vs a bare node process that reads the
 * plan JSON, hashes it and JSON.parses it (the floor any receipt tool pays).
 * Goal (issue 4): <= 1.5x the time and <= 2x the peak RSS of the bare process.
 * The plan is made by the real Terraform (terraform_data, count = 10000) and cached in .kfm/bench/.
 * Also measured, outside the goal: the same plan with one number a double cannot hold (the exact
 * parse path, see core/exact-json.ts) and `kfm policy check --plan` on the plan.
 * Prints one JSON line per measure, then a human summary line. Run: `npm run bench` (builds first).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { measure, median, receiptPlanArgs, writeBareParse } from './lib/processes';

const REPO = resolve(__dirname, '..', '..');
const CACHE = join(REPO, '.kfm', 'bench', 'receipts-10k');
const PLAN_JSON = join(CACHE, 'plan.json');
const RUNS = Number(process.env.KFM_BENCH_RUNS ?? 7);
const CLI = join(REPO, 'dist', 'receipts', 'cli.js');

function tf(args: string[]): string {
  const cfg = join(CACHE, '.terraformrc');
  writeFileSync(cfg, '');
  const r = spawnSync('terraform', args, {
    cwd: CACHE,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
    env: { ...process.env, TF_CLI_CONFIG_FILE: cfg, TF_IN_AUTOMATION: '1', TF_INPUT: '0', CHECKPOINT_DISABLE: '1' },
  });
  if (r.status !== 0) throw new Error(`terraform ${args.join(' ')} exited ${r.status}: ${r.stderr.slice(0, 400)}`);
  return r.stdout;
}

/** Shaped like the KFM storage zones: about 1.5 KB of plan JSON per resource, as the issue assumes. */
const MAIN_TF = `resource "terraform_data" "r" {
  count = 10000
  input = {
    bucket        = "kfm-dev-processed-\${count.index}"
    arn           = "arn:aws:s3:::kfm-dev-processed-\${count.index}"
    zone          = "processed"
    policy_label  = "public"
    force_destroy = false
    versioning    = { enabled = true, mfa_delete = false }
    encryption    = { sse_algorithm = "aws:kms", kms_master_key_id = "alias/kfm-dev", bucket_key_enabled = true }
    public_access = { block_public_acls = true, block_public_policy = true, ignore_public_acls = true, restrict_public_buckets = true }
    lifecycle     = [{ id = "noncurrent", enabled = true, noncurrent_days = 30 }, { id = "abort-mpu", enabled = true, abort_days = 7 }]
    tags          = { Project = "kfm", Tier = "dev", Zone = "processed", ManagedBy = "cdktf", Index = tostring(count.index) }
  }
}
`;

function ensurePlan(): void {
  if (
    existsSync(PLAN_JSON) &&
    existsSync(join(CACHE, 'main.tf')) &&
    readFileSync(join(CACHE, 'main.tf'), 'utf8') === MAIN_TF
  )
    return;
  rmSync(CACHE, { recursive: true, force: true });
  mkdirSync(CACHE, { recursive: true });
  writeFileSync(join(CACHE, 'main.tf'), MAIN_TF);
  process.stderr.write(
    'bench: planning 10,000 terraform_data resources with the real Terraform (cached afterwards)...\n',
  );
  tf(['plan', '-input=false', '-out=plan.tfplan']);
  writeFileSync(PLAN_JSON + '.tmp', tf(['show', '-json', 'plan.tfplan']));
  spawnSync('mv', [PLAN_JSON + '.tmp', PLAN_JSON]);
}

/**
 * Full garbage collections (V8 mark-compacts) in one run of a process, from `--trace-gc`. The bare
 * process runs none on the bench plan; a process that allocates before its parse has V8 size the
 * old generation for a small heap and then runs one, about 25 ms, during the parse.
 */
function fullGcs(args: string[]): number {
  const r = spawnSync(process.execPath, ['--trace-gc', ...args], { encoding: 'utf8', maxBuffer: 1 << 28 });
  if (r.status !== 0 && r.status !== 1)
    throw new Error(`bench: ${args.join(' ').slice(0, 80)} exited ${r.status}: ${r.stderr.slice(-400)}`);
  return r.stdout.split('\n').filter((l) => l.includes('Mark-Compact')).length;
}

function main(): void {
  if (!existsSync(CLI)) throw new Error(`bench: ${CLI} missing; run "npm run build" first`);
  ensurePlan();
  const work = mkdtempSync(join(tmpdir(), 'kfm-bench-'));
  try {
    const keyDir = join(work, 'k');
    const kg = spawnSync(process.execPath, [CLI, 'keygen', '--out-dir', keyDir], { encoding: 'utf8' });
    if (kg.status !== 0) throw new Error(kg.stderr);
    const baseline = writeBareParse(work);
    const exactPlan = join(work, 'plan-exact.json');
    writeFileSync(
      exactPlan,
      readFileSync(PLAN_JSON, 'utf8').replace('"zone":"processed"', '"zone":"processed","n":9007199254740993'),
    );
    const receiptArgs = (plan: string, out: string): string[] =>
      receiptPlanArgs(CLI, plan, join(keyDir, 'kfm-signing.key'), out);
    const base: ReturnType<typeof measure>[] = [];
    const kfm: ReturnType<typeof measure>[] = [];
    const exact: ReturnType<typeof measure>[] = [];
    const pol: ReturnType<typeof measure>[] = [];
    for (let i = 0; i < RUNS; i++) {
      exact.push(measure(receiptArgs(exactPlan, join(work, `x${i}.json`))));
      pol.push(measure([CLI, 'policy', 'check', '--plan', PLAN_JSON, '--env', 'dev', '--now', '2026-01-01'], [0, 1]));
      base.push(measure([baseline, PLAN_JSON]));
      kfm.push(measure(receiptArgs(PLAN_JSON, join(work, `r${i}.json`))));
    }
    const gcKfm = fullGcs(receiptArgs(PLAN_JSON, join(work, 'gc.json')));
    const gcBase = fullGcs([baseline, PLAN_JSON]);
    const sizeMiB = statSync(PLAN_JSON).size / (1 << 20);
    const resources = (JSON.parse(readFileSync(PLAN_JSON, 'utf8')).resource_changes ?? []).length;
    const bt = median(base.map((x) => x.seconds));
    const kt = median(kfm.map((x) => x.seconds));
    const bc = median(base.map((x) => x.cpu));
    const kc = median(kfm.map((x) => x.cpu));
    const bm = median(base.map((x) => x.maxRssKiB));
    const km = median(kfm.map((x) => x.maxRssKiB));
    const receiptMiB = statSync(join(work, 'r0.json')).size / (1 << 20);
    const xt = median(exact.map((x) => x.seconds));
    const pt = median(pol.map((x) => x.seconds));
    const lines = [
      {
        bench: 'receipts',
        measure: 'machine',
        cpu: cpus()[0]?.model ?? 'unknown',
        cores: cpus().length,
        node: process.version,
      },
      { bench: 'receipts', measure: 'input', plan_json_mib: +sizeMiB.toFixed(2), resources, runs: RUNS },
      { bench: 'receipts', measure: 'baseline', seconds: bt, cpu_seconds: bc, max_rss_kib: bm },
      {
        bench: 'receipts',
        measure: 'kfm_receipt_plan',
        seconds: kt,
        cpu_seconds: kc,
        max_rss_kib: km,
        receipt_mib: +receiptMiB.toFixed(2),
      },
      {
        bench: 'receipts',
        measure: 'kfm_receipt_plan_exact_numbers',
        seconds: xt,
        max_rss_kib: median(exact.map((x) => x.maxRssKiB)),
        time_ratio: +(xt / bt).toFixed(2),
      },
      {
        bench: 'receipts',
        measure: 'kfm_policy_check_plan',
        seconds: pt,
        max_rss_kib: median(pol.map((x) => x.maxRssKiB)),
        time_ratio: +(pt / bt).toFixed(2),
      },
      { bench: 'receipts', measure: 'full_gcs', kfm_receipt_plan: gcKfm, baseline: gcBase },
      {
        bench: 'receipts',
        measure: 'ratio',
        time_ratio: +(kt / bt).toFixed(2),
        cpu_ratio: +(kc / bc).toFixed(2),
        memory_ratio: +(km / bm).toFixed(2),
        goal_time: 1.5,
        goal_memory: 2,
        ok: kt / bt <= 1.5 && km / bm <= 2,
      },
    ];
    for (const l of lines) process.stdout.write(JSON.stringify(l) + '\n');
    process.stdout.write(
      `receipts: ${resources} resources (${sizeMiB.toFixed(1)} MiB plan JSON): kfm receipt plan ${kt.toFixed(2)}s / ${(km / 1024).toFixed(0)} MiB vs bare read+hash+parse ${bt.toFixed(2)}s / ${(bm / 1024).toFixed(0)} MiB -> time x${(kt / bt).toFixed(2)} (cpu x${(kc / bc).toFixed(2)}; goal <=1.5), memory x${(km / bm).toFixed(2)} (goal <=2); exact-number plan x${(xt / bt).toFixed(2)}, policy check x${(pt / bt).toFixed(2)}; full GCs ${gcKfm} (bare ${gcBase}); ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, node ${process.version}, median of ${RUNS}\n`,
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main();
