/**
 * Shared, locked Terraform state (constructs/state-backend.ts, scripts/lib/state-store.sh).
 *
 * With KFM_STATE_STORE=s3://BUCKET/PREFIX every governed stack synthesizes the S3 backend, locked
 * by Terraform's S3-native lock file; without it the state stays local. Real Terraform against the
 * local radosgw (scripts/s3-local.sh): two runners in two separate directories share one state, a
 * second apply while the first holds the lock is refused, and drift needs the state it judges.
 *
 * radosgw honours `If-None-Match` (what `use_lockfile` relies on) only in UNVERSIONED buckets, so
 * the lock test uses an unversioned bucket of its own; a real state bucket is versioned (AWS S3
 * honours the condition there). radosgw also rejects the per-object SSE header without SSE set up,
 * so these runners use the documented opt-out KFM_STATE_ENCRYPT=0.
 */
import { spawn, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { TerraformStack, Testing, TerraformVariable } from 'cdktf';
import { buildAwsStacks } from '../../stacks/aws';
import { kfmStateBackend, parseStateStore, StateStoreError } from '../../constructs/state-backend';
import { localS3 } from '../support/local-s3';

const root = resolve(__dirname, '..', '..');
const STATE_LIB = join(root, 'scripts', 'lib', 'state-store.sh');
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function backendOf(env: NodeJS.ProcessEnv, id = 'dev'): Record<string, any> {
  const stack = new TerraformStack(Testing.app(), id);
  kfmStateBackend(stack, id, { region: 'us-east-2', env });
  stack.addOverride('resource.terraform_data.marker', { input: 'x' });
  return JSON.parse(Testing.synth(stack)).terraform.backend;
}

describe('the state backend a governed stack synthesizes', () => {
  it('is S3, encrypted and locked with the lock file when KFM_STATE_STORE is set', () => {
    expect(backendOf({ KFM_STATE_STORE: 's3://kfm-state/tfstate' })).toEqual({
      s3: { bucket: 'kfm-state', key: 'tfstate/dev.tfstate', region: 'us-east-2', encrypt: true, use_lockfile: true },
    });
  });

  it('uses path style and skips AWS-only calls only when an S3 endpoint is set', () => {
    const s3 = backendOf({ KFM_STATE_STORE: 's3://kfm-state/a/b/', AWS_ENDPOINT_URL_S3: 'http://127.0.0.1:7480' }).s3;
    expect(s3).toMatchObject({
      key: 'a/b/dev.tfstate',
      endpoints: { s3: 'http://127.0.0.1:7480' },
      use_path_style: true,
      skip_credentials_validation: true,
      skip_requesting_account_id: true,
      skip_s3_checksum: true,
    });
    expect(s3).not.toHaveProperty('dynamodb_table');
  });

  it('is local when no state store is configured', () => {
    expect(backendOf({})).toEqual({ local: { path: 'terraform.dev.tfstate' } });
  });

  it('refuses a store that is not s3://BUCKET/PREFIX', () => {
    expect(() => parseStateStore('s3://kfm-state')).toThrow(StateStoreError);
    expect(() => parseStateStore('kfm-state/prefix')).toThrow(/must be s3:\/\/BUCKET\/PREFIX/);
  });

  it('is the one every governed AWS stack uses', () => {
    const prev = process.env.KFM_STATE_STORE;
    process.env.KFM_STATE_STORE = 's3://kfm-state/tfstate';
    try {
      const stacks = buildAwsStacks(Testing.app(), { offline: true, prodRollback: false });
      for (const [id, stack] of Object.entries(stacks)) {
        const backend = JSON.parse(Testing.synth(stack as TerraformStack)).terraform.backend;
        expect(backend.s3).toMatchObject({ key: `tfstate/${id}.tfstate`, use_lockfile: true });
      }
    } finally {
      if (prev === undefined) delete process.env.KFM_STATE_STORE;
      else process.env.KFM_STATE_STORE = prev;
    }
  });
});

describe('scripts without a state store', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'kfm-state-'));
  const base: NodeJS.ProcessEnv = {
    ...process.env,
    KFM_SYNTH_DIR: join(tmp, 'synth'),
    KFM_PLANS_DIR: join(tmp, 'plans'),
    KFM_STATE_DIR: join(tmp, 'state'),
    KFM_RECEIPTS_DIR: join(tmp, 'receipts'),
    KFM_COMMIT: '0123456789abcdef0123456789abcdef01234567',
  };
  delete base.KFM_STATE_STORE;

  it.each(['plan.sh', 'apply.sh', 'drift.sh'])(
    '%s in CI (online) stops first with one line naming what to set',
    (script) => {
      const env = { ...base, GITHUB_ACTIONS: 'true', KFM_OFFLINE: '0' };
      const r = spawnSync('bash', [join(root, 'scripts', script), 'dev'], { env, encoding: 'utf8', timeout: 30_000 });
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toEqual([
        `${script}: KFM_STATE_STORE is not set: set the repository variable KFM_STATE_STORE=s3://BUCKET/PREFIX (the bootstrap stack's state bucket, docs/environments.md)`,
      ]);
    },
  );

  it('drift.sh with no state for the environment fails: it cannot judge drift, it never says "no drift"', () => {
    const env = { ...base, KFM_OFFLINE: '1' };
    const r = spawnSync('bash', [join(root, 'scripts', 'drift.sh'), 'dev'], {
      env,
      encoding: 'utf8',
      timeout: 300_000,
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/drift\.sh: cannot judge drift without the state: dev has no Terraform state here/);
    expect(r.stderr).not.toMatch(/no drift/);
  }, 300_000);
});

