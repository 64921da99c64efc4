/**
 * The runbooks are executed: every command of their ```bash blocks that can run here runs, as
 * written, in a temporary clone against a local ledger and local state (KFM_OFFLINE=1), so a
 * runbook that drifts from the scripts fails `npm test`. What the test changes, and why:
 *   - ENV, <…> placeholders get this test's values;
 *   - `scripts/plan.sh` and `scripts/drift.sh` get `--no-synth`: the tiers are terraform_data
 *     stacks written into cdktf.out/ (real AWS resources cannot be applied offline);
 *   - `gh` commands (GitHub's API) are only checked to be `gh`, not run;
 *   - `aws` commands run against the local radosgw (restore.md's object versions) or, for RDS, which
 *     has no local server, against a closed port: the aws CLI checks every flag against its own
 *     model before it connects, so a misspelled or missing flag fails and "could not connect" passes.
 *     Each gets `--endpoint-url` (Debian's awscli 2.9 does not read AWS_ENDPOINT_URL_S3);
 *   - at the end, every command of every runbook must have run (or be a `gh` command).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  CreateBucketCommand,
  PutBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import { createFlow, Flow, ok, ROOT } from '../pipeline/flow';
import { localS3 } from '../support/local-s3';

const GITHUB = /^gh /;
/**
 * The keyless approval block of apply.md: its commands need the reviewer's interactive Sigstore
 * login (`npx sigstore token` opens a browser) and the public Fulcio and Rekor, so they are
 * checked only here; the same `kfm approve --keyless` and approve.yml's own steps run against
 * @sigstore/mock in __tests__/gates/keyless-approval-workflow.test.ts.
 */
const SIGSTORE_LOGIN = /sigstore token|SIGSTORE_ID_TOKEN|--keyless/;
const checkedOnly = (c: string): boolean => GITHUB.test(c) || SIGSTORE_LOGIN.test(c);

