/**
 * Where `kfm policy check --plan` spends its time, per phase and per rule, in CPU milliseconds
 * (process.cpuUsage: steadier than wall time on a shared machine), on the generated AWS plans
 * (scripts/fixtures/bench-aws-plan.ts) or on KFM_BENCH_PLAN_FILES. One cold pass per plan, as the
 * CLI makes. Run: `npm run bench policy-phases`.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ensureAwsPlan } from '../fixtures/bench-aws-plan';
import { parsePlanDocument } from '../../terraform/plan';
import { viewFromPlan } from '../../policy/engine/from-plan';
import { evaluatePolicy } from '../../policy/engine/evaluate';
import { bundleOf, committedSuppressionFile } from '../../policy/bundle';
import { KFM_PACK } from '../../policy/pack';
import { PolicyRule } from '../../policy/engine/rule';

const cpuMs = (): number => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

function phases(file: string): Record<string, unknown> {
  const at = { start: cpuMs() };
  const bytes = readFileSync(file);
  const doc = parsePlanDocument(bytes, file);
  const parsed = cpuMs();
  const input = viewFromPlan(doc, file);
  const viewed = cpuMs();
  const perRule: [string, number][] = [];
  const timed: PolicyRule[] = KFM_PACK.map((r) => ({
    ...r,
    evaluate: (ctx) => {
      const t = cpuMs();
      const out = r.evaluate(ctx);
      perRule.push([r.id, +(cpuMs() - t).toFixed(1)]);
      return out;
    },
  }));
  const suppressions = committedSuppressionFile();
  const result = evaluatePolicy(input, {
    rules: timed,
    suppressions,
    bundle: bundleOf(KFM_PACK, suppressions),
    now: new Date('2026-01-01T00:00:00Z'),
    env: 'dev',
  });
  const judged = cpuMs();
  JSON.stringify(result);
  const printed = cpuMs();
  return {
    bench: 'policy-phases',
    resources: input.resources.length,
    read_parse_model_ms: +(parsed - at.start).toFixed(0),
    view_ms: +(viewed - parsed).toFixed(0),
    evaluate_ms: +(judged - viewed).toFixed(0),
    json_ms: +(printed - judged).toFixed(0),
    slowest_rules_ms: perRule.sort((a, b) => b[1] - a[1]).slice(0, 8),
  };
}

const files = process.env.KFM_BENCH_PLAN_FILES?.split(',').map((f) => resolve(f)) ?? [
  ensureAwsPlan(1000),
  ensureAwsPlan(10000),
];
for (const f of files) process.stdout.write(JSON.stringify(phases(f)) + '\n');
