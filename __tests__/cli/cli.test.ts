/**
 * The `kfm receipt` contract, run as a real process: flags, exit codes, stdout/stderr, files written
 * (or not), determinism, the plan -> apply chain, bad input, truncation and rendering limits.
 */
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GEN, keypair, kfm, PROV, TF, tmp } from '../receipts/helpers';

const LIFECYCLE = join(TF, 'generated-tf1.11.4', 'lifecycle');
const PLAN = join(LIFECYCLE, '2-change.show-plan.json');
const sha = (b: Buffer | string): string => 'sha256:' + createHash('sha256').update(b).digest('hex');
const payloadOf = (envPath: string): Record<string, any> =>
  JSON.parse(Buffer.from(JSON.parse(readFileSync(envPath, 'utf8')).payload, 'base64').toString());

const keys = keypair();
const dir = tmp();
let n = 0;
const out = (): string => join(dir, `r${++n}.json`);

function expectOneLineError(
  r: { status: number; stdout: string; stderr: string },
  status: number,
  ...mustName: (string | RegExp)[]
): void {
  expect(r.status).toBe(status);
  expect(r.stdout).toBe('');
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  for (const m of mustName) expect(r.stderr).toMatch(m);
}

function planReceipt(plan = PLAN, extra: string[] = [], env = 'dev'): { out: string; stdout: string } {
  const o = out();
  const r = kfm(['receipt', 'plan', plan, '--env', env, '--key', keys.key, '--out', o, '--json', ...PROV, ...extra]);
  if (r.status !== 0) throw new Error(r.stderr);
  return { out: o, stdout: r.stdout };
}

