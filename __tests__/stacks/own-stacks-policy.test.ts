/**
 * The project's own stacks pass its own policy pack: each stack's synthesized JSON judged with
 * the env its name implies (as the cdktf Aspect does), and the shared stacks (audit, bootstrap),
 * which serve every tier, judged as prod too, where the pack is strictest.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Testing, TerraformStack } from 'cdktf';
import { policy } from '../../cli/commands/policy';
import { PolicyAspect } from '../../constructs/policy-aspect';
import { DEFAULT_INSTALLATION, Installation, installationFrom } from '../../core/installation';
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

const NOW = new Date('2026-12-01T00:00:00Z');
const judge = (name: string, env: PolicyEnv | undefined) =>
  checkPolicy({ kind: 'synth', doc: docs.get(name)!, origin: name, env, now: NOW });

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

/**
 * Issue 25: an installation in another repository (kfm:repository) under another name prefix
 * (kfm:namePrefix) passes the same pack: the declared facts (external-resources.json's
 * {namePrefix} and {repository}) follow the configuration the stacks read, and only that one.
 */
describe('an installation with its own repository and name prefix', () => {
  const context = { 'kfm:namePrefix': 'acme-infra', 'kfm:repository': 'acme-corp/platform' };
  const own = Testing.app({ context });
  buildAwsStacks(own, { offline: true, prodRollback: false });
  const ownStacks = own.node.children.filter((c): c is TerraformStack => c instanceof TerraformStack);
  const ownDocs = new Map(ownStacks.map((s) => [s.node.id, JSON.parse(Testing.synth(s)) as Record<string, unknown>]));
  const installation = installationFrom((k) => own.node.tryGetContext(k));
  const judgeOwn = (name: string, env: PolicyEnv | undefined, inst: Installation) =>
    checkPolicy({ kind: 'synth', doc: ownDocs.get(name)!, origin: name, env, now: NOW, installation: inst });
  const errors = (r: ReturnType<typeof judgeOwn>) => r.findings.filter((f) => f.severity === 'error');

  it('reads the installation from the same context keys the stacks read', () => {
    expect(installation).toEqual({ namePrefix: 'acme-infra', repository: 'acme-corp/platform' });
    expect(JSON.stringify(ownDocs.get('audit'))).toContain('acme-infra-audit-access-logs');
  });

  it.each(['dev', 'stage', 'prod', 'audit', 'bootstrap'])(
    '%s passes (the shared stacks judged as prod too)',
    (name) => {
      for (const env of tierOf(name) ? [tierOf(name)] : [undefined, 'prod' as const]) {
        const r = judgeOwn(name, env, installation);
        expect({ name, env, report: r.verdict === 'pass' ? '' : formatReport(r) }).toEqual({ name, env, report: '' });
      }
    },
  );

  it('passes through the synth-time Aspect, which reads the App context', () => {
    const aspect = new PolicyAspect({ now: NOW });
    expect(ownStacks.flatMap((s) => aspect.check(s))).toEqual([]);
  });

  // Attack: roles that trust this repository's workflows, judged for an installation configured
  // with another repository (or the defaults), are not pinned to a declared repository.
  it.each([
    ['another repository', { ...installation, repository: 'mallory/fork' }],
    ['the defaults', DEFAULT_INSTALLATION],
  ])('fails OIDC trust and log delivery when judged for %s', (_what, inst) => {
    const trust = errors(judgeOwn('bootstrap', 'prod', inst)).map((f) => f.message);
    expect(trust.length).toBeGreaterThan(0);
    expect(trust.every((m) => /GitHub OIDC trust is not pinned/.test(m))).toBe(true);
    if (inst === DEFAULT_INSTALLATION)
      expect(errors(judgeOwn('prod', 'prod', inst)).map((f) => f.rule)).toContain('logs-delivered-inside-platform');
  });

  it('kfm policy check reads cdktf.json in the working directory and says which values it used', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'kfm-i25-'));
    const synth = join(dir, 'bootstrap.tf.json');
    writeFileSync(synth, JSON.stringify(ownDocs.get('bootstrap')));
    const run = async (cwd: string) => {
      const out: string[] = [];
      const code = await policy({
        argv: ['check', '--synth', synth, '--env', 'prod', '--json', '--now', NOW.toISOString()],
        env: {},
        cwd,
        stdout: (t) => out.push(t),
        stderr: () => undefined,
      });
      return { code, json: JSON.parse(out.join('')) as { verdict: string; installation: unknown } };
    };
    writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ language: 'typescript', context }));
    expect(await run(dir)).toMatchObject({ code: 0, json: { verdict: 'pass', installation } });
    const elsewhere = mkdtempSync(join(tmpdir(), 'kfm-i25-none-'));
    expect(await run(elsewhere)).toMatchObject({
      code: 1,
      json: { verdict: 'fail', installation: DEFAULT_INSTALLATION },
    });
    writeFileSync(join(dir, 'cdktf.json'), '{"context": {"kfm:namePrefix": ');
    await expect(run(dir)).rejects.toThrow(/cdktf\.json: not valid cdktf\.json/);
    writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ context: { 'kfm:repository': ['a/b'] } }));
    await expect(run(dir)).rejects.toThrow(/cdktf\.json: context\.kfm:repository is not a string/);
  });
});
