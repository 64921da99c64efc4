/**
 * Inputs of the PR comment tests, shared by the node and the browser tests: the three tiers' real
 * offline plans (fixtures/receipts/review), a prod plan that fails the policy, the real 350-destroy plan,
 * and the output of a synth the policy fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, kfm, PROV, REPO } from '../helpers';

export const REVIEW = join(FIXTURES, 'review');
export const ENVS = ['dev', 'stage', 'prod'] as const;
export const synthOf = (env: string): string => join(REVIEW, `${env}.cdk.tf.json`);

/** A signed plan receipt of `plan` for `env`, with the policy decision recorded. */
export function receiptOf(plan: string, env: string, key: string, dir: string, name = env): string {
  const policy = join(dir, `${name}.policy.json`);
  const p = kfm(['policy', 'check', '--plan', plan, '--env', env, '--json']);
  if (p.status > 1) throw new Error(p.stderr);
  writeFileSync(policy, p.stdout);
  const out = join(dir, `${name}.plan.receipt.json`);
  const r = kfm(['receipt', 'plan', plan, '--env', env, '--key', key, '--out', out, '--policy', policy, ...PROV]);
  if (r.status !== 0) throw new Error(r.stderr);
  return out;
}

/**
 * 350 destroys (300 deletes for two reasons, 50 replacements) and 20 forgets, planned by the real
 * Terraform and aws provider offline against a seeded state (fixtures/receipts/seeded/destroy-350,
 * scripts/fixtures/seeded-plans.ts): the plan the reviewer could not read.
 */
export const DESTROY_350 = join(FIXTURES, 'seeded', 'destroy-350', 'plan.json');

/** The output of `tsx failing-synth-app.ts` (a real cdktf synth the policy fails: stack prod). */
export function failedSynthLog(dir: string): string {
  const log = join(dir, 'synth.log');
  if (existsSync(log)) return log;
  const r = spawnSync(
    process.execPath,
    [require.resolve('tsx/cli'), join(__dirname, 'failing-synth-app.ts'), join(dir, 'out')],
    {
      cwd: REPO,
      encoding: 'utf8',
    },
  );
  if (r.status === 0) throw new Error('the failing synth app synthesized');
  writeFileSync(log, r.stdout + r.stderr);
  return log;
}
