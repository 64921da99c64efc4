/**
 * approve.yml delivers a keyless approval, end to end against `@sigstore/mock` and two real
 * `kfm witness serve` processes: the reviewer signs with their own Sigstore identity
 * (`kfm approve --keyless`, SIGSTORE_ID_TOKEN = their OIDC login), and the workflow's own run
 * steps (read from approve.yml and run by bash in a copy of the repository layout, secrets and
 * `vars` given as GitHub would) check it by identity (scripts/approval-intake.sh), append it and
 * cosign the new tree (scripts/cosign.sh); the prod gate, reading the witnessed ledger with
 * identity trust, counts it. Refused before anything is appended: an approval in the CI identity,
 * one in another approver's identity, one naming another principal, a non-login.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { sha256Tagged } from '../../core/digest';
import { kfm, PROV, REPO, TF, tmp } from '../receipts/helpers';
import { GITHUB_ISSUER, MockSigstore, spawnMockSigstore } from '../attest/sigstore-mock';

jest.setTimeout(240_000);

const OAUTH = 'https://github.com/login/oauth';
const CI = 'repo:acme/infra:environment:prod-plan';
const PLAN = join(TF, 'generated-tf1.11.4', 'slow-apply-and-data-read', '1-create.show-plan.json');
const COMMIT = PROV[1]!;
const dir = tmp('kfm-keyless-approve-');
/** The job's working directory: the repository's layout (dist, scripts, node_modules linked), its own keys/. */
const work = join(dir, 'checkout');
const f = (name: string): string => join(dir, name);
let n = 0;
let mock: MockSigstore;
const witnesses: ChildProcess[] = [];
const witnessUrls: Record<string, string> = {};
const store = f('ledger');

const POLICY = {
  identities: [
    { role: 'ci', issuer: GITHUB_ISSUER, subject: 'repo:acme/infra:environment:prod(-plan)?', envs: ['prod'] },
    { role: 'approver', issuer: OAUTH, subject: 'alice@example\\.com', kinds: ['approval'], principal: 'alice' },
    { role: 'approver', issuer: OAUTH, subject: 'bob@example\\.com', kinds: ['approval'], principal: 'bob' },
  ],
};

function ok(args: string[], env: Record<string, string> = {}): string {
  const r = kfm(args, { env });
  if (r.status !== 0) throw new Error(`kfm ${args.slice(0, 2).join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** A person's OIDC login as `npx sigstore token` would hand it over (SIGSTORE_ID_TOKEN). */
const login = (email: string): Record<string, string> => ({
  SIGSTORE_ID_TOKEN: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: OAUTH, sub: email, aud: 'sigstore' })).toString('base64url')}.`,
});
// The mock Rekor's v1 `dsse` entries do not verify in @sigstore/verify (signature count); `intoto` ones do.
const SIGSTORE = (): string[] => ['--fulcio-url', mock.url, '--rekor-url', mock.url, '--rekor-entry-type', 'intoto'];
const TRUST = (): string[] => [
  '--trusted-root',
  join(work, 'keys/sigstore/trusted_root.json'),
  '--identity-policy',
  join(work, 'keys/identities.json'),
];

/** The prod plan receipt as deploy.yml's prod-plan job makes it: a job key, certified in the workflow identity. */
function prodPlan(): string {
  const key = JSON.parse(ok(['keygen', '--alg', 'p256', '--out-dir', f(`job${++n}`)])).key as string;
  const receipt = f('prod.plan.receipt.json');
  ok([
    'receipt',
    'plan',
    PLAN,
    '--env',
    'prod',
    '--key',
    key,
    '--out',
    receipt,
    '--plan-file',
    f('prod.tfplan'),
    '--policy',
    f('verdict.json'),
    '--author',
    'carol',
    ...PROV,
  ]);
  const bundle = f('prod.plan.receipt.sigstore.json');
  ok(['receipt', 'certify', receipt, '--key', key, '--out', bundle, ...SIGSTORE()], mock.env(CI));
  return bundle;
}

