/**
 * The governed flow end to end with the real Terraform, real processes and a real ledger:
 * plan.sh → policy → plan receipt → ledger → apply.sh (refusing a stale plan) → drift.sh →
 * smoke.sh → kfm gate promote, and a failing apply that is still recorded.
 *
 * The tiers are `terraform_data` stacks (Terraform's built-in provider), so every apply is real
 * and offline; the scripts and the CLI are exactly the ones CI runs.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFlow, Flow, ok, ROOT } from './flow';

const COMMIT = 'c0ffee'.padEnd(40, '0');

let flow: Flow;
let dir: string;
let env: NodeJS.ProcessEnv;
const run = (cmd: string, args: string[], extra: NodeJS.ProcessEnv = {}) => flow.run(cmd, args, extra);
const kfm = (...args: string[]) => flow.kfm(...args);
const script = (name: string, ...args: string[]) => flow.script(name, ...args);
const stack = (name: string, resources: Record<string, unknown>) => flow.stack(name, resources);
/** plan.sh + policy on the plan (which must pass) + signed plan receipt + ledger append. */
const planAndRecord = (tier: string) => flow.planAndRecord(tier, (status) => expect(status).toBe(0));

/** Trusted checkpoints the gate reads the ledger anchored to (kept outside the store). */
const checkpoints: string[] = [];

/**
 * A checkpoint of the verified ledger, kept where the appender cannot write (a separate
 * checkpoint store, as deploy.yml does), then fetched back as the gates' trusted checkpoint.
 */
function anchor(): string {
  const extra = { KFM_CHECKPOINT_STORE: join(dir, 'trusted-checkpoints') };
  ok(run('bash', [join(ROOT, 'scripts', 'trusted-checkpoint.sh'), 'publish'], extra));
  const fetched = ok(run('bash', [join(ROOT, 'scripts', 'trusted-checkpoint.sh'), 'fetch'], extra)).stdout.trim();
  expect(fetched).toMatch(/^KFM_CHECKPOINTS=/);
  // A copy per checkpoint: the next fetch replaces the file.
  const out = join(dir, `checkpoint.${checkpoints.length + 1}.txt`);
  writeFileSync(out, readFileSync(fetched.slice('KFM_CHECKPOINTS='.length)));
  checkpoints.push(out);
  env.KFM_CHECKPOINTS = checkpoints.join(':');
  return out;
}

/** The newest dev/stage apply receipt from the ledger, as scripts/smoke.sh binds to it. */
function newestApply(tier: string): string {
  const out = join(dir, 'receipts', `${tier}.newest-apply.${readdirSync(join(dir, 'receipts')).length}.json`);
  ok(
    kfm(
      'gate',
      'evidence',
      '--kind',
      'apply',
      '--env',
      tier,
      '--store',
      env.KFM_AUDIT_STORE!,
      '--pub',
      env.KFM_PUB!,
      '--out',
      out,
    ),
  );
  return out;
}

function promote(to: string, ...extra: string[]) {
  return kfm(
    'gate',
    'promote',
    '--to',
    to,
    '--store',
    env.KFM_AUDIT_STORE!,
    '--pub',
    env.KFM_PUB!,
    '--commit',
    COMMIT,
    '--json',
    ...checkpoints.flatMap((c) => ['--checkpoint', c]),
    ...extra,
  );
}

