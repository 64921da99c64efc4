/**
 * Integration (default test run): the real scripts and real Terraform, offline (KFM_OFFLINE=1,
 * provider from the local mirror). Synth runs twice (determinism), then `terraform init` +
 * `validate` on every AWS stack and `plan` on dev, whose plan JSON must hold the expected resources.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.resolve(__dirname, '..', '..');
const AWS = ['dev', 'stage', 'prod', 'audit'];
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'kfm-offline-plan-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  KFM_OFFLINE: '1',
  KFM_SYNTH_DIR: path.join(tmp, 'synth-a'),
  KFM_PLANS_DIR: path.join(tmp, 'plans'),
  KFM_STATE_DIR: path.join(tmp, 'state'),
  // Share the repo's provider cache so init links the provider instead of copying it.
  TF_PLUGIN_CACHE_DIR: process.env.TF_PLUGIN_CACHE_DIR ?? path.join(root, '.kfm', 'terraform', 'plugin-cache'),
};
delete env.KFM_PROD_ROLLBACK;

function run(script: string, args: string[]): string {
  try {
    return execFileSync('bash', [path.join(root, 'scripts', script), ...args], {
      env,
      cwd: root,
      encoding: 'utf8',
      stdio: 'pipe',
    });
  } catch (e) {
    const err = e as { stderr?: string; stdout?: string };
    throw new Error(`${script} ${args.join(' ')} failed:\n${err.stderr ?? ''}\n${err.stdout ?? ''}`);
  }
}

let validateOut = '';
let planPath = '';
let plan: Record<string, any>;

beforeAll(() => {
  fs.mkdirSync(env.TF_PLUGIN_CACHE_DIR!, { recursive: true });
  run('synth.sh', ['--out', path.join(tmp, 'synth-a')]);
  run('synth.sh', ['--out', path.join(tmp, 'synth-b')]);
  validateOut = run('validate.sh', ['--no-synth', ...AWS]);
  planPath = run('plan.sh', ['dev', '--no-synth']).trim();
  plan = JSON.parse(fs.readFileSync(planPath, 'utf8'));
}, 600_000);

afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('offline synth, validate and plan', () => {
  it('synthesizes byte-identical cdk.tf.json twice', () => {
    const stacks = fs.readdirSync(path.join(tmp, 'synth-a', 'stacks')).sort();
    expect(stacks).toEqual(expect.arrayContaining(AWS));
    for (const s of stacks) {
      const a = fs.readFileSync(path.join(tmp, 'synth-a', 'stacks', s, 'cdk.tf.json'));
      const b = fs.readFileSync(path.join(tmp, 'synth-b', 'stacks', s, 'cdk.tf.json'));
      expect({ s, same: a.equals(b) }).toEqual({ s, same: true });
    }
  });

  it('validates every AWS stack with terraform', () => {
    for (const s of AWS) expect(validateOut).toContain(`validate.sh: ${s} ok`);
  });

  it('writes plans/dev.plan.json and plans/dev.tfplan', () => {
    expect(planPath).toBe(path.join(tmp, 'plans', 'dev.plan.json'));
    expect(fs.existsSync(path.join(tmp, 'plans', 'dev.tfplan'))).toBe(true);
    expect(fs.readdirSync(path.join(tmp, 'plans')).filter((f) => f.endsWith('.tmp'))).toEqual([]);
    expect(plan.format_version).toMatch(/^1\./);
    expect(plan.terraform_version).toMatch(/^1\./);
  });

  it('plans the dev tier with the offline provider flags and creates only', () => {
    const aws = plan.configuration.provider_config.aws.expressions;
    for (const k of ['skip_credentials_validation', 'skip_requesting_account_id', 'skip_region_validation']) {
      expect(aws[k].constant_value).toBe(true);
    }
    expect(aws.skip_metadata_api_check.constant_value).toBe('true');
    const actions = new Set(
      plan.resource_changes.filter((c: any) => c.mode === 'managed').map((c: any) => c.change.actions.join(',')),
    );
    expect([...actions]).toEqual(['create']);
  });

  it('plans the expected dev resources: one bucket, one instance, one database, a private network', () => {
    const managed = plan.planned_values.root_module.resources.filter((r: any) => r.mode === 'managed');
    const count = (type: string) => managed.filter((r: any) => r.type === type).length;
    expect(count('aws_s3_bucket')).toBe(1);
    expect(count('aws_instance')).toBe(1);
    expect(count('aws_db_instance')).toBe(1);
    expect(count('aws_vpc')).toBe(1);
    expect(count('aws_subnet')).toBe(2);
    expect(count('aws_internet_gateway')).toBe(0);
    expect(count('aws_flow_log')).toBe(1);
    expect(count('aws_iam_role')).toBe(10);
    const bucket = managed.find((r: any) => r.type === 'aws_s3_bucket');
    expect(bucket.values.bucket).toBe('kfm-dev-data');
    const db = managed.find((r: any) => r.type === 'aws_db_instance');
    expect(db.values).toMatchObject({
      manage_master_user_password: true,
      publicly_accessible: false,
      storage_encrypted: true,
    });
    expect(db.values.password ?? null).toBeNull();
  });

  it('carries policy_label and zone in tags_all of every tagged planned resource', () => {
    const tagged = plan.planned_values.root_module.resources.filter((r: any) => r.values && 'tags_all' in r.values);
    expect(tagged.length).toBeGreaterThan(20);
    for (const r of tagged) {
      const tags = r.values.tags_all ?? r.values.tags ?? {};
      expect({ a: r.address, label: typeof tags.policy_label, zone: typeof tags.zone }).toEqual({
        a: r.address,
        label: 'string',
        zone: 'string',
      });
      expect(tags.tier).toBe('dev');
    }
  });
});