/** `kfm approve --keyless` of the prod plan as `principal`, in the OIDC identity `env`. */
function keylessApproval(plan: string, principal: string, env: Record<string, string>): string {
  const out = f(`approval${++n}.sigstore.json`);
  ok(
    [
      'approve',
      '--env',
      'prod',
      '--plan-receipt',
      plan,
      '--principal',
      principal,
      '--keyless',
      ...SIGSTORE(),
      '--change-record',
      'CR-27',
      ...TRUST(),
      '--out',
      out,
    ],
    env,
  );
  return out;
}

/** Replace the `${{ ... }}` expressions approve.yml uses with what GitHub would put there. */
function expand(
  v: unknown,
  ctx: { inputs: Record<string, string>; secrets: Record<string, string>; vars: Record<string, string> },
): string {
  return String(v).replace(
    /\$\{\{\s*(inputs|secrets|vars)\.(\w+)(?:\s*\|\|\s*'([^']*)')?\s*\}\}/g,
    (_, scope: 'inputs' | 'secrets' | 'vars', name: string, dflt?: string) => ctx[scope][name] ?? dflt ?? '',
  );
}

interface StepRun {
  readonly name: string;
  readonly status: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run approve.yml's job as GitHub would, its `run` steps only (actions are GitHub's: checkout,
 * setup-node, the AWS role; `npm ci` is this repository's install, already done), stopping at the
 * first failing step. GITHUB_ENV lines carry over, as on a runner.
 */
function runApproveWorkflow(inputs: Record<string, string>): StepRun[] {
  const wf = parseYaml(readFileSync(join(REPO, '.github/workflows/approve.yml'), 'utf8'));
  const job = wf.jobs['append-approval'];
  const runner = f(`runner${++n}`);
  mkdirSync(runner);
  const githubEnv = join(runner, 'github_env');
  writeFileSync(githubEnv, '');
  const ctx = {
    inputs,
    secrets: { KFM_LOG_KEY: readFileSync(f('log/kfm-signing.key'), 'utf8') },
    vars: {
      KFM_AUDIT_STORE: store,
      KFM_WITNESSES: Object.entries(witnessUrls)
        .map(([w, u]) => `${w}=${u}`)
        .join(' '),
    },
  };
  const base: Record<string, string> = {
    PATH: process.env.PATH!,
    HOME: process.env.HOME!,
    RUNNER_TEMP: runner,
    GITHUB_ENV: githubEnv,
  };
  for (const [k, v] of Object.entries(wf.env as Record<string, string>)) base[k] = expand(v, ctx);
  const done: StepRun[] = [];
  for (const step of job.steps as { name?: string; run?: string; env?: Record<string, string> }[]) {
    if (step.run === undefined || step.run.trim() === 'npm ci') continue;
    const fromGithubEnv = Object.fromEntries(
      readFileSync(githubEnv, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, expand(v, ctx)]));
    const r = spawnSync('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', step.run], {
      cwd: work,
      env: { ...base, ...fromGithubEnv, ...stepEnv },
      encoding: 'utf8',
    });
    done.push({ name: step.name ?? '', status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr });
    if (r.status !== 0) break;
  }
  return done;
}

const ledgerSize = (): number => readdirSync(join(store, 'entries')).length;

/** A witness of the log's key, as a process; resolves with its URL. */
function startWitness(name: string): Promise<string> {
  const key = f(`witness-${name}`);
  ok(['keygen', '--out-dir', key]);
  copyFileSync(join(key, 'kfm-signing.pub'), join(work, 'keys/witnesses', `flow_${name}.pub`));
  const child = spawn(process.execPath, [
    join(REPO, 'dist/receipts/cli.js'),
    'witness',
    'serve',
    '--key',
    join(key, 'kfm-signing.key'),
    '--name',
    `flow/${name}`,
    '--log',
    `kfm-infra/audit=${f('log/kfm-signing.pub')}`,
    '--state',
    join(key, 'state'),
    '--listen',
    '127.0.0.1:0',
  ]);
  witnesses.push(child);
  return new Promise((res) => child.stdout!.once('data', (d) => res(String(d).trim())));
}

