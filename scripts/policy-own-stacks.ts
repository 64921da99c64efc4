/**
 * policy-own-stacks.ts — judge the project's own stacks (dev, stage, prod, audit, bootstrap, k8s-*)
 * with the pack, from their synthesized JSON, each with the env its name implies as the cdktf Aspect does (none for audit and bootstrap), and print one
 * verdict line per stack (and the types each uses with --types). Exit 1 when any stack fails.
 *
 *   npx tsx scripts/policy-own-stacks.ts [--types] [--governed-as-prod]
 *
 * --governed-as-prod judges audit and bootstrap with --env prod too (they serve every tier).
 */
import { Testing, TerraformStack } from 'cdktf';
import { checkPolicy, formatReport } from '../policy/check';
import { PolicyEnv } from '../policy/engine/rule';
import { buildAwsStacks } from '../stacks/aws';
import { buildKubernetesStacks } from '../stacks/k8s';

function envOf(name: string): PolicyEnv | undefined {
  const m = /(?:^|-)(dev|stage|prod)$/.exec(name);
  if (m) return m[1] as PolicyEnv;
  return process.argv.includes('--governed-as-prod') && (name === 'audit' || name === 'bootstrap') ? 'prod' : undefined;
}

function main(): void {
  const app = Testing.app();
  buildAwsStacks(app, { offline: true, prodRollback: false });
  buildKubernetesStacks(app);
  const stacks = app.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack);
  let failed = 0;
  for (const s of stacks) {
    const doc = JSON.parse(Testing.synth(s)) as { resource?: Record<string, unknown> };
    const env = envOf(s.node.id);
    const result = checkPolicy({ kind: 'synth', doc, origin: s.node.id, env, now: new Date() });
    if (result.verdict !== 'pass') failed++;
    console.log(`${s.node.id} (env ${env ?? 'none'}): ${formatReport(result).split('\n').join('\n  ')}`);
    if (process.argv.includes('--types')) console.log(`  types: ${Object.keys(doc.resource ?? {}).sort().join(' ')}`);
  }
  process.exitCode = failed ? 1 : 0;
}

main();
