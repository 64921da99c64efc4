/**
 * The GitHub workflows, parsed by GitHub's own parser (@actions/workflow-parser), with the
 * structure issue 5 asks for asserted on what the parser understood.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ParsedJob, ParsedWorkflow } from './support/parse-core';
import { parseWorkflows, parserMode, REPO_ROOT } from './support/parse-workflows';
import { contractProblems, joinContinuations, kfmCalls } from './support/cli-contract';

const WORKFLOW_DIR = path.join(REPO_ROOT, '.github', 'workflows');
const files = fs
  .readdirSync(WORKFLOW_DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const text = (f: string) => fs.readFileSync(path.join(WORKFLOW_DIR, f), 'utf8');

let parsed: Record<string, ParsedWorkflow>;
let broken: ParsedWorkflow[];

const BROKEN_NEEDS = `on: push
jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - run: echo build
  deploy:
    needs: [biuld]
    runs-on: ubuntu-latest
    steps:
      - run: echo deploy
`;
const BROKEN_CRON = `on:
  schedule:
    - cron: '61 * * * *'
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo a
`;

beforeAll(async () => {
  const all = await parseWorkflows([
    ...files.map((f) => ({ name: f, content: text(f) })),
    { name: 'broken-needs.yml', content: BROKEN_NEEDS },
    { name: 'broken-cron.yml', content: BROKEN_CRON },
  ]);
  parsed = Object.fromEntries(all.slice(0, files.length).map((w) => [w.name, w]));
  broken = all.slice(files.length);
}, 60_000);

const job = (wf: string, id: string): ParsedJob => {
  const j = parsed[wf].jobs.find((x) => x.id === id);
  if (!j) throw new Error(`${wf} has no job "${id}"`);
  return j;
};
const rawOf = (wf: string) => parsed[wf].raw as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const runText = (j: ParsedJob) => joinContinuations(j.steps.map((s) => s.run ?? '').join('\n'));
const stepIndex = (j: ParsedJob, pattern: RegExp) => j.steps.findIndex((s) => pattern.test(s.run ?? ''));

describe('every workflow', () => {
  test('the three workflows exist', () => {
    expect(files).toEqual(expect.arrayContaining(['deploy.yml', 'drift.yml', 'pr.yml']));
  });

  test("parses with GitHub's own parser with zero errors", () => {
    console.info(`@actions/workflow-parser loaded ${parserMode}`);
    for (const f of files) expect({ file: f, errors: parsed[f].errors }).toEqual({ file: f, errors: [] });
  });

  test('the parser really runs: a job needing an unknown job and a bad cron are errors', () => {
    expect(broken[0].errors.join('\n')).toMatch(/biuld/);
    expect(broken[1].errors.length).toBeGreaterThan(0);
  });

  test('grants only contents: read by default', () => {
    for (const f of files)
      expect({ f, permissions: rawOf(f).permissions }).toEqual({ f, permissions: { contents: 'read' } });
  });

  test('widens permissions only where needed: id-token for OIDC jobs, pull-requests for the comment', () => {
    const allowedWrites: Record<string, string[]> = {
      'pr.yml/plan': ['id-token'],
      'pr.yml/comment': ['pull-requests'],
      'pr.yml/synth': ['security-events'],
      'approve.yml/append-approval': ['id-token'],
      'deploy.yml/dev': ['id-token'],
      'deploy.yml/stage': ['id-token'],
      'deploy.yml/prod-plan': ['id-token'],
      'deploy.yml/prod': ['id-token'],
      'drift.yml/drift': ['id-token'],
    };
    const seen: Record<string, string[]> = {};
    for (const f of files) {
      for (const [id, j] of Object.entries(rawOf(f).jobs as Record<string, { permissions?: unknown }>)) {
        if (j.permissions === undefined) continue;
        expect(typeof j.permissions).toBe('object'); // never read-all / write-all
        const perms = j.permissions as Record<string, string>;
        const writes = Object.keys(perms).filter((k) => perms[k] === 'write');
        if (writes.length) seen[`${f}/${id}`] = writes.sort();
        expect(perms.contents ?? 'read').toBe('read');
      }
    }
    expect(seen).toEqual(allowedWrites);
  });

  test('signs keyless (kfm receipt certify, or a script that appends a record) only in jobs that hold id-token: write', () => {
    const signing: string[] = [];
    for (const f of files) {
      const jobs = rawOf(f).jobs as Record<
        string,
        { permissions?: Record<string, string>; steps?: { run?: string }[] }
      >;
      for (const [id, j] of Object.entries(jobs)) {
        // With KFM_KEYLESS=1 the scripts certify each record before they append it (scripts/lib/kfm-env.sh).
        const signs = /receipt certify|kfm_append_record|scripts\/(apply|smoke|drift)\.sh/;
        if (!(j.steps ?? []).some((s) => signs.test(s.run ?? ''))) continue;
        signing.push(`${f}/${id}`);
        expect({ job: `${f}/${id}`, idToken: j.permissions?.['id-token'] }).toEqual({
          job: `${f}/${id}`,
          idToken: 'write',
        });
      }
    }
    expect(signing.sort()).toEqual([
      'deploy.yml/dev',
      'deploy.yml/prod',
      'deploy.yml/prod-plan',
      'deploy.yml/stage',
      'drift.yml/drift',
    ]);
    // Keyless everywhere records are signed: the workflow says so, and where to find the trust.
    for (const f of ['deploy.yml', 'drift.yml']) {
      expect(rawOf(f).env).toMatchObject({
        KFM_KEYLESS: '1',
        KFM_TRUSTED_ROOT: expect.any(String),
        KFM_IDENTITY_POLICY: expect.any(String),
      });
    }
  });

  test('pins every action by a full commit SHA with its version in a comment', () => {
    const pins = new Map<string, string>();
    for (const f of files) {
      const usesLines = text(f)
        .split('\n')
        .filter((l) => /^\s*(-\s+)?uses:/.test(l));
      const parsedUses = parsed[f].jobs.flatMap((j) => j.steps.map((s) => s.uses).filter((u): u is string => !!u));
      expect(usesLines.length).toBe(parsedUses.length);
      for (const line of usesLines) {
        const m = /uses:\s+([\w.-]+\/[\w.\/-]+)@([0-9a-f]{40}) # (v\d+\.\d+\.\d+)\s*$/.exec(line);
        expect({ line, pinned: !!m }).toEqual({ line, pinned: true });
        const [, action, sha, version] = m!;
        const key = `${action}@${version}`;
        expect({ key, sha: pins.get(key) ?? sha }).toEqual({ key, sha }); // one SHA per action version
        pins.set(key, sha);
      }
      for (const u of parsedUses) expect(u).toMatch(/^[\w.-]+\/[\w.\/-]+@[0-9a-f]{40}$/);
    }
    expect([...pins.keys()].map((k) => k.split('@')[0]).sort()).toEqual(
      expect.arrayContaining([
        'actions/checkout',
        'actions/github-script',
        'actions/setup-node',
        'actions/upload-artifact',
        'aws-actions/configure-aws-credentials',
        'hashicorp/setup-terraform',
      ]),
    );
  });

  test('pins Terraform 1.11.4 (no wrapper, so JSON output is clean) and Node 20', () => {
    for (const f of files) {
      for (const j of parsed[f].jobs) {
        for (const s of j.steps) {
          const w = (s.with ?? {}) as Record<string, unknown>;
          if (s.uses?.startsWith('hashicorp/setup-terraform@')) {
            expect({ where: `${f}/${j.id}`, v: w.terraform_version, wrapper: String(w.terraform_wrapper) }).toEqual({
              where: `${f}/${j.id}`,
              v: '1.11.4',
              wrapper: 'false',
            });
          }
          if (s.uses?.startsWith('actions/setup-node@')) expect(String(w['node-version'])).toBe('20');
        }
      }
    }
  });

  test('calls the kfm CLI only with commands and flags of its contract', () => {
    const calls = files.flatMap((f) => kfmCalls(parsed[f].jobs.map(runText).join('\n')));
    expect(calls.length).toBeGreaterThan(10);
    expect(calls.flatMap(contractProblems)).toEqual([]);
    expect(new Set(calls.map((c) => `${c.noun} ${c.verb}`.trim()))).toEqual(
      new Set([
        'policy check',
        'keygen',
        'receipt plan',
        'receipt certify',
        'receipt show',
        'receipt comment',
        // (receipt verify: approve.yml's approvals are checked by scripts/approval-intake.sh)
        'audit append',
        'audit verify',
        'gate promote',
        'report',
      ]),
    );
  });

  test('never echoes the log key and writes it with umask 077; no environment holds a record-signing key', () => {
    for (const f of files) {
      for (const j of parsed[f].jobs) {
        for (const s of j.steps) {
          const env = (s.env ?? {}) as Record<string, string>;
          // Records are signed keyless (a key made per job, certified under its OIDC identity).
          expect(Object.values(env).some((v) => /secrets\.KFM_SIGNING_KEY/.test(String(v)))).toBe(false);
          const holdsSecret = Object.values(env).some((v) => /secrets\.KFM_LOG_KEY/.test(String(v)));
          if (!holdsSecret) continue;
          expect(s.run).toMatch(/umask 077/);
          expect(s.run).not.toMatch(/(echo|cat)[^\n]*\$\{?KFM_LOG_KEY_PEM/);
          expect(s.run).toMatch(/> "\$RUNNER_TEMP\/kfm\/kfm-log\.key"/);
        }
        // secrets appear only in a step env, never inline in a script
        expect(runText(j)).not.toMatch(/secrets\./);
      }
    }
  });
});

describe('pr.yml', () => {
  test('runs on every pull request: no paths, paths-ignore or branch filters', () => {
    expect(Object.keys(parsed['pr.yml'].events)).toEqual(['pull_request']);
    expect(parsed['pr.yml'].events.pull_request).toEqual({});
    for (const f of files) expect(text(f)).not.toMatch(/^\s*(paths|paths-ignore):/m);
  });

  test('installs, checks format, types and tests, synthesizes, checks policy on synth and validates', () => {
    const all = parsed['pr.yml'].jobs.map(runText).join('\n');
    for (const cmd of [
      /npm ci/,
      /npx prettier --check \./,
      /scripts\/lint-workflows\.sh --yaml-only/,
      /scripts\/secrets-scan\.sh --since/,
      /npx tsc --noEmit/,
      /npm test/,
      /npx cdktf synth/,
      /policy check --synth "cdktf\.out\/stacks\/\$stack\/cdk\.tf\.json"/,
      /scripts\/validate\.sh/,
    ])
      expect(all).toMatch(cmd);
    const loop = runText(job('pr.yml', 'synth'));
    for (const stack of ['dev', 'stage', 'prod', 'audit', 'k8s-dev', 'k8s-stage', 'k8s-prod'])
      expect(loop).toContain(stack);
  });

  test('lints YAML and every workflow (actionlint, the same version npm test runs, with shellcheck)', () => {
    const format = job('pr.yml', 'format');
    expect(runText(format)).toMatch(/scripts\/lint-workflows\.sh --yaml-only/);
    const install = format.steps.findIndex((s) => /sha256sum --check --strict/.test(s.run ?? ''));
    const lint = stepIndex(format, /"\$RUNNER_TEMP\/actionlint" -color -shellcheck "\$shellcheck_bin"/);
    expect(install).toBeGreaterThan(-1);
    expect(lint).toBeGreaterThan(install);
    const env = format.steps[install].env as Record<string, string>;
    expect(env.ACTIONLINT_SHA256).toMatch(/^[0-9a-f]{64}$/);
    // The upstream release is the actionlint compiled into the offline WebAssembly build.
    const wasm = fs.readFileSync(path.join(REPO_ROOT, 'node_modules', '@tktco', 'node-actionlint', 'main.wasm'));
    expect(wasm.includes(`github.com/rhysd/actionlint\tv${env.ACTIONLINT_VERSION}\t`)).toBe(true);
    expect(format.steps[lint].run).toMatch(/command -v shellcheck\) \|\| \{ echo "::error::/);
  });

  test('scans the change for secrets: every file the pull request adds or changes, against its base', () => {
    const secrets = job('pr.yml', 'secrets');
    expect(runText(secrets)).toMatch(/scripts\/secrets-scan\.sh --since "\$BASE_SHA"/);
    const scanStep = secrets.steps.find((s) => /secrets-scan\.sh/.test(s.run ?? ''));
    expect((scanStep?.env as Record<string, string>).BASE_SHA).toBe('${{ github.event.pull_request.base.sha }}');
    const checkout = secrets.steps.find((s) => s.uses?.startsWith('actions/checkout@'));
    expect(String((checkout?.with as Record<string, unknown>)['fetch-depth'])).toBe('0'); // the base is in history
  });

  test('plans every tier with its own plan-only OIDC role and makes a plan receipt', () => {
    const plan = job('pr.yml', 'plan');
    const matrix = (plan.strategy as { matrix: { include: Array<{ env: string; plan_role: string }> } }).matrix;
    expect(matrix.include.map((m) => m.env)).toEqual(['dev', 'stage', 'prod']);
    expect(new Set(matrix.include.map((m) => m.plan_role)).size).toBe(3);
    const oidc = plan.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect((oidc?.with as Record<string, string>)['role-to-assume']).toBe('${{ vars[matrix.plan_role] }}');
    const r = runText(plan);
    expect(r).toMatch(/scripts\/plan\.sh "\$KFM_ENV"/);
    expect(r).toMatch(
      /policy check --plan "plans\/\$KFM_ENV\.plan\.json" --env "\$KFM_ENV" --json > "plans\/\$KFM_ENV\.policy\.json"/,
    );
    expect(r).toMatch(/receipt plan "plans\/\$KFM_ENV\.plan\.json" --env "\$KFM_ENV"/);
    expect(r).toMatch(
      /--plan-file "plans\/\$KFM_ENV\.tfplan" --policy "plans\/\$KFM_ENV\.policy\.json" --author "\$PR_AUTHOR"\s+--method ci/,
    );
    expect(r).toMatch(/receipt show [^\n]*--format markdown --max-chars (\d+)/);
  });

  test('uploads the plan artifacts: tfplan, plan JSON and receipts', () => {
    const upload = job('pr.yml', 'plan').steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    const p = String((upload?.with as Record<string, unknown>).path);
    for (const f of ['.tfplan', '.plan.json', '.policy.json', '.plan.receipt.json'])
      expect(p).toContain(`\${{ matrix.env }}${f}`);
    expect((upload?.with as Record<string, unknown>)['if-no-files-found']).toBe('error');
  });

  test('three rendered receipts always fit in one GitHub comment', () => {
    const max = Number(/--max-chars (\d+)/.exec(runText(job('pr.yml', 'plan')))![1]);
    expect(3 * max + 1000).toBeLessThanOrEqual(65536);
  });

  test('gate-summary always runs, needs every other job and checks every result', () => {
    const gate = job('pr.yml', 'gate-summary');
    expect(gate.if).toBe('always()');
    const others = parsed['pr.yml'].jobs.map((j) => j.id).filter((id) => id !== 'gate-summary');
    expect([...gate.needs].sort()).toEqual(others.sort());
    // The README's minimum gates: formatting and lint, secrets scan, types, tests, synth/validate, plan diff.
    expect([...gate.needs].sort()).toEqual([
      'comment',
      'comment-body',
      'format',
      'plan',
      'secrets',
      'synth',
      'test',
      'typecheck',
    ]);
    const refuse = gate.steps[0].if ?? '';
    for (const bad of ['failure', 'cancelled', 'skipped'])
      expect(refuse).toContain(`contains(needs.*.result, '${bad}')`);
    expect(gate.steps.every((s) => s.if === undefined || !/continue-on-error/.test(s.if))).toBe(true);
    expect(text('pr.yml').split('gate-summary:')[1]).not.toMatch(/continue-on-error/);
  });

  test('no job can be silently skipped by a condition other than the comment after a cancel', () => {
    for (const j of parsed['pr.yml'].jobs) {
      if (j.id === 'gate-summary') continue;
      const comment = j.id === 'comment' || j.id === 'comment-body';
      expect({ id: j.id, if: j.if }).toEqual({ id: j.id, if: comment ? '!cancelled()' : 'success()' });
    }
  });
});

describe('deploy.yml', () => {
  const tiers = ['dev', 'stage', 'prod-plan', 'prod'];

  test('runs on push to main and by hand', () => {
    expect(parsed['deploy.yml'].events).toEqual({ push: { branches: ['main'] }, workflow_dispatch: {} });
  });

  test('deploys dev -> stage -> prod in that order, each in its own environment', () => {
    const jobs = parsed['deploy.yml'].jobs;
    expect(jobs.map((j) => j.id)).toEqual(tiers);
    expect(jobs.map((j) => j.needs)).toEqual([[], ['dev'], ['stage'], ['prod-plan']]);
    expect(jobs.map((j) => j.environment)).toEqual(['dev', 'stage', 'prod-plan', 'prod']);
  });

  test('a failure halts progression: every job runs only on success', () => {
    for (const j of parsed['deploy.yml'].jobs) expect({ id: j.id, if: j.if }).toEqual({ id: j.id, if: 'success()' });
    expect(text('deploy.yml')).not.toMatch(/continue-on-error/);
  });

  test('one concurrency group per tier that never cancels a running deployment', () => {
    const groups = parsed['deploy.yml'].jobs.map((j) => j.concurrency);
    expect(groups).toEqual([
      { group: 'deploy-dev', 'cancel-in-progress': false },
      { group: 'deploy-stage', 'cancel-in-progress': false },
      { group: 'deploy-prod', 'cancel-in-progress': false },
      { group: 'deploy-prod', 'cancel-in-progress': false },
    ]);
  });

  test('each tier: plan -> receipt -> ledger -> gate -> apply -> smoke -> drift', () => {
    for (const id of ['dev', 'stage']) {
      const j = job('deploy.yml', id);
      const order = [
        /scripts\/plan\.sh "\$KFM_ENV"/,
        /receipt plan /,
        /audit append "receipts-out\/\$KFM_ENV\.plan\.receipt\.sigstore\.json" --store "\$KFM_AUDIT_STORE"/,
        id === 'dev' ? /POLICY_EXIT/ : /gate promote --to stage/,
        /scripts\/apply\.sh "\$KFM_ENV"/,
        /scripts\/smoke\.sh "\$KFM_ENV"/,
        /scripts\/drift\.sh "\$KFM_ENV"/,
        /audit verify/,
      ].map((p) => stepIndex(j, p));
      expect({ id, order }).toEqual({ id, order: [...order].sort((a, b) => a - b) });
      expect(order.every((i) => i >= 0)).toBe(true);
    }
    const plan = job('deploy.yml', 'prod-plan');
    const prod = job('deploy.yml', 'prod');
    expect(runText(plan)).not.toMatch(/scripts\/apply\.sh/);
    const prodOrder = [/gate promote --to prod/, /scripts\/apply\.sh/, /scripts\/smoke\.sh/, /scripts\/drift\.sh/].map(
      (p) => stepIndex(prod, p),
    );
    expect(prodOrder.every((i) => i >= 0)).toBe(true);
    expect(prodOrder).toEqual([...prodOrder].sort((a, b) => a - b));
    expect(runText(prod)).not.toMatch(/scripts\/plan\.sh/); // applies the approved plan, never a fresh one
  });

  test('dev has no promotion gate; stage and prod are gated for the same commit', () => {
    expect(runText(job('deploy.yml', 'dev'))).not.toMatch(/gate promote/);
    expect(runText(job('deploy.yml', 'stage'))).toMatch(/gate promote --to stage [^\n]*--commit "\$GITHUB_SHA" --key/);
    expect(runText(job('deploy.yml', 'prod'))).toMatch(/gate promote --to prod [^\n]*--commit "\$GITHUB_SHA" --key/);
  });

  test('prod applies the very plan file recorded by prod-plan', () => {
    const up = job('deploy.yml', 'prod-plan').steps.find((s) => s.uses?.startsWith('actions/upload-artifact@'));
    const down = job('deploy.yml', 'prod').steps.find((s) => s.uses?.startsWith('actions/download-artifact@'));
    expect((up?.with as Record<string, string>).name).toBe((down?.with as Record<string, string>).name);
    expect(String((up?.with as Record<string, string>).path)).toMatch(/plans\/prod\.tfplan/);
  });
});

describe('drift.yml', () => {
  test('runs on a schedule and by hand', () => {
    const ev = parsed['drift.yml'].events as { schedule?: Array<{ cron: string }>; workflow_dispatch?: unknown };
    expect(ev.schedule?.length).toBeGreaterThan(0);
    expect(ev.workflow_dispatch).toEqual({});
  });

  test('refresh-only plan per tier through scripts/drift.sh; drift fails the run', () => {
    const j = job('drift.yml', 'drift');
    expect((j.strategy as { matrix: { env: string[] } }).matrix.env).toEqual(['dev', 'stage', 'prod']);
    expect(runText(j)).toMatch(/scripts\/drift\.sh "\$KFM_ENV"/);
    expect(text('drift.yml')).not.toMatch(/continue-on-error/);
    expect(text('drift.yml')).not.toMatch(/\|\|\s*true/);
  });
});

describe('approve.yml', () => {
  test('checks a keyed or keyless approval with the trust the prod gate uses, then appends and cosigns it; signs nothing', () => {
    expect(rawOf('approve.yml').env).toMatchObject({
      KFM_TRUSTED_ROOT: rawOf('deploy.yml').env.KFM_TRUSTED_ROOT,
      KFM_IDENTITY_POLICY: rawOf('deploy.yml').env.KFM_IDENTITY_POLICY,
    });
    const j = job('approve.yml', 'append-approval');
    const order = [
      /scripts\/approval-intake\.sh "\$LOGIN" receipts-out\/approval\.json/,
      /audit append receipts-out\/approval\.json/,
      /scripts\/cosign\.sh/,
    ].map((p) => stepIndex(j, p));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect(order).toEqual([...order].sort((a, b) => a - b));
    // The reviewer signed it (keyed or keyless) on their machine: this job certifies nothing.
    expect(runText(j)).not.toMatch(/receipt certify|approve --keyless|kfm_append_record/);
  });
});