beforeAll(() => {
  flow = createFlow('kfm-flow-', COMMIT);
  ({ dir, env } = flow);
  ok(kfm('keygen', '--out-dir', join(dir, 'keys')));
  ok(kfm('keygen', '--out-dir', join(dir, 'reviewer')));
  ok(kfm('keygen', '--out-dir', join(dir, 'author')));
  // Approvers' public keys, one file per login: reviewer and (to try self-approval) the author.
  mkdirSync(join(dir, 'approvers'));
  writeFileSync(join(dir, 'approvers', 'reviewer.pub'), readFileSync(join(dir, 'reviewer', 'kfm-signing.pub')));
  writeFileSync(join(dir, 'approvers', 'author.pub'), readFileSync(join(dir, 'author', 'kfm-signing.pub')));
  stack('dev', { app: { input: 'v1' } });
  // stage's apply fails half way: one resource is created, the other's provisioner exits 3.
  stack('stage', { app: { input: 'stage' } });
  // prod's apply fails half way: one resource is created, the other's provisioner exits 3.
  stack('prod', {
    good: { input: 'ok' },
    bad: { input: 'boom', depends_on: ['terraform_data.good'], provisioner: [{ 'local-exec': { command: 'exit 3' } }] },
  });
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the governed flow on real Terraform', () => {
  it('runs dev → stage → prod and records every step, refusing what was not approved', () => {
    // 1. A dev plan is receipted; then someone re-plans: that plan file was never reviewed.
    planAndRecord('dev');
    const plans = join(dir, 'plans');
    const receipted = readFileSync(join(plans, 'dev.tfplan'));
    writeFileSync(
      join(dir, 'synth', 'stacks', 'dev', 'cdk.tf.json'),
      readFileSync(join(dir, 'synth', 'stacks', 'dev', 'cdk.tf.json'), 'utf8').replace('"v1"', '"v2"'),
    );
    ok(script('plan', 'dev', '--no-synth'));
    expect(readFileSync(join(plans, 'dev.tfplan')).equals(receipted)).toBe(false);
    const stale = script('apply', 'dev');
    expect(stale.status).toBe(1);
    expect(stale.stderr).toMatch(
      /BLOCKED approved plan file: .*dev\.tfplan \(sha256:[0-9a-f]{64}\) is not the subject of any trusted dev plan receipt/,
    );
    expect(stale.stderr).toMatch(/refusing to apply/);
    expect(existsSync(join(dir, 'state', 'state', 'dev.tfstate'))).toBe(false); // nothing was applied

    // 2. The new plan is receipted; now it applies, and the apply receipt lands in the ledger.
    planAndRecord('dev');
    ok(script('apply', 'dev'));
    expect(existsSync(join(dir, 'state', 'state', 'dev.tfstate'))).toBe(true);
    const list = ok(kfm('audit', 'list', '--store', env.KFM_AUDIT_STORE!, '--json'))
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(list.map((e) => e.predicateType)).toEqual([
      'https://kfm.dev/receipts/plan/v1',
      'https://kfm.dev/receipts/plan/v1',
      'https://kfm.dev/receipts/apply/v1',
    ]);

    // 3. Drift: nothing changed since the apply.
    const drift = script('drift', 'dev', '--no-synth');
    expect(drift.stderr).toMatch(/dev has no drift/);
    expect(drift.status).toBe(0);

    // 4. Smoke: terraform_data is not a KFM tier, so the logging and access checks must fail
    //    (and be recorded): the gate then refuses stage.
    const smoke = script('smoke', 'dev');
    expect(smoke.status).toBe(1);
    expect(smoke.stderr).toMatch(/dev deployed=pass/);
    expect(smoke.stderr).toMatch(/dev logging=fail/);
    const blocked = promote('stage');
    expect(blocked.status).toBe(1);
    expect(blocked.stderr).toMatch(/BLOCKED dev validation record: .*status "fail"/);
    expect(blocked.stderr).toMatch(/BLOCKED stage plan receipt: no trusted stage plan receipt/);
    expect(JSON.parse(blocked.stdout).allowed).toBe(false);

    // 5. The operator validates dev by hand and records it; the stage plan is receipted.
    const manual = join(dir, 'receipts', 'dev.smoke.manual.json');
    ok(
      kfm(
        'record',
        'smoke',
        '--env',
        'dev',
        '--check',
        'manual-health=pass',
        '--apply-receipt',
        newestApply('dev'),
        '--key',
        env.KFM_KEY!,
        '--out',
        manual,
        '--commit',
        COMMIT,
        '--timestamp',
        '2026-11-24T12:00:00Z',
      ),
    );
    ok(kfm('audit', 'append', '--init', manual, '--store', env.KFM_AUDIT_STORE!));
    planAndRecord('stage');

    // An untrusted key proves nothing: every entry is then junk to the gate (listed, never
    // evidence), so nothing is proven.
    const stranger = kfm(
      'gate',
      'promote',
      '--to',
      'stage',
      '--store',
      env.KFM_AUDIT_STORE!,
      '--pub',
      join(dir, 'reviewer', 'kfm-signing.pub'),
      '--commit',
      COMMIT,
    );
    expect(stranger.status).toBe(1);
    expect(stranger.stderr).toMatch(/BLOCKED dev apply receipt: .*signed by no trusted key/);

    // An unanchored read says so in one line; then the ledger is checkpointed and the gates
    // read it anchored to that checkpoint from here on.
    expect(promote('stage').stderr).toMatch(/^gate: note: unanchored read of /);
    anchor();

    // 6. Now stage is allowed, and the promotion manifest is appended (gate G).
    const allowed = promote('stage', '--key', env.KFM_KEY!);
    expect(allowed.stderr).toBe('');
    expect(allowed.status).toBe(0);
    const verdict = JSON.parse(allowed.stdout);
    expect(verdict.allowed).toBe(true);
    expect(verdict.manifest.seq).toBeGreaterThan(0);
    const manifest = ok(
      kfm('audit', 'get', '--store', env.KFM_AUDIT_STORE!, '--seq', String(verdict.manifest.seq)),
    ).stdout;
    const statement = JSON.parse(Buffer.from(JSON.parse(manifest).payload, 'base64').toString());
    expect(statement.predicateType).toBe('https://kfm.dev/receipts/promotion/v1');
    expect(statement.predicate.repo.commit).toBe(COMMIT);
    expect(statement.predicate.evidence.map((e: { requirement: string }) => e.requirement)).toEqual([
      'dev apply receipt',
      'dev drift report',
      'dev validation record',
      'stage plan receipt',
    ]);
    // The manifest binds every record it relied on and the ledger root it judged, anchored.
    expect(statement.predicate.ledger).toMatchObject({ size: verdict.ledger.size, anchored: true });
    expect(statement.subject.map((x: { name: string }) => x.name)).toContain(`ledger-root:${verdict.ledger.size}`);
    expect(statement.subject).toHaveLength(5);

    // 7. stage is applied by the same rules, validated and found stable; prod is planned.
    ok(script('apply', 'stage'));
    ok(script('drift', 'stage', '--no-synth'));
    const stageSmoke = join(dir, 'receipts', 'stage.smoke.manual.json');
    ok(
      kfm(
        'record',
        'smoke',
        '--env',
        'stage',
        '--check',
        'manual-health=pass',
        '--apply-receipt',
        newestApply('stage'),
        '--key',
        env.KFM_KEY!,
        '--out',
        stageSmoke,
        '--commit',
        COMMIT,
      ),
    );
    ok(kfm('audit', 'append', '--init', stageSmoke, '--store', env.KFM_AUDIT_STORE!));
    const prodPlan = planAndRecord('prod');
    const approverFlags = [
      '--approver',
      `reviewer=${join(dir, 'approvers', 'reviewer.pub')}`,
      '--approver',
      `author=${join(dir, 'approvers', 'author.pub')}`,
    ];
    const noApproval = promote('prod', ...approverFlags);
    expect(noApproval.status).toBe(1);
    expect(noApproval.stderr).toMatch(/BLOCKED prod approval: no trusted approval of the prod plan receipt/);
    // Nothing can be applied to prod before the gate holds.
    expect(script('apply', 'prod').status).toBe(1);
    expect(existsSync(join(dir, 'state', 'state', 'prod.tfstate'))).toBe(false);

    // 8. The author approves their own change: refused. The reviewer approves: allowed.
    const approve = (who: string, principal: string) => {
      const out = join(dir, 'receipts', `approval.${who}.json`);
      ok(
        kfm(
          'approve',
          '--env',
          'prod',
          '--plan-receipt',
          prodPlan,
          '--principal',
          principal,
          '--change-record',
          'CR-2026-11',
          '--key',
          join(dir, who, 'kfm-signing.key'),
          '--pub',
          env.KFM_PUB!,
          '--out',
          out,
        ),
      );
      ok(kfm('audit', 'append', '--init', out, '--store', env.KFM_AUDIT_STORE!));
    };
    approve('author', 'author');
    const self = promote('prod', ...approverFlags);
    expect(self.status).toBe(1);
    expect(self.stderr).toMatch(/BLOCKED prod approval: self-approval refused/);
    approve('reviewer', 'reviewer');
    anchor();
    const prodOk = promote('prod', ...approverFlags);
    expect(prodOk.stderr).toBe('');
    expect(prodOk.status).toBe(0);
    expect(
      JSON.parse(prodOk.stdout).items.find((i: { requirement: string }) => i.requirement === 'change record').detail,
    ).toBe('change record CR-2026-11');

    // 9. The prod apply fails half way: apply.sh fails, yet the failed apply is receipted.
    const failed = script('apply', 'prod');
    expect(failed.status).toBe(1);
    expect(failed.stderr).toMatch(/terraform apply failed .*recorded/);
    const entries = ok(kfm('audit', 'list', '--store', env.KFM_AUDIT_STORE!, '--json'))
      .stdout.trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const last = entries[entries.length - 1];
    expect(last.predicateType).toBe('https://kfm.dev/receipts/apply/v1');
    const applyReceipt = ok(kfm('audit', 'get', '--store', env.KFM_AUDIT_STORE!, '--seq', String(last.seq))).stdout;
    const applied = JSON.parse(Buffer.from(JSON.parse(applyReceipt).payload, 'base64').toString()).predicate;
    expect(applied.summary.status).toBe('failed');
    expect(applied.summary.add).toBe(1);
    expect(applied.summary.errored).toEqual(['terraform_data.bad']);

    // 10. The whole ledger verifies offline with the public keys alone.
    ok(
      kfm(
        'audit',
        'verify',
        '--store',
        env.KFM_AUDIT_STORE!,
        '--pub',
        env.KFM_PUB!,
        '--pub',
        join(dir, 'approvers', 'reviewer.pub'),
        '--pub',
        join(dir, 'approvers', 'author.pub'),
      ),
    );
  });
});