describe('kfm receipt plan', () => {
  it('prints {summary, digest, out} with --json and the digest is sha256 of the file written', () => {
    const { out: o, stdout } = planReceipt();
    const j = JSON.parse(stdout);
    expect(Object.keys(j)).toEqual(['summary', 'digest', 'out']);
    expect(j.out).toBe(o);
    expect(j.digest).toBe(sha(readFileSync(o)));
    expect(j.summary).toEqual({
      add: 4,
      change: 3,
      remove: 8,
      import: 1,
      replace: 4,
      forget: 1,
      move: 1,
      read: 0,
      noop: 5,
      errored: false,
    });
  });

  it('writes an in-toto Statement naming the plan JSON and plan file digests as subjects', () => {
    const tfplan = join(dir, 'plan.tfplan');
    writeFileSync(tfplan, randomBytes(64));
    const { out: o } = planReceipt(PLAN, ['--plan-file', tfplan]);
    const env = JSON.parse(readFileSync(o, 'utf8'));
    expect(env.payloadType).toBe('application/vnd.in-toto+json');
    const st = payloadOf(o);
    expect(st._type).toBe('https://in-toto.io/Statement/v1');
    expect(st.predicateType).toBe('https://kfm.dev/receipts/plan/v1');
    expect(st.subject).toEqual([
      { name: '2-change.show-plan.json', digest: { sha256: sha(readFileSync(PLAN)).slice(7) } },
      { name: 'plan.tfplan', digest: { sha256: sha(readFileSync(tfplan)).slice(7) } },
    ]);
    const p = st.predicate;
    expect(p.kind).toBe('kfm.infra.PlanReceipt');
    expect(p.repo).toEqual({
      commit: '0123456789abcdef0123456789abcdef01234567',
      branch: 'main',
      source: 'flag',
      branch_source: 'flag',
    });
    expect(p.actor).toEqual({ principal: 'ci-bot', method: 'ci', source: 'flag' });
    expect(p.tooling[0]).toEqual({ name: 'terraform', version: '1.11.4' });
    expect(p.timestamps.planned).toBe(JSON.parse(readFileSync(PLAN, 'utf8')).timestamp);
    const forget = p.changes.find((c: any) => c.address === 'terraform_data.to_forget');
    expect(forget).toMatchObject({
      actions: ['forget'],
      action: 'forget',
      action_reason: 'delete_because_no_resource_config',
    });
    expect(p.changes.find((c: any) => c.address === 'terraform_data.cbd')).toMatchObject({
      actions: ['create', 'delete'],
      replace_paths: [['triggers_replace']],
    });
    expect(p.changes.find((c: any) => c.address === 'terraform_data.new_name').moved_from).toBe(
      'terraform_data.old_name',
    );
    expect(p.changes.find((c: any) => c.address === 'terraform_data.imported').importing.id).toMatch(/^hmac-sha256:/);
    expect(p.policy).toBeNull();
  });

  it('takes commit, branch and actor from the CI environment when no flag is given, and says so', () => {
    const o = out();
    const r = kfm(['receipt', 'plan', PLAN, '--env', 'stage', '--key', keys.key, '--out', o], {
      env: {
        GITHUB_SHA: 'fedcba9876543210fedcba9876543210fedcba98',
        GITHUB_REF_NAME: 'release',
        GITHUB_ACTOR: 'octocat',
        GITHUB_ACTIONS: 'true',
      },
      cwd: dir,
    });
    expect(r.status).toBe(0);
    const p = payloadOf(o).predicate;
    expect(p.repo).toEqual({
      commit: 'fedcba9876543210fedcba9876543210fedcba98',
      branch: 'release',
      source: 'GITHUB_SHA',
      branch_source: 'GITHUB_REF_NAME',
    });
    expect(p.actor).toEqual({ principal: 'octocat', method: 'ci', source: 'GITHUB_ACTOR' });
  });

  it('records commit source "unknown" outside git and CI', () => {
    const o = out();
    expect(kfm(['receipt', 'plan', PLAN, '--env', 'dev', '--key', keys.key, '--out', o], { cwd: dir }).status).toBe(0);
    expect(payloadOf(o).predicate.repo).toEqual({
      commit: null,
      branch: null,
      source: 'unknown',
      branch_source: 'unknown',
    });
  });

  it('is deterministic: the same inputs and key give a byte-identical envelope', () => {
    const a = planReceipt().out;
    const b = planReceipt().out;
    expect(readFileSync(a).equals(readFileSync(b))).toBe(true);
  });

  const decision = (over: Record<string, unknown> = {}) =>
    JSON.stringify({
      bundle: { digest: 'sha256:' + 'a'.repeat(64), rules: 3 },
      evaluated: 3,
      findings: [{ rule: 'r1', severity: 'high', address: 'x', message: 'm', remediation: 'fix' }],
      suppressed: [],
      verdict: 'fail',
      input: { kind: 'plan', digest: sha(readFileSync(PLAN)), env: 'dev' },
      ...over,
    });

  it('records the policy decisions given with --policy, bound to the plan and env they judged', () => {
    const pol = join(dir, 'policy.json');
    writeFileSync(pol, decision());
    const { out: o } = planReceipt(PLAN, ['--policy', pol]);
    expect(payloadOf(o).predicate.policy).toEqual({
      bundle_digest: 'sha256:' + 'a'.repeat(64),
      rules: 3,
      evaluated: 3,
      verdict: 'fail',
      findings: [{ rule: 'r1', severity: 'high', address: 'x', message: 'm', remediation: 'fix' }],
      suppressed: [],
      input_digest: sha(readFileSync(pol)),
      input: { kind: 'plan', digest: sha(readFileSync(PLAN)), env: 'dev' },
    });
  });

  it('records the installation a decision was judged for when the decision names it (policy check --json does)', () => {
    const pol = join(dir, 'policy-installation.json');
    const installation = { namePrefix: 'acme', repository: 'acme-org/acme-infra' };
    writeFileSync(pol, decision({ installation }));
    const { out: o } = planReceipt(PLAN, ['--policy', pol]);
    expect(payloadOf(o).predicate.policy.installation).toEqual(installation);
  });

  it.each([
    ['not an object', 'acme', /installation missing or invalid/],
    ['an empty repository', { namePrefix: 'acme', repository: '' }, /installation\.repository/],
    ['no name prefix', { repository: 'acme-org/acme-infra' }, /installation\.namePrefix/],
  ])('refuses a decision whose installation is %s, writing nothing', (what, installation, field) => {
    const pol = join(dir, `policy-installation-${what.replace(/ /g, '-')}.json`);
    writeFileSync(pol, decision({ installation }));
    const o = out();
    expectOneLineError(
      kfm(['receipt', 'plan', PLAN, '--env', 'dev', '--key', keys.key, '--out', o, '--policy', pol]),
      2,
      pol,
      field,
    );
    expect(existsSync(o)).toBe(false);
  });

  it.each([
    ['another plan', { input: { kind: 'plan', digest: 'sha256:' + 'b'.repeat(64), env: 'dev' } }, /input\.digest/],
    ['another env', { input: { kind: 'plan', digest: '', env: 'prod' } }, /input\.env/],
    ['a synth', { input: { kind: 'synth', digest: '', env: 'dev' } }, /input\.kind/],
    ['no input at all', { input: undefined }, /input missing/],
  ])('refuses a policy decision made for %s, writing nothing', (_what, over, field) => {
    const pol = join(dir, `policy-${_what.replace(/ /g, '-')}.json`);
    const fixed = JSON.parse(decision(over as Record<string, unknown>));
    if (fixed.input && fixed.input.digest === '') fixed.input.digest = sha(readFileSync(PLAN));
    writeFileSync(pol, JSON.stringify(fixed));
    const o = out();
    expectOneLineError(
      kfm(['receipt', 'plan', PLAN, '--env', 'dev', '--key', keys.key, '--out', o, '--policy', pol]),
      2,
      pol,
      field,
    );
    expect(existsSync(o)).toBe(false);
  });

  it('refuses a malformed --policy file and writes nothing', () => {
    const pol = join(dir, 'policy-bad.json');
    writeFileSync(
      pol,
      JSON.stringify({
        bundle: { digest: 'nope', rules: 3 },
        evaluated: 3,
        findings: [],
        suppressed: [],
        verdict: 'pass',
      }),
    );
    const o = out();
    expectOneLineError(
      kfm(['receipt', 'plan', PLAN, '--env', 'dev', '--key', keys.key, '--out', o, '--policy', pol]),
      2,
      pol,
      /bundle\.digest/,
    );
    expect(existsSync(o)).toBe(false);
  });
});

