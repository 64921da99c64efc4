/**
 * Inputs of the PR comment tests, shared by the node and the browser tests: the three tiers' real
 * offline plans (fixtures/receipts/review), a prod plan that fails the policy, a 350-destroy plan,
 * and the output of a synth the policy fails.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, kfm, PROV, REPO, TF } from '../helpers';

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

function rc(address: string, type: string, actions: string[], extra: Record<string, unknown> = {}) {
  const del = actions.includes('delete') || actions[0] === 'forget';
  const gone = (actions[0] === 'delete' && actions.length === 1) || actions[0] === 'forget';
  const name = /\.([^.[]+)/.exec(address)![1];
  return {
    address,
    mode: 'managed',
    type,
    name,
    provider_name: 'registry.terraform.io/hashicorp/aws',
    change: {
      actions,
      before: del ? { id: 'old', bucket: 'b' } : null,
      after: gone ? null : { id: 'new', bucket: 'b2' },
      after_unknown: {},
      before_sensitive: del ? {} : false,
      after_sensitive: gone ? false : {},
      ...((extra.change as object) ?? {}),
    },
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'change')),
  };
}

/**
 * 350 destroys (300 deletes for three reasons, 50 replacements) and 20 forgets, in the shapes
 * Terraform 1.11.4 writes (lifecycle/2-change): the plan the reviewer could not read.
 */
export function destroyPlan(dir: string): string {
  const base = JSON.parse(readFileSync(join(TF, 'generated-tf1.11.4', 'lifecycle', '2-change.show-plan.json'), 'utf8'));
  const changes = [
    ...Array.from({ length: 200 }, (_, i) =>
      rc(`aws_s3_bucket.bucket[${i}]`, 'aws_s3_bucket', ['delete'], {
        index: i,
        action_reason: 'delete_because_count_index',
      }),
    ),
    ...Array.from({ length: 100 }, (_, i) =>
      rc(`aws_sqs_queue.Ingest_Queue${i}_${(0x1a2b3c00 + i).toString(16).toUpperCase()}`, 'aws_sqs_queue', ['delete'], {
        action_reason: 'delete_because_no_resource_config',
      }),
    ),
    ...Array.from({ length: 50 }, (_, i) =>
      rc(`aws_instance.web[${i}]`, 'aws_instance', ['delete', 'create'], {
        index: i,
        action_reason: 'replace_because_cannot_update',
        change: { replace_paths: [['ami']] },
      }),
    ),
    ...Array.from({ length: 20 }, (_, i) =>
      rc(`aws_s3_bucket.archive${i}`, 'aws_s3_bucket', ['forget'], {
        action_reason: 'delete_because_no_resource_config',
      }),
    ),
  ];
  const p = join(dir, 'destroy-350.plan.json');
  writeFileSync(p, JSON.stringify({ ...base, resource_changes: changes, resource_drift: [] }));
  return p;
}

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
