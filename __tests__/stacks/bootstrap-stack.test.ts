/**
 * The bootstrap stack: the state bucket, GitHub's OIDC provider and the per-environment roles the
 * workflows assume, each trust policy pinned to `aud` and exact subjects, each role's permissions
 * as docs/environments.md describes them; judged by the policy pack like every other stack.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Testing } from 'cdktf';
import { GithubOidcError, githubSubject } from '../../constructs/github-oidc';
import { applyPolicy } from '../../constructs/policy-aspect';
import { BootstrapStack, bootstrapPropsFrom } from '../../stacks/bootstrap';
import { Json, resources, synthJson } from './synth-helpers';

// The repository the platform declares (policy/config/external-resources.json platform.githubRepositories):
// the pack refuses GitHub OIDC trust to any other.
const REPO = 'kansas-frontier-matrix/kfm-infra';
// Account ids built at run time: the secrets scan rightly flags a committed one.
const ACCOUNT = ['1234', '5678', '9012'].join('');
const OTHER_ACCOUNT = ['2109', '8765', '4321'].join('');
const build = (app: App = Testing.app()) =>
  new BootstrapStack(app, 'bootstrap', {
    namePrefix: 'kfm',
    region: 'us-east-1',
    repository: REPO,
    accountId: ACCOUNT,
    offline: true,
  });
const json = synthJson(build()).json;

/** The synthesized policy document of a data source, by the role it belongs to. */
function doc(role: string, kind: 'Trust' | 'Document'): Json {
  const docs = resources(json, 'aws_iam_policy_document') as unknown as Record<string, Json>;
  const all = { ...(json.data?.aws_iam_policy_document ?? {}), ...docs };
  const key = Object.keys(all).find((k) => k.startsWith(`Role-${role}_${kind}_`));
  if (!key) throw new Error(`no ${kind} document for ${role}: ${Object.keys(all).join(', ')}`);
  return all[key];
}
const conditions = (role: string) => doc(role, 'Trust').statement[0].condition as Json[];
const subjectsOf = (role: string) => conditions(role).find((c) => c.variable.endsWith(':sub'));
const statements = (role: string) => doc(role, 'Document').statement as Json[];
const allows = (role: string, action: string, resource: string) =>
  statements(role).some(
    (s) => s.effect === 'Allow' && s.actions.includes(action) && s.resources.some((r: string) => r === resource),
  );
const denies = (role: string, action: string, pattern: string) =>
  statements(role).some((s) => s.effect === 'Deny' && s.actions.includes(action) && s.resources.includes(pattern));