describe('bad input: exit 2, one line naming file and field, nothing written', () => {
  const bad = (name: string, content: string | Buffer): string => {
    const p = join(dir, name);
    writeFileSync(p, content);
    return p;
  };
  const plan = JSON.parse(readFileSync(PLAN, 'utf8'));
  const cases: [string, () => string, RegExp][] = [
    ['an empty file', () => bad('empty.json', ''), /empty/],
    ['garbage bytes', () => bad('garbage.json', randomBytes(512)), /not valid plan JSON|plan JSON is not valid UTF-8/],
    [
      'format_version 2.0',
      () => bad('fv2.json', JSON.stringify({ ...plan, format_version: '2.0' })),
      /format_version major 2 unsupported/,
    ],
    [
      'a missing format_version',
      () => bad('nofv.json', JSON.stringify({ ...plan, format_version: undefined })),
      /format_version missing/,
    ],
    ['an apply stream', () => join(LIFECYCLE, '2-change.apply.jsonl'), /UI stream .* not a plan JSON/],
    ['a plan stream', () => join(LIFECYCLE, '2-change.plan.jsonl'), /UI stream/],
    ['a state file', () => join(LIFECYCLE, '2-change.show-state.json'), /looks like a state/],
    [
      'an unknown action',
      () =>
        bad(
          'act.json',
          JSON.stringify({
            ...plan,
            resource_changes: [
              { ...plan.resource_changes[0], change: { ...plan.resource_changes[0].change, actions: ['explode'] } },
            ],
          }),
        ),
      /resource_changes\[0\]\.change\.actions of terraform_data\.\S+ is not a Terraform plan action list/,
    ],
    [
      'a missing change',
      () =>
        bad(
          'nochange.json',
          JSON.stringify({ ...plan, resource_changes: [{ ...plan.resource_changes[0], change: undefined }] }),
        ),
      /resource_changes\[0\]\.change/,
    ],
    [
      'a missing address',
      () =>
        bad(
          'noaddr.json',
          JSON.stringify({ ...plan, resource_changes: [{ ...plan.resource_changes[0], address: undefined }] }),
        ),
      /resource_changes\[0\]\.address/,
    ],
    ['a missing file', () => join(dir, 'does-not-exist.json'), /not found/],
  ];
  it.each(cases)('refuses %s', (_n, mk, msg) => {
    const f = mk();
    const o = out();
    expectOneLineError(kfm(['receipt', 'plan', f, '--env', 'dev', '--key', keys.key, '--out', o]), 2, f, msg);
    expect(existsSync(o)).toBe(false);
  });

  it('refuses an unknown env', () => {
    const o = out();
    expectOneLineError(
      kfm(['receipt', 'plan', PLAN, '--env', 'qa', '--key', keys.key, '--out', o]),
      2,
      /--env "qa" is not one of dev, stage, prod/,
    );
    expect(existsSync(o)).toBe(false);
  });

  it('never overwrites an existing --out', () => {
    const o = out();
    writeFileSync(o, 'keep me');
    expectOneLineError(
      kfm(['receipt', 'plan', PLAN, '--env', 'dev', '--key', keys.key, '--out', o]),
      2,
      o,
      /already exists/,
    );
    expect(readFileSync(o, 'utf8')).toBe('keep me');
  });

  it('refuses a plan JSON truncated at 40 points, each with one line', () => {
    const text = readFileSync(PLAN);
    for (let i = 1; i <= 40; i++) {
      const cut = Math.floor((text.length * i) / 41);
      const f = bad(`trunc-${i}.json`, text.subarray(0, cut));
      const o = out();
      expectOneLineError(kfm(['receipt', 'plan', f, '--env', 'dev', '--key', keys.key, '--out', o]), 2, f);
      expect(existsSync(o)).toBe(false);
    }
  });

  it('refuses a plan JSON fed to receipt apply, and an apply stream cut inside a line', () => {
    const pr = planReceipt().out;
    const o = out();
    expectOneLineError(
      kfm(['receipt', 'apply', PLAN, '--plan-receipt', pr, '--env', 'dev', '--key', keys.key, '--out', o]),
      2,
      PLAN,
      /plan or state JSON .* not an apply stream/,
    );
    const stream = readFileSync(join(LIFECYCLE, '2-change.apply.jsonl'), 'utf8');
    const lines = stream.split('\n');
    for (let k = 1; k < lines.length - 1; k += 3) {
      const cut = lines.slice(0, k).join('\n').length + 1 + Math.floor(lines[k]!.length / 2);
      const f = bad(`trunc-${k}.jsonl`, stream.slice(0, cut));
      const r = kfm(['receipt', 'apply', f, '--plan-receipt', pr, '--env', 'dev', '--key', keys.key, '--out', out()]);
      expectOneLineError(r, 2, f, new RegExp(`line ${k + 1}: not a JSON object`));
    }
  });
});