/** The commands of every ```bash block of a runbook section (continuations joined, comments dropped). */
export function runbookCommands(markdown: string, section?: string): string[] {
  let text = markdown;
  if (section) {
    const start = text.indexOf(`## ${section}`);
    if (start < 0) throw new Error(`no section "${section}"`);
    const next = text.indexOf('\n## ', start + 3);
    text = text.slice(start, next < 0 ? undefined : next);
  }
  const out: string[] = [];
  for (const m of text.matchAll(/```bash\n([\s\S]*?)```/g)) {
    const joined = m[1]
      .split('\n')
      .map((l) => l.trim())
      .join('\n')
      .replace(/\\\n/g, ' ');
    for (const line of joined.split('\n')) {
      const cmd = line.replace(/\s{2,}#.*$/, '').trim();
      if (cmd && !cmd.startsWith('#')) out.push(cmd);
    }
  }
  return out;
}

const read = (name: string) => readFileSync(join(ROOT, 'docs', 'runbooks', `${name}.md`), 'utf8');

let flow: Flow;
let clone: string;
let env: NodeJS.ProcessEnv;
const ran: string[] = [];
/** Every runbook command run (or checked), as written in the runbook. */
const ranRaw = new Set<string>();

/** Run one runbook command in the clone; `expectStatus` for the ones that must fail here. */
function runCommand(cmd: string, values: Record<string, string>, expectStatus = 0) {
  let c = cmd;
  for (const [k, v] of Object.entries(values)) c = c.split(k).join(v);
  c = c.replace(/^((?:[A-Z_]+=\S* )*scripts\/(?:plan|drift)\.sh [^|;&]*)$/, '$1 --no-synth');
  if (checkedOnly(c)) return void ranRaw.add(cmd);
  if (/^aws /.test(c)) throw new Error(`an aws command runs only against radosgw (runAws): ${c}`);
  ranRaw.add(cmd);
  const r = spawnSync('bash', ['-euo', 'pipefail', '-c', c], { cwd: clone, env, encoding: 'utf8', timeout: 180_000 });
  ran.push(c);
  if (r.status !== expectStatus) {
    throw new Error(`runbook command exited ${r.status} (expected ${expectStatus}): ${c}\n${r.stderr}`);
  }
  return r;
}

function runAll(cmds: string[], values: Record<string, string>, statuses: Record<string, number> = {}) {
  for (const cmd of cmds) {
    const key = Object.keys(statuses).find((k) => cmd.includes(k));
    runCommand(cmd, values, key ? statuses[key] : 0);
  }
}

const stack = (name: string, resources: Record<string, unknown>) => {
  mkdirSync(join(clone, 'cdktf.out', 'stacks', name), { recursive: true });
  writeFileSync(
    join(clone, 'cdktf.out', 'stacks', name, 'cdk.tf.json'),
    JSON.stringify({
      terraform: { backend: { local: { path: 'unused.tfstate' } } },
      resource: { terraform_data: resources },
    }),
  );
};

beforeAll(() => {
  flow = createFlow('kfm-runbooks-', '0'.repeat(40));
  clone = join(flow.dir, 'clone');
  mkdirSync(join(clone, 'keys'), { recursive: true });
  for (const d of ['scripts', 'dist', 'node_modules', 'package.json']) symlinkSync(join(ROOT, d), join(clone, d));
  const git = (...args: string[]) =>
    execFileSync('git', ['-C', clone, '-c', 'user.name=t', '-c', 'user.email=t@example.org', ...args], {
      encoding: 'utf8',
    });
  git('init', '-q');
  git('commit', '-q', '--allow-empty', '-m', 'runbook test');
  const commit = git('rev-parse', 'HEAD').trim();
  ok(flow.kfm('keygen', '--out-dir', join(flow.dir, 'keys')));
  ok(flow.kfm('keygen', '--out-dir', join(flow.dir, 'reviewer')));
  copyFileSync(join(flow.dir, 'keys', 'kfm-signing.pub'), join(clone, 'keys', 'kfm-ci.pub'));
  mkdirSync(join(flow.dir, 'approvers'));
  copyFileSync(join(flow.dir, 'reviewer', 'kfm-signing.pub'), join(flow.dir, 'approvers', 'reviewer.pub'));
  mkdirSync(join(clone, 'keys', 'approvers')); // as committed: keys/approvers/<login>.pub
  copyFileSync(join(flow.dir, 'reviewer', 'kfm-signing.pub'), join(clone, 'keys', 'approvers', 'reviewer.pub'));
  env = {
    ...flow.env,
    KFM_PUB: 'keys/kfm-ci.pub', // as apply.md's "set once per shell" and the workflows set it
    KFM_SYNTH_DIR: join(clone, 'cdktf.out'),
    KFM_PLANS_DIR: join(clone, 'plans'),
    KFM_RECEIPTS_DIR: join(clone, 'receipts-out'),
    KFM_COMMIT: commit,
    GITHUB_SHA: commit,
  };
  // apply.md's "set once per shell", run as written: the CI key under $RUNNER_TEMP, the local ledger.
  const runnerTemp = join(flow.dir, 'runner-temp');
  mkdirSync(join(runnerTemp, 'kfm'), { recursive: true });
  copyFileSync(join(flow.dir, 'keys', 'kfm-signing.key'), join(runnerTemp, 'kfm', 'kfm-signing.key'));
  const perShell = runbookCommands(read('apply')).filter((c) => c.startsWith('export '));
  expect(perShell.length).toBeGreaterThan(0);
  const shell = spawnSync(
    'bash',
    [
      '-euo',
      'pipefail',
      '-c',
      [...perShell.map((c) => c.split('s3://<audit-bucket>/ledger').join(flow.env.KFM_AUDIT_STORE!)), 'env -0'].join(
        '\n',
      ),
    ],
    { cwd: clone, env: { ...env, RUNNER_TEMP: runnerTemp }, encoding: 'utf8' },
  );
  expect(shell.status).toBe(0);
  const set = Object.fromEntries(
    shell.stdout
      .split('\0')
      .filter(Boolean)
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  for (const k of ['KFM_AUDIT_STORE', 'KFM_KEY', 'KFM_PUB']) env[k] = set[k];
  expect(env.KFM_KEY).toBe(join(runnerTemp, 'kfm', 'kfm-signing.key'));
  for (const c of perShell) ranRaw.add(c);
  stack('dev', { app: { input: 'v1' } });
  stack('prod', { app: { input: 'prod' } });
  stack('audit', { ledger: { input: 'audit' } });
}, 120_000);

describe('the runbooks, run as written', () => {
  it('apply.md: each tier (dev): plan, receipt, ledger, gated apply, smoke, drift', () => {
    const cmds = runbookCommands(read('apply'), 'Each tier').filter((c) => !c.includes('gate promote')); // "stage and prod only"
    // smoke: terraform_data is not a KFM tier, so its logging checks fail (and are recorded)
    runAll(cmds, { ENV: 'dev', '<author-login>': 'author' }, { 'scripts/smoke.sh': 1 });
    expect(ran.some((c) => c === 'scripts/apply.sh dev')).toBe(true);
  }, 600_000);

  it('apply.md: approving prod with the reviewer’s own key appends an approval to the ledger', () => {
    const plan = runbookCommands(read('apply'), 'Each tier').slice(0, 5); // prod plan receipt in the ledger (init is idempotent)
    runAll(plan, { ENV: 'prod', '<author-login>': 'author' });
    runAll(runbookCommands(read('apply'), 'Approving prod'), {
      '<your-github-login>': 'reviewer',
      '~/.kfm/approver.key': join(flow.dir, 'reviewer', 'kfm-signing.key'),
      'CR-<id>': 'CR-2026-1',
    });
  }, 600_000);

  it('apply.md: a shared stack (audit) is planned, receipted, approved and applied through the gate', () => {
    runAll(runbookCommands(read('apply'), 'Shared stacks'), {
      STACK: 'audit',
      '<author-login>': 'author',
      '<your-github-login>': 'reviewer',
      '~/.kfm/approver.key': join(flow.dir, 'reviewer', 'kfm-signing.key'),
      'CR-<id>': 'CR-2026-2',
    });
    expect(ran).toContain('scripts/apply.sh audit');
  }, 600_000);

  it('drift.md, incident.md, restore.md: the ledger verifies with an approval in it', () => {
    // the old command (receipt key only) cannot check the approval: it is listed as junk (signed
    // by no trusted key), never verified; the runbooks pass the approvers' keys so it is checked
    const bare = spawnSync(
      process.execPath,
      [
        join(ROOT, 'dist', 'receipts', 'cli.js'),
        'audit',
        'verify',
        '--store',
        env.KFM_AUDIT_STORE!,
        '--pub',
        'keys/kfm-ci.pub',
      ],
      { cwd: clone, env, encoding: 'utf8' },
    );
    expect(bare.status).toBe(0);
    expect(bare.stderr).toMatch(/note: junk: .*not signed by a trusted key/);
    runAll(
      runbookCommands(read('drift')).filter((c) => c.includes('verify')),
      { ENV: 'dev' },
    );
    const incident = runbookCommands(read('incident'));
    runAll(incident, {});
    runAll(runbookCommands(read('restore'), 'Audit ledger'), { '<checkpoint-file>': 'incident-checkpoint.txt' });
    runAll(runbookCommands(read('restore')).slice(0, 2), { ' N ': ' 1 ' });
  }, 600_000);

  it('restore.md: the ledger lost is restored from its mirror, and the gate decides as before', () => {
    const mirror = join(flow.dir, 'mirror');
    const restored = join(flow.dir, 'restored');
    const cmds = runbookCommands(read('restore'), 'Audit ledger lost: restore from the mirror');
    expect(cmds.length).toBe(4);
    const values = {
      '"$KFM_AUDIT_MIRROR"': mirror,
      's3://<new-bucket>/<prefix>': restored,
      '<last trusted checkpoint>': 'incident-checkpoint.txt',
      '<env>': 'stage',
      '<sha>': env.KFM_COMMIT!,
    };
    // The decision on the primary store, before the loss (stage is blocked here: dev's smoke
    // record fails, terraform_data not being a KFM tier); the restored store must give the same.
    const gate = cmds.find((c) => c.includes('gate promote'))!;
    const primary = gate.split('s3://<new-bucket>/<prefix>').join('"$KFM_AUDIT_STORE"');
    const before = runCommand(primary, values, 1)!;
    runAll(
      cmds.filter((c) => c !== gate),
      values,
    );
    const after = runCommand(gate, values, 1)!;
    const decision = (r: { stderr: string }, store: string) => r.stderr.split(store).join('STORE');
    expect(decision(after, restored)).toEqual(decision(before, env.KFM_AUDIT_STORE!));
    expect(after.stderr).toMatch(/BLOCKED/);
  }, 600_000);

  it('drift.md: when the run is red, the commands reproduce and show the drift receipt', () => {
    stack('dev', { app: { input: 'v2' } }); // the declared state no longer matches: a refresh-only plan sees no drift in terraform_data, so exit 0
    runAll(runbookCommands(read('drift'), 'When the drift run is red'), { ENV: 'dev' });
    stack('dev', { app: { input: 'v1' } });
  }, 600_000);

  /** The reviewer's values of apply.md's and rollback.md's approval steps. */
  const reviewer = () => ({
    '<reviewer-login>': 'reviewer',
    '<your-github-login>': 'reviewer',
    '<author-login>': 'author',
    '~/.kfm/approver.key': join(flow.dir, 'reviewer', 'kfm-signing.key'),
    'CR-<id>': 'CR-2026-3',
  });

  /**
   * A passing validation of ENV, recorded by hand (`kfm record smoke`, as an operator does when
   * smoke.sh cannot judge the tier): terraform_data stacks have no logging for smoke.sh to find.
   */
  function validatedByHand(tier: string) {
    const apply = join(flow.dir, `${tier}.newest-apply.json`);
    rmSync(apply, { force: true });
    const trust = ['--store', env.KFM_AUDIT_STORE!, '--pub', 'keys/kfm-ci.pub'];
    const run = (...args: string[]) =>
      ok(
        spawnSync(process.execPath, [join(ROOT, 'dist', 'receipts', 'cli.js'), ...args], {
          cwd: clone,
          env,
          encoding: 'utf8',
        }),
      );
    run('gate', 'evidence', '--kind', 'apply', '--env', tier, ...trust, '--out', apply);
    const record = join(flow.dir, `${tier}.smoke.manual.${Date.now()}.json`);
    run(
      'record',
      'smoke',
      '--env',
      tier,
      '--check',
      'manual-health=pass',
      '--apply-receipt',
      apply,
      '--pub',
      'keys/kfm-ci.pub',
      '--key',
      env.KFM_KEY!,
      '--out',
      record,
      '--commit',
      env.KFM_COMMIT!,
    );
    run('audit', 'append', record, '--store', env.KFM_AUDIT_STORE!);
  }

  /** `terraform state list` of a tier's local state, read where apply.sh applied it. */
  function stateList(tier: string, synth = join(clone, 'cdktf.out')): string[] {
    const r = spawnSync('terraform', [`-chdir=${join(synth, 'stacks', tier)}`, 'state', 'list'], {
      env,
      encoding: 'utf8',
    });
    return r.stdout.trim().split('\n').filter(Boolean);
  }

  it('apply.md to prod, then rollback.md prod: ingress and compute torn down through the gate with an approval, logs kept', () => {
    // dev was applied above; it is validated by hand, then stage and prod follow apply.md as written.
    validatedByHand('dev');
    stack('stage', { app: { input: 'stage' } });
    runAll(runbookCommands(read('apply'), 'Each tier'), { ENV: 'stage', ...reviewer() }, { 'scripts/smoke.sh': 1 });
    expect(ran).toContain('scripts/apply.sh stage');
    validatedByHand('stage');
    // prod: a fresh run of the steps (the prod files of the approval test above are gone, as on a new runner)
    for (const f of ['receipts-out/prod.plan.receipt.json', 'plans/prod.policy.json', 'approval.json'])
      rmSync(join(clone, f), { force: true });
    stack('prod', { app: { input: 'prod' }, logs: { input: 'prod-logs' } });
    const each = runbookCommands(read('apply'), 'Each tier');
    runAll(each.slice(0, 5), { ENV: 'prod', ...reviewer() });
    runAll(runbookCommands(read('apply'), 'Approving prod'), reviewer());
    runAll(each.slice(5), { ENV: 'prod', ...reviewer() }, { 'scripts/smoke.sh': 1 });
    expect(stateList('prod')).toEqual(['terraform_data.app', 'terraform_data.logs']);

    // The rollback variant keeps the logs and drops the compute (what KFM_PROD_ROLLBACK=1 synthesizes
    // for the AWS stack), written where scripts/plan.sh prod --rollback synthesizes it.
    const variant = join(env.KFM_STATE_DIR!, 'synth-prod-rollback');
    mkdirSync(join(variant, 'stacks', 'prod'), { recursive: true });
    writeFileSync(
      join(variant, 'stacks', 'prod', 'cdk.tf.json'),
      JSON.stringify({
        terraform: { backend: { local: { path: 'unused.tfstate' } } },
        resource: { terraform_data: { logs: { input: 'prod-logs' } } },
      }),
    );
    runAll(runbookCommands(read('rollback'), 'prod: disable ingress'), reviewer(), { 'scripts/smoke.sh': 1 });
    expect(ran).toContain('scripts/apply.sh prod --rollback');
    expect(stateList('prod')).toEqual(['terraform_data.logs']);
  }, 900_000);

  it('rollback.md stage: stage is torn down through the gate, dev keeps running with zero drift', () => {
    runAll(runbookCommands(read('rollback'), 'stage: tear down'), { '<author-login>': 'author' });
    expect(ran).toContain('scripts/apply.sh stage --rollback');
    expect(stateList('stage')).toEqual([]);
    expect(stateList('dev')).toEqual(['terraform_data.app']);
  }, 600_000);

  it('environments.md, First run 2 and 5: a shared stack is planned by plan.sh and applied from its plan file before any ledger exists', () => {
    const md = readFileSync(join(ROOT, 'docs', 'environments.md'), 'utf8').replace(/\s+/g, ' ');
    const commands = (from: string, to: string) =>
      [
        ...md
          .slice(md.indexOf(from), md.indexOf(to))
          .matchAll(/`((?:KFM_STATE_STORE= )?scripts\/plan\.sh [a-z]+|terraform -chdir=[^`]+)`/g),
      ].map((m) => m[1]!);
    const bootstrap = commands('2. Bootstrap with local state', '3. Move the bootstrap state');
    expect(bootstrap).toEqual([
      'KFM_STATE_STORE= scripts/plan.sh bootstrap',
      'terraform -chdir=cdktf.out/stacks/bootstrap apply "$PWD/plans/bootstrap.tfplan"',
    ]);
    stack('bootstrap', { state_bucket: { input: 'state' } });
    runAll(bootstrap, {});
    expect(stateList('bootstrap')).toEqual(['terraform_data.state_bucket']);
    const audit = commands('5. The `audit` stack', '6. Witnesses and keys');
    expect(audit).toEqual([
      'scripts/plan.sh audit',
      'terraform -chdir=cdktf.out/stacks/audit apply "$PWD/plans/audit.tfplan"',
    ]);
    runAll(audit, {});
    expect(stateList('audit')).toEqual(['terraform_data.ledger']);
  }, 600_000);

  it('rollback.md: dev is destroyed through the gate, with zero residue and zero drift', () => {
    runAll(runbookCommands(read('rollback'), 'dev: destroy all'), { '<author-login>': 'author' });
    expect(ran).toContain('scripts/apply.sh dev --rollback');
    const list = spawnSync('terraform', [`-chdir=${join(clone, 'cdktf.out', 'stacks', 'dev')}`, 'state', 'list'], {
      env,
      encoding: 'utf8',
    });
    expect(list.stdout.trim()).toBe('');
  }, 600_000);
});

const s3 = localS3();
(s3 ? describe : describe.skip)("restore.md's aws blocks, on the local radosgw", () => {
  let aws: string;
  beforeAll(() => {
    // The aws CLI where it is installed, else Debian's awscli (as scripts/s3-local.sh installs radosgw).
    const found = spawnSync(
      'bash',
      [
        '-c',
        `. ${join(ROOT, 'scripts', 'lib', 'debian-tool.sh')} && ensure_debian_tool aws awscli "restore.md's aws blocks"`,
      ],
      { encoding: 'utf8', timeout: 300_000 },
    );
    expect(found.status).toBe(0);
    aws = found.stdout.trim();
  });

  /** Run an aws command of the runbook with the test's values and `--endpoint-url`; returns the process. */
  function runAws(cmd: string, values: Record<string, string>, endpoint: string) {
    let c = cmd;
    for (const [k, v] of Object.entries(values)) c = c.split(k).join(v);
    const r = spawnSync(
      'bash',
      ['-euo', 'pipefail', '-c', `${c.replace(/^aws /, `"${aws}" `)} --endpoint-url ${endpoint}`],
      {
        env: {
          ...process.env,
          ...s3!.env,
          AWS_DEFAULT_REGION: s3!.env.AWS_REGION,
          AWS_MAX_ATTEMPTS: '1',
          AWS_PAGER: '',
        },
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    ranRaw.add(cmd);
    return r;
  }

  it('Object storage: copying a previous version over the current one restores the object', async () => {
    const bucket = `kfm-restore-${process.pid}`;
    const key = 'catalog/items/report.json';
    await s3!.client.send(new CreateBucketCommand({ Bucket: bucket }));
    await s3!.client.send(
      new PutBucketVersioningCommand({ Bucket: bucket, VersioningConfiguration: { Status: 'Enabled' } }),
    );
    for (const body of ['{"v":1}', '{"v":2, "damaged":true}'])
      await s3!.client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const cmds = runbookCommands(read('restore'), 'Object storage');
    expect(cmds.map((c) => c.split(' ').slice(0, 3).join(' '))).toEqual([
      'aws s3api list-object-versions',
      'aws s3api copy-object',
    ]);
    const values = { '<bucket>': bucket, '<key>': key };
    const listed = runAws(cmds[0]!, values, s3!.env.AWS_ENDPOINT_URL_S3!);
    expect(listed.status).toBe(0);
    // The operator picks the good version from the listing: the oldest here.
    const versions = JSON.parse(listed.stdout).Versions as { VersionId: string; LastModified: string }[];
    expect(versions).toHaveLength(2);
    const good = versions.sort((a, b) => a.LastModified.localeCompare(b.LastModified))[0]!.VersionId;
    const copied = runAws(cmds[1]!, { ...values, '<id>': good }, s3!.env.AWS_ENDPOINT_URL_S3!);
    expect(copied.stderr).toBe('');
    expect(copied.status).toBe(0);
    const now = await s3!.client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    expect(await now.Body!.transformToString()).toBe('{"v":1}');
    const after = await s3!.client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
    expect(after.Versions).toHaveLength(3); // nothing deleted: the restore is a new version
  });

  it('Database (prod): the point-in-time restore is a well-formed aws rds command (every flag known, none missing)', () => {
    const [cmd, ...rest] = runbookCommands(read('restore'), 'Database (prod)');
    expect(rest).toEqual([]);
    const values = { '<prod-db>': 'kfm-prod-db', '<RFC3339>': '2026-12-01T00:00:00Z' };
    // No RDS here: a port nothing listens on. The CLI checks the flags first and says so before it connects.
    const r = runAws(cmd!, values, 'http://127.0.0.1:1');
    expect(r.stderr).toMatch(/Could not connect to the endpoint URL: "http:\/\/127\.0\.0\.1:1\/"/);
    expect(r.status).toBe(255);
    const misspelt = runAws(cmd!.replace('--restore-time', '--restore-at'), values, 'http://127.0.0.1:1');
    expect(misspelt.stderr).toMatch(/Unknown options: --restore-at/); // the aws CLI's own check (exit 255 in v1, 252 in v2)
    expect(misspelt.stderr).not.toMatch(/Could not connect/);
  });
});

describe('every runbook command', () => {
  it('ran above (gh and keyless-login commands checked only; aws commands only when radosgw is up)', () => {
    const notRun: string[] = [];
    for (const name of ['apply', 'rollback', 'drift', 'incident', 'restore']) {
      for (const cmd of runbookCommands(read(name))) {
        if (ranRaw.has(cmd) || checkedOnly(cmd)) continue;
        if (/^aws /.test(cmd) && !s3) continue; // said loudly by the skipped describe above
        notRun.push(`${name}.md: ${cmd}`);
      }
    }
    expect(notRun).toEqual([]);
  });
});
