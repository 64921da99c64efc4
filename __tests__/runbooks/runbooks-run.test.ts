/**
 * The runbooks are executed: every command of their ```bash blocks that can run here runs, as
 * written, in a temporary clone against a local ledger and local state (KFM_OFFLINE=1), so a
 * runbook that drifts from the scripts fails `npm test`. What the test changes, and why:
 *   - ENV, <…> placeholders get this test's values;
 *   - `scripts/plan.sh` and `scripts/drift.sh` get `--no-synth`: the tiers are terraform_data
 *     stacks written into cdktf.out/ (real AWS resources cannot be applied offline);
 *   - commands of outside tools (`gh`, `aws`) are only checked to be one of them, not run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFlow, Flow, ok, ROOT } from '../pipeline/flow';

const EXTERNAL = /^(gh|aws) /;

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

/** Run one runbook command in the clone; `expectStatus` for the ones that must fail here. */
function runCommand(cmd: string, values: Record<string, string>, expectStatus = 0) {
  let c = cmd;
  for (const [k, v] of Object.entries(values)) c = c.split(k).join(v);
  c = c.replace(/^(scripts\/(?:plan|drift)\.sh [^|;&]*)$/, '$1 --no-synth');
  if (EXTERNAL.test(c)) return;
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
  env = {
    ...flow.env,
    KFM_PUB: 'keys/kfm-ci.pub', // as apply.md's "set once per shell" and the workflows set it
    KFM_SYNTH_DIR: join(clone, 'cdktf.out'),
    KFM_PLANS_DIR: join(clone, 'plans'),
    KFM_RECEIPTS_DIR: join(clone, 'receipts-out'),
    KFM_COMMIT: commit,
    GITHUB_SHA: commit,
  };
  stack('dev', { app: { input: 'v1' } });
  stack('prod', { app: { input: 'prod' } });
  stack('audit', { ledger: { input: 'audit' } });
}, 120_000);

describe('the runbooks, run as written', () => {
  it('apply.md: each tier (dev): plan, receipt, ledger, gated apply, smoke, drift', () => {
    const cmds = runbookCommands(read('apply'), 'Each tier').filter((c) => !c.includes('gate promote')); // "stage and prod only"
    // smoke: terraform_data is not a KFM tier, so its logging checks fail (and are recorded)
    runAll(cmds, { ENV: 'dev' }, { 'scripts/smoke.sh': 1 });
    expect(ran.some((c) => c === 'scripts/apply.sh dev')).toBe(true);
  }, 600_000);

  it('apply.md: approving prod with the reviewer’s own key appends an approval to the ledger', () => {
    const plan = runbookCommands(read('apply'), 'Each tier').slice(0, 5); // prod plan receipt in the ledger (init is idempotent)
    runAll(plan, { ENV: 'prod' });
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
    runAll(cmds.filter((c) => c !== gate), values);
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

  it('rollback.md: dev is destroyed through the gate, with zero residue and zero drift', () => {
    runAll(runbookCommands(read('rollback'), 'dev: destroy all'), {});
    expect(ran).toContain('scripts/apply.sh dev --rollback');
    const list = spawnSync('terraform', [`-chdir=${join(clone, 'cdktf.out', 'stacks', 'dev')}`, 'state', 'list'], {
      env,
      encoding: 'utf8',
    });
    expect(list.stdout.trim()).toBe('');
  }, 600_000);
});