describe('kfm receipt apply', () => {
  const applyStream = join(LIFECYCLE, '2-change.apply.jsonl');
  it('chains to the plan receipt and names its subjects', () => {
    const tfplan = join(dir, 'chain.tfplan');
    writeFileSync(tfplan, randomBytes(32));
    const pr = planReceipt(PLAN, ['--plan-file', tfplan]);
    const o = out();
    const r = kfm([
      'receipt',
      'apply',
      applyStream,
      '--plan-receipt',
      pr.out,
      '--env',
      'dev',
      '--key',
      keys.key,
      '--out',
      o,
      '--json',
      ...PROV,
    ]);
    expect(r.status).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j.summary).toEqual({ status: 'applied', add: 4, change: 3, remove: 8, errored: [], not_applied: [] });
    const st = payloadOf(o);
    expect(st.predicateType).toBe('https://kfm.dev/receipts/apply/v1');
    expect(st.predicate.plan_receipt.digest).toBe(JSON.parse(pr.stdout).digest);
    const names = st.subject.map((s: any) => `${s.name}=${s.digest.sha256}`);
    expect(names).toContain(`chain.tfplan=${sha(readFileSync(tfplan)).slice(7)}`);
    expect(names).toContain(`2-change.show-plan.json=${sha(readFileSync(PLAN)).slice(7)}`);
    expect(names).toContain(`2-change.apply.jsonl=${sha(readFileSync(applyStream)).slice(7)}`);
    expect(st.predicate.timestamps.started).toMatch(/^2026-/);
  });

  it('records a failed apply with errored and never-applied addresses, and still exits 0', () => {
    const plan = join(GEN, 'partial-failure', '1-create.show-plan.json');
    const pr = planReceipt(plan);
    const r = kfm([
      'receipt',
      'apply',
      join(GEN, 'partial-failure', '1-create.apply.jsonl'),
      '--plan-receipt',
      pr.out,
      '--env',
      'dev',
      '--key',
      keys.key,
      '--out',
      out(),
      '--json',
      ...PROV,
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).summary).toEqual({
      status: 'failed',
      add: 3,
      change: 0,
      remove: 0,
      errored: ['terraform_data.fails'],
      not_applied: ['terraform_data.after'],
    });
  });

  it('refuses a plan receipt of another env', () => {
    const pr = planReceipt(PLAN, [], 'stage');
    const o = out();
    expectOneLineError(
      kfm(['receipt', 'apply', applyStream, '--plan-receipt', pr.out, '--env', 'prod', '--key', keys.key, '--out', o]),
      2,
      /env is "stage" but --env is "prod"/,
    );
    expect(existsSync(o)).toBe(false);
  });

  it('refuses a plan receipt signed by an untrusted key (exit 3)', () => {
    const pr = planReceipt();
    const other = keypair();
    const o = out();
    expectOneLineError(
      kfm(['receipt', 'apply', applyStream, '--plan-receipt', pr.out, '--env', 'dev', '--key', other.key, '--out', o]),
      3,
      pr.out,
      /SIGNATURE_INVALID/,
    );
    expect(existsSync(o)).toBe(false);
  });
});

