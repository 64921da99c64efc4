/**
 * The project's own stacks pass its own policy pack: each stack's synthesized JSON judged with
 * the env its name implies (as the cdktf Aspect does), and the shared stacks (audit, bootstrap),
 * which serve every tier, judged as prod too, where the pack is strictest.
 */
import { Testing, TerraformStack } from 'cdktf';
import { checkPolicy, formatReport } from '../../policy/check';
import { PolicyEnv } from '../../policy/engine/rule';
import { buildAwsStacks } from '../../stacks/aws';
import { buildKubernetesStacks } from '../../stacks/k8s';

jest.setTimeout(300_000);

const app = Testing.app();
buildAwsStacks(app, { offline: true, prodRollback: false });
buildKubernetesStacks(app);
const stacks = app.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack);
const docs = new Map(stacks.map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as Record<string, unknown>]));

const tierOf = (name: string): PolicyEnv | undefined => /(?:^|-)(dev|stage|prod)$/.exec(name)?.[1] as PolicyEnv;

const judge = (name: string, env: PolicyEnv | undefined) =>
  checkPolicy({ kind: 'synth', doc: docs.get(name)!, origin: name, env, now: new Date('2026-12-01T00:00:00Z') });

describe('the project’s own stacks under its own policy pack', () => {
  it('synthesizes every AWS and Kubernetes stack', () => {
    expect([...docs.keys()].sort()).toEqual(
      expect.arrayContaining(['audit', 'bootstrap', 'dev', 'stage', 'prod', 'k8s-dev', 'k8s-stage', 'k8s-prod']),
    );
  });

  it.each([...docs.keys()].sort())('%s passes with the env its name implies', (name) => {
    const r = judge(name, tierOf(name));
    expect({ name, verdict: r.verdict, report: r.verdict === 'pass' ? '' : formatReport(r) }).toEqual({
      name,
      verdict: 'pass',
      report: '',
    });
  });

  // The shared stacks serve prod too: judged as prod, where the pack is strictest. They hold storage
  // controls, keys and identities only, so prod-alarms-configured asks them for no alarm (it asks a
  // configuration that runs a workload), and every other prod rule applies.
  it.each(['audit', 'bootstrap'])('%s (shared by every tier) passes when judged as prod', (name) => {
    const r = judge(name, 'prod');
    expect({ name, verdict: r.verdict, report: r.verdict === 'pass' ? '' : formatReport(r) }).toEqual({
      name,
      verdict: 'pass',
      report: '',
    });
  });
});