const s3 = localS3();
const s3env = s3?.env ?? {};
if (!s3) console.warn('\n*** SHARED STATE TESTS NOT RUN: no local S3 server (scripts/s3-local.sh start). ***\n');
const describeS3 = s3 ? describe : describe.skip;

describeS3('shared state through the S3 backend (real Terraform, local radosgw)', () => {
  const bucket = 'kfm-state-lock-test'; // unversioned on purpose: see the header
  const prefix = `runs/${process.pid}-${Date.now()}`;
  const tmp = mkdtempSync(join(tmpdir(), 'kfm-runners-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...s3env,
    KFM_STATE_STORE: `s3://${bucket}/${prefix}`,
    KFM_STATE_ENCRYPT: '0',
    TF_IN_AUTOMATION: '1',
    CHECKPOINT_DISABLE: '1',
  };
  const client = s3?.client as S3Client;

  /** A runner: its own directory (a separate clone), the same synthesized stack and state store. */
  function runner(name: string, store = env.KFM_STATE_STORE): string {
    const dir = join(tmp, name);
    mkdirSync(dir, { recursive: true });
    const stack = new TerraformStack(Testing.app(), 'dev');
    kfmStateBackend(stack, 'dev', { region: 'us-east-1', env: { ...env, KFM_STATE_STORE: store } });
    const version = new TerraformVariable(stack, 'release', { type: 'string' });
    version.overrideLogicalId('release');
    // terraform_data (built in, no provider): a change that really applies, and holds the lock 6 s.
    stack.addOverride('resource.terraform_data.marker', {
      input: '${var.release}',
      triggers_replace: ['${var.release}'],
      provisioner: [{ 'local-exec': { command: 'sleep 6' } }],
    });
    writeFileSync(join(dir, 'cdk.tf.json'), Testing.synth(stack));
    const init = lib(`KFM_STATE_STORE=${store} kfm_state_init ${dir} dev`);
    expect(init.status).toBe(0);
    return dir;
  }

  const lib = (cmd: string): SpawnSyncReturns<string> =>
    spawnSync('bash', ['-c', `. ${STATE_LIB}; ${cmd}`], { env, encoding: 'utf8', timeout: 120_000 });
  const tf = (dir: string, ...args: string[]) =>
    spawnSync('terraform', [`-chdir=${dir}`, ...args, '-input=false', '-no-color'], {
      env,
      encoding: 'utf8',
      timeout: 120_000,
    });

  let a: string;
  let b: string;
  beforeAll(async () => {
    await client.send(new CreateBucketCommand({ Bucket: bucket })).catch((e: { name?: string }) => {
      if (e.name !== 'BucketAlreadyOwnedByYou' && e.name !== 'BucketAlreadyExists') throw e;
    });
    a = runner('runner-a');
    b = runner('runner-b');
  }, 240_000);

  it('a second runner sees what the first applied: its plan has no changes', () => {
    expect(tf(a, 'apply', '-auto-approve', '-var=release=1').status).toBe(0);
    const plan = tf(b, 'plan', '-detailed-exitcode', '-var=release=1');
    expect(plan.stdout).toMatch(/No changes/);
    expect(plan.status).toBe(0);
  }, 120_000);

  it('a concurrent apply is refused by the lock while the first holds it', async () => {
    const first = spawn(
      'terraform',
      [`-chdir=${a}`, 'apply', '-auto-approve', '-input=false', '-no-color', '-var=release=2'],
      { env },
    );
    const done = new Promise<number>((res) => first.on('exit', (code) => res(code ?? -1)));
    const lockKey = `${prefix}/dev.tfstate.tflock`;
    for (let i = 0; i < 100; i++) {
      const held = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: lockKey })).then(
        () => true,
        () => false,
      );
      if (held) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const second = tf(b, 'apply', '-auto-approve', '-lock-timeout=0s', '-var=release=3');
    expect(second.status).toBe(1);
    expect(second.stderr).toMatch(/Error acquiring the state lock/);
    expect(await done).toBe(0);
    expect(tf(b, 'plan', '-detailed-exitcode', '-var=release=2').status).toBe(0); // the first one's change, shared
  }, 120_000);

  it('drift is judged against the shared state, and refused where there is none', () => {
    expect(lib(`kfm_state_require ${b} dev`).status).toBe(0);
    const refresh = tf(b, 'plan', '-refresh-only', '-detailed-exitcode', '-var=release=2');
    expect(refresh.status).toBe(0);
    const empty = runner('runner-empty-store', `s3://${bucket}/${prefix}-never-applied`);
    const r = lib(`KFM_STATE_STORE=s3://${bucket}/${prefix}-never-applied kfm_state_require ${empty} dev`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(
      `cannot judge drift without the state: dev has no Terraform state here (s3://${bucket}/${prefix}-never-applied/dev.tfstate)`,
    );
  }, 120_000);
});