/** `kfm gate promote --to prod` as deploy.yml's prod job reads the ledger: identities, witnesses asked, the pin. */
function prodGate(pin: string) {
  const w = Object.entries(witnessUrls).flatMap(([name, url]) => [
    '--witness',
    `${name}=${join(work, 'keys/witnesses', `${name.replace('/', '_')}.pub`)}`,
    '--witness-url',
    `${name}=${url}`,
  ]);
  const r = kfm([
    'gate',
    'promote',
    '--to',
    'prod',
    '--store',
    store,
    '--log-pub',
    join(work, 'keys/kfm-ci.pub'),
    ...TRUST(),
    ...w,
    '--quorum',
    '2',
    '--checkpoint',
    pin,
    '--commit',
    COMMIT,
    '--json',
  ]);
  const j = JSON.parse(r.stdout) as {
    allowed: boolean;
    items: { requirement: string; ok: boolean; detail: string; digest?: string }[];
  };
  return { code: r.status, j, item: (req: string) => j.items.find((i) => i.requirement === req)! };
}

let plan: string;
let pin: string;

beforeAll(async () => {
  mock = await spawnMockSigstore();
  mkdirSync(join(work, 'keys/sigstore'), { recursive: true });
  mkdirSync(join(work, 'keys/witnesses'));
  mkdirSync(join(work, 'keys/approvers'));
  for (const l of ['dist', 'scripts', 'node_modules', 'package.json']) symlinkSync(join(REPO, l), join(work, l));
  writeFileSync(join(work, 'keys/sigstore/trusted_root.json'), JSON.stringify(mock.trustedRoot));
  writeFileSync(join(work, 'keys/identities.json'), JSON.stringify(POLICY));
  // The log's key: checkpoints only (keys/kfm-ci.pub is its public half, as in deploy.yml's --log-pub).
  ok(['keygen', '--out-dir', f('log')]);
  copyFileSync(f('log/kfm-signing.pub'), join(work, 'keys/kfm-ci.pub'));
  writeFileSync(f('prod.tfplan'), 'the prod plan file\n');
  writeFileSync(f('verdict.json'), kfm(['policy', 'check', '--plan', PLAN, '--env', 'prod', '--json']).stdout);
  const [u1, u2] = await Promise.all([startWitness('w1'), startWitness('w2')]);
  Object.assign(witnessUrls, { 'flow/w1': u1, 'flow/w2': u2 });
  // deploy.yml's prod-plan job: the keyless plan receipt appended and cosigned; that checkpoint is the pin.
  plan = prodPlan();
  ok(['audit', 'init', '--store', store]);
  ok(['audit', 'append', plan, '--store', store]);
  const cosign = spawnSync('bash', [join(work, 'scripts/cosign.sh')], {
    cwd: work,
    encoding: 'utf8',
    env: {
      PATH: process.env.PATH!,
      HOME: process.env.HOME!,
      KFM_AUDIT_STORE: store,
      KFM_PUB: join(work, 'keys/kfm-ci.pub'),
      KFM_LOG_KEY: f('log/kfm-signing.key'),
      KFM_KEY: f('log/kfm-signing.key'),
      KFM_RECEIPTS_DIR: f('prod-plan-job'),
      KFM_WITNESSES: `flow/w1=${u1} flow/w2=${u2}`,
      KFM_WITNESS_KEYS_DIR: join(work, 'keys/witnesses'),
      KFM_REQUIRE_WITNESS: '1',
    },
  });
  if (cosign.status !== 0) throw new Error(`cosign.sh: ${cosign.stderr}`);
  pin = f('prod-plan-job/checkpoint.1.txt');
}, 240_000);

afterAll(async () => {
  for (const w of witnesses) w.kill('SIGTERM');
  await mock?.close();
});

