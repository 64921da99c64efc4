import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { S3Bucket } from '@cdktf/provider-aws/lib/s3-bucket';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { App, TerraformStack } from 'cdktf';
import { applyPolicy, envFromStackName } from '../../constructs/policy-aspect';
import { PolicyResult } from '../../policy/engine/evaluate';
import { currentBundle } from '../../policy/bundle';
import { buildAwsStacks } from '../../stacks/aws';
import { buildKubernetesStacks } from '../../stacks/k8s';

const NOW = new Date('2025-06-01T00:00:00Z');
const newApp = (): App => new App({ outdir: mkdtempSync(join(tmpdir(), 'kfm-policy-aspect-')) });

function stackWith(app: App, name: string, build: (s: TerraformStack) => void): TerraformStack {
  const s = new TerraformStack(app, name);
  new AwsProvider(s, 'aws', { region: 'us-east-1' });
  build(s);
  return s;
}

describe('PolicyAspect', () => {
  it('fails synth of a stack with a public, unencrypted bucket, naming the rule and address', () => {
    const app = newApp();
    stackWith(
      app,
      'dev',
      (s) => new S3Bucket(s, 'Raw', { bucket: 'kfm-raw', tags: { policy_label: 'restricted', zone: 'raw' } }),
    );
    applyPolicy(app, { now: NOW });
    expect(() => app.synth()).toThrow(/kfm policy s3-bucket-public-access-blocked aws_s3_bucket\.Raw/);
  });

  it('passes synth of a clean stack and reports the bundle digest', () => {
    const app = newApp();
    stackWith(
      app,
      'dev',
      (s) => new SnsTopic(s, 'Alerts', { name: 'kfm-alerts', tags: { policy_label: 'internal', zone: 'audit' } }),
    );
    const results: PolicyResult[] = [];
    applyPolicy(app, { now: NOW, onResult: (_n, r) => results.push(r) });
    expect(() => app.synth()).not.toThrow();
    expect(results.map((r) => [r.verdict, r.bundle.digest])).toEqual([['pass', currentBundle().digest]]);
  });

  it('refuses to be skipped by an App with skipValidation', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'kfm-policy-aspect-')), skipValidation: true });
    stackWith(
      app,
      'dev',
      (s) => new SnsTopic(s, 'Alerts', { name: 'kfm-alerts', tags: { policy_label: 'internal', zone: 'audit' } }),
    );
    applyPolicy(app, { now: NOW });
    expect(() => app.synth()).toThrow(/skips validation/);
  });

  it('derives the env from the stack name', () => {
    expect(['dev', 'stage', 'prod', 'k8s-prod', 'audit'].map(envFromStackName)).toEqual([
      'dev',
      'stage',
      'prod',
      'prod',
      undefined,
    ]);
  });

  it('passes every stack this project synthesizes (offline)', () => {
    const app = newApp();
    buildAwsStacks(app, { offline: true });
    buildKubernetesStacks(app);
    const results: Array<[string, PolicyResult]> = [];
    applyPolicy(app, { now: NOW, onResult: (n, r) => results.push([n, r]) });
    let error: unknown;
    try {
      app.synth();
    } catch (e) {
      error = e;
    }
    const failing = results
      .filter(([, r]) => r.verdict !== 'pass')
      .map(([n, r]) => [n, r.findings.map((f) => `${f.rule} ${f.address}: ${f.message}`)]);
    expect(failing).toEqual([]);
    expect(error).toBeUndefined();
    expect(results.map(([n]) => n).sort()).toEqual(expect.arrayContaining(['audit', 'dev', 'prod', 'stage']));
    for (const [, r] of results) expect(r.evaluated).toBeGreaterThan(0);
  });
});
