/**
 * What the end-to-end flow tests share: a temporary tier workspace with Terraform's offline
 * environment (scripts/lib/tf-env.sh), the real CLI and scripts as processes, `terraform_data`
 * stacks, and the PR/deploy step "plan, judge, receipt, append".
 */
import { execFileSync, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..');
export const CLI = join(ROOT, 'dist', 'receipts', 'cli.js');

export function ok(r: SpawnSyncReturns<string>): SpawnSyncReturns<string> {
  if (r.status !== 0) throw new Error(`exit ${r.status}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`);
  return r;
}

export interface Flow {
  readonly dir: string;
  /** The environment every process runs with; tests may add to it. */
  readonly env: NodeJS.ProcessEnv;
  run(cmd: string, args: string[], extra?: NodeJS.ProcessEnv): SpawnSyncReturns<string>;
  kfm(...args: string[]): SpawnSyncReturns<string>;
  script(name: string, ...args: string[]): SpawnSyncReturns<string>;
  /** Write `synth/stacks/<name>/cdk.tf.json` holding these `terraform_data` resources. */
  stack(name: string, resources: Record<string, unknown>): void;
  /**
   * plan.sh + policy on the plan + signed plan receipt + ledger append, as pr.yml/deploy.yml do.
   * @param checkPolicy called with the policy check's exit code (tests assert on it)
   */
  planAndRecord(tier: string, checkPolicy?: (status: number | null) => void): string;
}

/** A fresh workspace for `commit`: KFM_* paths under a temporary directory, offline Terraform. */
export function createFlow(prefix: string, commit: string, extraEnv: NodeJS.ProcessEnv = {}): Flow {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const tfEnv = execFileSync('bash', [join(ROOT, 'scripts', 'lib', 'tf-env.sh'), '--print'], {
    encoding: 'utf8',
    env: { ...process.env, KFM_OFFLINE: '1' },
  });
  const env: NodeJS.ProcessEnv = { ...process.env, KFM_OFFLINE: '1' };
  for (const line of tfEnv.split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]!] = m[2]!.replace(/^'(.*)'$/, '$1');
  }
  Object.assign(env, {
    KFM_STATE_DIR: join(dir, 'state'),
    KFM_SYNTH_DIR: join(dir, 'synth'),
    KFM_PLANS_DIR: join(dir, 'plans'),
    KFM_RECEIPTS_DIR: join(dir, 'receipts'),
    KFM_AUDIT_STORE: join(dir, 'audit'),
    KFM_KEY: join(dir, 'keys', 'kfm-signing.key'),
    KFM_PUB: join(dir, 'keys', 'kfm-signing.pub'),
    KFM_APPROVERS_DIR: join(dir, 'approvers'),
    KFM_COMMIT: commit,
    GITHUB_SHA: commit,
    ...extraEnv,
  });
  mkdirSync(join(dir, 'receipts'), { recursive: true });
  const run = (cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}) =>
    spawnSync(cmd, args, { cwd: ROOT, env: { ...env, ...extra }, encoding: 'utf8', timeout: 120_000 });
  const kfm = (...args: string[]) => run(process.execPath, [CLI, ...args]);
  const script = (name: string, ...args: string[]) => run('bash', [join(ROOT, 'scripts', `${name}.sh`), ...args]);
  const stack = (name: string, resources: Record<string, unknown>) => {
    mkdirSync(join(dir, 'synth', 'stacks', name), { recursive: true });
    writeFileSync(
      join(dir, 'synth', 'stacks', name, 'cdk.tf.json'),
      JSON.stringify(
        { terraform: { backend: { local: { path: 'unused.tfstate' } } }, resource: { terraform_data: resources } },
        null,
        2,
      ),
    );
  };
  const planAndRecord = (tier: string, checkPolicy?: (status: number | null) => void) => {
    ok(script('plan', tier, '--no-synth'));
    const plans = join(dir, 'plans');
    const policy = kfm('policy', 'check', '--plan', join(plans, `${tier}.plan.json`), '--env', tier, '--json');
    checkPolicy?.(policy.status);
    writeFileSync(join(plans, `${tier}.policy.json`), policy.stdout);
    const out = join(dir, 'receipts', `${tier}.plan.${readdirSync(join(dir, 'receipts')).length}.json`);
    ok(
      kfm(
        'receipt',
        'plan',
        join(plans, `${tier}.plan.json`),
        '--env',
        tier,
        '--key',
        env.KFM_KEY!,
        '--out',
        out,
        '--plan-file',
        join(plans, `${tier}.tfplan`),
        '--policy',
        join(plans, `${tier}.policy.json`),
        '--commit',
        commit,
        '--actor',
        'ci-runner',
        '--author',
        'author',
        '--method',
        'ci',
      ),
    );
    ok(kfm('audit', 'append', '--init', out, '--store', env.KFM_AUDIT_STORE!));
    return out;
  };
  return { dir, env, run, kfm, script, stack, planAndRecord };
}