describe('bootstrap stack', () => {
  it('creates the state bucket, one GitHub OIDC provider and the roles of every environment', () => {
    expect(Object.keys(resources(json, 'aws_s3_bucket'))).toHaveLength(1);
    expect(Object.values(resources(json, 'aws_s3_bucket'))[0].bucket).toBe('kfm-terraform-state');
    const oidc = Object.values(resources(json, 'aws_iam_openid_connect_provider'));
    expect(oidc).toHaveLength(1);
    expect(oidc[0]).toMatchObject({
      url: 'https://token.actions.githubusercontent.com',
      client_id_list: ['sts.amazonaws.com'],
    });
    const names = Object.values(resources(json, 'aws_iam_role'))
      .map((r) => r.name)
      .sort();
    expect(names).toEqual(
      [
        'kfm-apply-audit',
        'kfm-apply-dev',
        'kfm-apply-prod',
        'kfm-apply-stage',
        'kfm-checkpoint',
        'kfm-drift-dev',
        'kfm-drift-prod',
        'kfm-drift-stage',
        'kfm-plan-dev',
        'kfm-plan-prod',
        'kfm-plan-stage',
        'kfm-prod-plan',
      ].sort(),
    );
  });

  it.each([
    ['plan-dev', [`repo:${REPO}:pull_request`]],
    ['prod-plan', [`repo:${REPO}:environment:prod-plan`]],
    ['apply-prod', [`repo:${REPO}:environment:prod`]],
    ['apply-audit', [`repo:${REPO}:environment:audit`]],
    ['drift-stage', [`repo:${REPO}:environment:drift-stage`]],
    ['checkpoint', ['dev', 'stage', 'prod'].map((e) => `repo:${REPO}:environment:${e}`)],
  ])('%s trusts exactly %j, with the audience pinned', (role, subs) => {
    expect(conditions(role)).toContainEqual({
      test: 'StringEquals',
      variable: 'token.actions.githubusercontent.com:aud',
      values: ['sts.amazonaws.com'],
    });
    expect(subjectsOf(role)).toEqual({
      test: 'StringEquals',
      variable: 'token.actions.githubusercontent.com:sub',
      values: subs,
    });
    expect(doc(role, 'Trust').statement[0].actions).toEqual(['sts:AssumeRoleWithWebIdentity']);
  });

  it('only apply roles write a state, each only its own; plan and drift roles write lock files only', () => {
    const state = '${aws_s3_bucket.State_Bucket_';
    const own = (role: string) => statements(role).find((s) => s.sid === 'WriteOwnState');
    expect(own('apply-dev')?.resources[0]).toMatch(/\/tfstate\/dev\.tfstate$/);
    expect(own('apply-audit')?.resources[0]).toMatch(/\/tfstate\/audit\.tfstate$/);
    for (const role of ['plan-dev', 'plan-prod', 'prod-plan', 'drift-dev', 'drift-prod']) {
      expect(own(role)).toBeUndefined();
      expect(statements(role).find((s) => s.sid === 'NeverWriteState')).toMatchObject({ effect: 'Deny' });
      expect(statements(role).find((s) => s.sid === 'LockFile')?.resources[0]).toMatch(/\/tfstate\/\*\.tflock$/);
    }
    expect(JSON.stringify(json)).toContain(state);
  });

  it('PR plan roles can never write the ledger; only the checkpoint role writes the trusted checkpoints', () => {
    for (const t of ['dev', 'stage', 'prod'])
      expect(denies(`plan-${t}`, 's3:PutObject', 'arn:aws:s3:::kfm-audit-receipts/*')).toBe(true);
    const cp = 'arn:aws:s3:::kfm-audit-receipts/trusted-checkpoints/*';
    expect(allows('checkpoint', 's3:PutObject', cp)).toBe(true);
    for (const role of ['plan-dev', 'prod-plan', 'apply-dev', 'apply-prod', 'drift-prod'])
      expect(allows(role, 's3:PutObject', cp)).toBe(false);
  });

  it('gives IAM rights to an apply role only on its own names, in the configured account', () => {
    const iam = statements('apply-dev').find((s) => s.sid === 'IamOnOwnNames');
    expect(iam?.resources).toEqual([
      `arn:aws:iam::${ACCOUNT}:role/kfm-dev-*`,
      `arn:aws:iam::${ACCOUNT}:instance-profile/kfm-dev-*`,
      `arn:aws:iam::${ACCOUNT}:policy/kfm-dev-*`,
    ]);
    expect(json.provider.aws[0].allowed_account_ids).toEqual([ACCOUNT]);
  });

  it('takes the repository, account and stores from configuration', () => {
    const ctx: Record<string, string> = {
      'kfm:repository': 'acme/infra',
      'kfm:accountId': OTHER_ACCOUNT,
      'kfm:checkpointStore': 's3://cp-bucket/checkpoints',
    };
    const props = bootstrapPropsFrom(
      (k) => ctx[k],
      { namePrefix: 'kfm', region: 'us-east-2' },
      { KFM_STATE_STORE: 's3://acme-state/tf' },
    );
    expect(props).toMatchObject({
      repository: 'acme/infra',
      accountId: OTHER_ACCOUNT,
      stateStore: { bucket: 'acme-state', prefix: 'tf' },
      checkpointStore: { bucket: 'cp-bucket', prefix: 'checkpoints' },
    });
  });

  it('refuses a repository or subject with a wildcard', () => {
    expect(() => githubSubject('acme/*', 'pull_request')).toThrow(GithubOidcError);
    expect(() => githubSubject('acme/infra', 'environment:*')).toThrow(
      /must be 'pull_request' or 'environment:<name>'/,
    );
  });

  it('refuses an ungated apply, naming the plan file scripts/plan.sh made', () => {
    expect(json.variable.kfm_governed_plan.validation[0].error_message).toBe(
      'ungated apply of bootstrap refused before any change: apply the plan file scripts/plan.sh bootstrap made (docs/environments.md, First run)',
    );
  });

  it('passes the policy pack', () => {
    const app = new App({ outdir: mkdtempSync(join(tmpdir(), 'kfm-bootstrap-')) });
    build(app);
    applyPolicy(app);
    expect(() => app.synth()).not.toThrow();
  });
});