describe('kfm receipt drift', () => {
  it('summarises a refresh-only plan: moves and failing checks', () => {
    const o = out();
    const r = kfm([
      'receipt',
      'drift',
      join(GEN, 'modules-odd-keys', '3-refresh-only.show-plan.json'),
      '--env',
      'prod',
      '--key',
      keys.key,
      '--out',
      o,
      '--last-good',
      'abcdef0',
      '--json',
      ...PROV,
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).summary).toEqual({
      drifted: 0,
      create: 0,
      update: 0,
      delete: 0,
      replace: 0,
      move: 1,
      other: 0,
      checks_failed: 1,
    });
    const p = payloadOf(o).predicate;
    expect(p.last_good).toBe('abcdef0');
    expect(p.drift[0]).toMatchObject({ address: 'terraform_data.renamed2', moved_from: 'terraform_data.renamed' });
    expect(p.terraform.pending_changes).toBe(0);
  });

  it('counts update and delete drift from the resource_drift of a normal plan', () => {
    const r = kfm([
      'receipt',
      'drift',
      join(TF, 'equivalence', 'drift_simple', 'plan.json'),
      '--env',
      'dev',
      '--key',
      keys.key,
      '--out',
      out(),
      '--json',
      ...PROV,
    ]);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout).summary.drifted).toBeGreaterThan(0);
  });
});