describe('approve.yml delivers a keyless approval to the prod gate', () => {
  it('refuses, appending nothing: the CI identity, another approver’s identity, another principal, a non-login', () => {
    const before = ledgerSize();
    const refused = (login: string, file: string) => {
      const steps = runApproveWorkflow({ login, approval: readFileSync(file).toString('base64') });
      const last = steps[steps.length - 1]!;
      expect({ step: last.name, status: last.status }).toEqual({
        step: expect.stringMatching(/^The approval, verified/),
        status: 1,
      });
      return last.stderr;
    };
    // The CI identity may sign the plan receipt, never an approval (it has no principal).
    expect(refused('alice', keylessApproval(plan, 'alice', mock.env(CI)))).toMatch(
      /\(role ci\) may not sign a approval record for env prod as principal alice/,
    );
    // Bob's identity approving as bob, dispatched as alice.
    expect(refused('alice', keylessApproval(plan, 'bob', login('bob@example.com')))).toMatch(
      /the approval is by principal "bob", not by alice/,
    );
    // Alice's identity naming bob as the principal: her identity approves only as alice.
    expect(refused('bob', keylessApproval(plan, 'bob', login('alice@example.com')))).toMatch(
      /\(role approver\) may not sign a approval record for env prod as principal bob/,
    );
    expect(refused('alice;rm', plan)).toMatch(/login 'alice;rm' is not a GitHub login/);
    expect(refused('alice', plan)).toMatch(/not an approval \("https:\/\/kfm\.dev\/receipts\/plan\/v1"\)/);
    expect(ledgerSize()).toBe(before);
    expect(prodGate(pin).item('prod approval').ok).toBe(false);
  });

  it('verifies it by the approver’s identity, appends it as is, cosigns it, and the prod gate counts it', () => {
    const approval = keylessApproval(plan, 'alice', login('alice@example.com'));
    const bundle = JSON.parse(readFileSync(approval, 'utf8'));
    expect(bundle.verificationMaterial.certificate.rawBytes).toBeDefined();
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    const b64 = readFileSync(approval).toString('base64');
    // GitHub refuses workflow_dispatch inputs over 65,535 characters in all.
    console.info(`keyless approval bundle: ${readFileSync(approval).length} bytes, ${b64.length} base64 characters`);
    expect(b64.length + 'alice'.length).toBeLessThan(65_535);
    const steps = runApproveWorkflow({ login: 'alice', approval: b64 });
    expect(steps.map((s) => [s.name, s.status])).toEqual([
      ["The approval, verified against the approver's own key or Sigstore identity", 0],
      ["The log's checkpoint key (signs checkpoints only, never a record)", 0],
      ['Append the approval and cosign the new tree', 0],
      ['Remove the job key and the log key', 0],
    ]);
    expect(steps[0]!.stderr).toMatch(
      /approval by alice \(identity alice@example\.com \(issuer https:\/\/github\.com\/login\/oauth\)\) of env prod/,
    );
    expect(steps[2]!.stderr).toMatch(/cosign\.sh: tree size 2 cosigned by flow\/w1, flow\/w2/);
    const g = prodGate(pin);
    // The entry counted is the bundle's bytes, appended as the reviewer signed them.
    expect(g.item('prod approval')).toMatchObject({ ok: true, digest: sha256Tagged(readFileSync(approval)) });
    expect(g.item('prod approval').detail).toMatch(/^approved by "alice" at entry \d+$/);
    expect(g.item('change record').ok).toBe(true);
    expect(g.item('prod plan receipt').ok).toBe(true);
    // The gate read the witnessed tree that holds the approval, by proof; it is denied only for
    // want of the earlier tiers' evidence (this ledger holds no dev or stage apply).
    expect(g.item('audit ledger').detail).toMatch(/read by proof .*\(tree size 2\).*cosigned by flow\/w1, flow\/w2/);
    expect(g.j.items.filter((i) => !i.ok).map((i) => i.requirement.split(' ')[0])).toEqual([
      'dev',
      'dev',
      'dev',
      'stage',
      'stage',
      'stage',
    ]);
  });

  it('still takes a keyed approval, checked against keys/approvers/<login>.pub only', () => {
    mkdirSync(f('dave'));
    ok(['keygen', '--out-dir', f('dave')]);
    copyFileSync(f('dave/kfm-signing.pub'), join(work, 'keys/approvers/dave.pub'));
    /** `kfm approve` of the prod plan as `principal` with `who`'s key, written to `out`. */
    const keyedApproval = (principal: string, who: string, out: string, ...more: string[]): string => {
      ok([
        'approve',
        '--env',
        'prod',
        '--plan-receipt',
        plan,
        '--principal',
        principal,
        '--key',
        f(`${who}/kfm-signing.key`),
        ...more,
        ...TRUST(),
        '--out',
        out,
      ]);
      return out;
    };
    const keyed = keyedApproval('dave', 'dave', f('dave.approval.json'), '--change-record', 'CR-27');
    const intake = (login: string, file = keyed) =>
      spawnSync('bash', [join(work, 'scripts/approval-intake.sh'), login, f(`intake${++n}.json`)], {
        cwd: work,
        encoding: 'utf8',
        env: {
          PATH: process.env.PATH!,
          HOME: process.env.HOME!,
          APPROVAL_B64: readFileSync(file).toString('base64'),
          KFM_TRUSTED_ROOT: join(work, 'keys/sigstore/trusted_root.json'),
          KFM_IDENTITY_POLICY: join(work, 'keys/identities.json'),
        },
      });
    const r = intake('dave');
    expect(r.stderr).toMatch(/approval by dave \(key [0-9a-f]{64}\) of env prod/);
    expect(r.stdout.trim()).toBe(sha256Tagged(readFileSync(keyed)));
    // Dave's key is not alice's: dispatched as alice, it does not verify under keys/approvers/alice.pub.
    ok(['keygen', '--out-dir', f('alice')]);
    copyFileSync(f('alice/kfm-signing.pub'), join(work, 'keys/approvers/alice.pub'));
    expect(intake('alice')).toMatchObject({
      status: 1,
      stderr: expect.stringMatching(/does not verify under .*alice\.pub/),
    });
    // Alice's own key signing a principal that carries a workflow command: refused in one line,
    // the principal JSON-quoted, so the log runs no command.
    const principal = 'alice\n::warning::approved by the whole team';
    const r2 = intake('alice', keyedApproval(principal, 'alice', f('alice.sneaky.json')));
    expect(r2.status).toBe(1);
    expect(r2.stderr.trim().split('\n')).toEqual([
      `::error::approval-intake.sh: the approval is by principal ${JSON.stringify(principal)}, not by alice`,
    ]);
  });

  it('kfm approve --keyless refuses --bundle, the service flags go only with --keyless, and nothing is written', () => {
    const base = ['approve', '--env', 'prod', '--plan-receipt', plan, '--principal', 'alice', ...TRUST()];
    const out = f('refused.approval.json');
    const bundle = kfm([...base, '--keyless', '--bundle', f('b.json'), '--out', out], {
      env: login('alice@example.com'),
    });
    expect({ status: bundle.status, err: bundle.stderr.trim() }).toEqual({
      status: 2,
      err: 'kfm: USAGE: kfm approve: --keyless writes a Sigstore bundle to --out; drop --bundle',
    });
    const flag = kfm([...base, '--key', f('alice/kfm-signing.key'), '--tsa-url', mock.url, '--out', out]);
    expect(flag.stderr).toMatch(/--tsa-url goes with --keyless/);
    // No token: @sigstore/sign finds no identity; one line, no file.
    const none = kfm([...base, '--keyless', ...SIGSTORE(), '--out', out]);
    expect(none.status).not.toBe(0);
    expect(none.stderr.trim().split('\n')).toHaveLength(1);
    expect(none.stderr).toMatch(/keyless signing failed/);
    expect(() => readFileSync(out)).toThrow();
  });
});