describe('kfm receipt verify and show', () => {
  const pr = planReceipt();
  it('verifies with the public key', () => {
    const r = kfm(['receipt', 'verify', pr.out, '--pub', keys.pub, '--json']);
    expect(r.status).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({
      verified: true,
      digest: JSON.parse(pr.stdout).digest,
      kind: 'kfm.infra.PlanReceipt',
      env: 'dev',
    });
  });

  it('fails with exit 3 on a wrong key and on a tampered payload', () => {
    const other = keypair();
    expectOneLineError(kfm(['receipt', 'verify', pr.out, '--pub', other.pub]), 3, pr.out, /signatures/);
    const env = JSON.parse(readFileSync(pr.out, 'utf8'));
    const payload = Buffer.from(env.payload, 'base64').toString().replace('"add":4', '"add":5');
    const t = join(dir, 'tampered.json');
    writeFileSync(t, JSON.stringify({ ...env, payload: Buffer.from(payload).toString('base64') }));
    expectOneLineError(kfm(['receipt', 'verify', t, '--pub', other.pub]), 3, t);
    expectOneLineError(kfm(['receipt', 'verify', t, '--pub', keys.pub]), 3, t);
    expectOneLineError(kfm(['receipt', 'show', t, '--pub', keys.pub, '--format', 'markdown']), 3, t);
  });

  it('refuses a private key given as --pub (exit 2), so a signing key is never handed to verifiers', () => {
    const r = kfm(['receipt', 'verify', pr.out, '--pub', keys.key]);
    expectOneLineError(r, 2, keys.key, /KEY_INVALID/, /private key/);
    expect(r.stderr).not.toContain('BEGIN');
  });

  it('renders markdown with the Plan line, replaced paths and the digest', () => {
    const r = kfm(['receipt', 'show', pr.out, '--pub', keys.pub, '--format', 'markdown']);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain('**Plan: 4 to add, 3 to change, 8 to destroy.**');
    expect(r.stdout).toMatch(
      /^\| \*\*REPLACE\*\* \| <code>terraform&#95;data\.cbd<\/code> \|.*<code>triggers&#95;replace<\/code>/m,
    );
    expect(r.stdout).toContain(JSON.parse(pr.stdout).digest);
  });

  it('keeps a 10,000-resource plan within the limit and says what is not shown', () => {
    const plan = JSON.parse(readFileSync(PLAN, 'utf8'));
    const proto = plan.resource_changes.find((c: any) => c.address === 'terraform_data.upd');
    plan.resource_changes = Array.from({ length: 10000 }, (_, i) => ({
      ...proto,
      address: `terraform_data.many[${i}]`,
      name: 'many',
      index: i,
    }));
    const big = join(dir, 'big.json');
    writeFileSync(big, JSON.stringify(plan));
    const bo = out();
    expect(kfm(['receipt', 'plan', big, '--env', 'dev', '--key', keys.key, '--out', bo, ...PROV]).status).toBe(0);
    for (const [fmt, limit] of [
      ['markdown', undefined],
      ['markdown', '3000'],
      ['json', undefined],
      ['json', '5000'],
    ] as const) {
      const r = kfm([
        'receipt',
        'show',
        bo,
        '--pub',
        keys.pub,
        '--format',
        fmt,
        ...(limit ? ['--max-chars', limit] : []),
      ]);
      expect(r.status).toBe(0);
      expect(r.stdout.length).toBeLessThanOrEqual(Number(limit ?? 65536));
      if (fmt === 'markdown') {
        expect(r.stdout).toMatch(/\*\*[\d,]+ of 10,000 change\(s\) not shown\*\*/);
        expect(r.stdout).toContain(bo.replace(/[^A-Za-z0-9 .,/=-]/g, (c) => `&#${c.codePointAt(0)};`));
        expect(r.stdout).toContain('Plan: 0 to add, 10,000 to change, 0 to destroy.');
      } else {
        const j = JSON.parse(r.stdout);
        expect(j.truncated.full_artifact).toBe(bo);
        expect(j.truncated.not_shown).toBeGreaterThan(0);
      }
    }
  });
});

afterAll(() => {
  // Nothing but receipts and inputs we made in the temp dir: no temp files left behind.
  expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
});
