/**
 * Identity trust in the gates, end to end against `@sigstore/mock` (one mock per file, in a child
 * process over HTTP): a job signs a plan receipt in its workflow identity (Fulcio certificate +
 * RFC 3161 timestamp), the keyless bundle is appended to the ledger, an approver approves with
 * their own Sigstore identity, and `kfm gate apply` allows it with `--trusted-root` and
 * `--identity-policy`. Refused as evidence: another repository's or environment's identity, an
 * identity trusted for another role, an expired certificate, a bundle with no log entry and no
 * timestamp, and an approval by the identity that signed the plan. The CLI runs in process
 * (`main`) but for `receipt certify`; the mock answers from its own process.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { main } from '../../cli/main';
import { sha256Tagged } from '../../core/digest';
import { kfm as spawnKfm, PROV, REPO, TF, tmp } from '../receipts/helpers';
import { GITHUB_ISSUER, MockSigstore, spawnMockSigstore } from '../attest/sigstore-mock';

const OAUTH = 'https://github.com/login/oauth';
const CI = 'repo:acme/infra:environment:audit';
// A plan the pack passes for the audit stack (the lifecycle fixtures hold a sensitive variable with
// a literal default, which the pack now fails as a credential).
const PLAN = join(TF, 'generated-tf1.11.4', 'slow-apply-and-data-read', '1-create.show-plan.json');
const COMMIT = PROV[1]!;
const dir = tmp('kfm-keyless-gate-');
/** A file in this test's directory. */
const f = (name: string): string => join(dir, name);
/** Numbers the files and stores made here. */
let n = 0;
let mock: MockSigstore;

const POLICY = {
  identities: [
    {
      role: 'ci',
      issuer: GITHUB_ISSUER,
      subject: 'repo:acme/infra:environment:audit',
      kinds: ['plan'],
      envs: ['audit'],
    },
    { role: 'ci', issuer: GITHUB_ISSUER, subject: 'repo:acme/infra:environment:dev', envs: ['dev'] },
    { role: 'approver', issuer: OAUTH, subject: 'alice@example\\.com', kinds: ['approval'], principal: 'alice' },
    // A human who may plan the audit stack by hand (break-glass): never their own approver.
    { role: 'operator', issuer: OAUTH, subject: 'alice@example\\.com', kinds: ['plan'], envs: ['audit'] },
  ],
};

/** The CLI in this process, with `env` set in process.env while it runs (the OIDC token sources read it). */
async function kfm(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const saved = { ...process.env };
  for (const k of ['ACTIONS_ID_TOKEN_REQUEST_URL', 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', 'SIGSTORE_ID_TOKEN'])
    delete process.env[k];
  Object.assign(process.env, env);
  const out: string[] = [];
  const err: string[] = [];
  try {
    const code = await main(args, {
      env: {},
      cwd: REPO,
      stdout: (t) => void out.push(t),
      stderr: (t) => void err.push(t),
    });
    return { code, out: out.join(''), err: err.join('') };
  } finally {
    process.env = saved;
  }
}
async function ok(args: string[], env?: Record<string, string>): Promise<string> {
  const r = await kfm(args, env);
  if (r.code !== 0) throw new Error(`kfm ${args.slice(0, 2).join(' ')}: ${r.err}`);
  return r.out;
}

/** A laptop's OIDC login (SIGSTORE_ID_TOKEN), as `sub` of the OAuth issuer. */
const login = (email: string): Record<string, string> => ({
  SIGSTORE_ID_TOKEN: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ iss: OAUTH, sub: email, aud: 'sigstore' })).toString('base64url')}.`,
});
const workflow = (subject: string): Record<string, string> => mock.env(subject);

/** A key made for one job (P-256, what Fulcio certifies). */
async function jobKey(): Promise<string> {
  return JSON.parse(await ok(['keygen', '--alg', 'p256', '--out-dir', f(`k${++n}`)])).key as string;
}

/**
 * Sign `envelope` with `key` again under the identity `env` names; returns the keyless bundle.
 * A process of its own: `@sigstore/sign` loads ES modules that jest's CommonJS runtime cannot.
 */
function certify(envelope: string, key: string, env: Record<string, string>): string {
  const out = f(`b${++n}.sigstore.json`);
  const sigstore = ['--fulcio-url', mock.url, '--tsa-url', mock.url];
  const args = ['receipt', 'certify', envelope, '--key', key, '--out', out, ...sigstore];
  const r = spawnKfm(args, { env });
  if (r.status !== 0) throw new Error(`kfm receipt certify: ${r.stderr}`);
  return out;
}

/** The audit plan receipt (author carol, policy pass), signed by a job key and certified as `env`. */
async function planBundle(env: Record<string, string>): Promise<string> {
  const key = await jobKey();
  const out = f(`plan${++n}.json`);
  await ok([
    'receipt',
    'plan',
    PLAN,
    '--env',
    'audit',
    '--key',
    key,
    '--out',
    out,
    '--plan-file',
    f('audit.tfplan'),
    '--policy',
    f('policy-verdict.json'),
    '--author',
    'carol',
    ...PROV,
  ]);
  return certify(out, key, env);
}

/** An approval of `plan` as `principal`, signed by the approver's key and certified as `env`. */
async function approvalBundle(plan: string, principal: string, env: Record<string, string>): Promise<string> {
  const key = await jobKey();
  const out = f(`approval${++n}.json`);
  await ok([
    'approve',
    '--env',
    'audit',
    '--plan-receipt',
    plan,
    '--principal',
    principal,
    '--key',
    key,
    '--change-record',
    'CR-27',
    '--out',
    out,
    ...TRUST,
  ]);
  return certify(out, key, env);
}

const TRUST = ['--trusted-root', join(dir, 'root.json'), '--identity-policy', join(dir, 'identities.json')];

/** A fresh ledger holding `records`, in order. */
async function ledger(...records: string[]): Promise<string> {
  const store = f(`ledger${++n}`);
  await ok(['audit', 'init', '--store', store]);
  for (const r of records) await ok(['audit', 'append', r, '--store', store]);
  return store;
}

/** `kfm gate apply --env audit` of the audit plan file, judged with identity trust; the decision JSON. */
async function gate(store: string, trust = TRUST) {
  const r = await kfm([
    'gate',
    'apply',
    '--env',
    'audit',
    '--plan-file',
    f('audit.tfplan'),
    '--store',
    store,
    '--pub',
    f('log/kfm-signing.pub'),
    '--commit',
    COMMIT,
    ...trust,
    '--json',
  ]);
  const j = JSON.parse(r.out) as { allowed: boolean; items: { requirement: string; ok: boolean; detail: string }[] };
  return { code: r.code, allowed: j.allowed, item: (req: string) => j.items.find((i) => i.requirement === req)! };
}

beforeAll(async () => {
  mock = await spawnMockSigstore();
  writeFileSync(f('root.json'), JSON.stringify(mock.trustedRoot));
  writeFileSync(f('identities.json'), JSON.stringify(POLICY));
  writeFileSync(f('audit.tfplan'), 'the audit plan file\n');
  // The log's own key (checkpoints; it signs no record here).
  mkdirSync(f('log'));
  await ok(['keygen', '--out-dir', f('log')]);
  writeFileSync(
    f('policy-verdict.json'),
    await kfm(['policy', 'check', '--plan', PLAN, '--env', 'audit', '--json']).then((r) => r.out),
  );
}, 120_000);
afterAll(() => mock.close());

describe('gates trust identities per role (keyless records)', () => {
  let plan: string;
  let store: string;

  it('allows the plan receipt signed in the workflow identity with an approval in the approver’s own identity', async () => {
    plan = await planBundle(workflow(CI));
    const approval = await approvalBundle(plan, 'alice', login('alice@example.com'));
    store = await ledger(plan, approval);
    const g = await gate(store);
    expect(g.item('audit plan receipt').ok).toBe(true);
    expect(g.item('audit approval')).toMatchObject({ ok: true });
    expect({ code: g.code, allowed: g.allowed }).toEqual({ code: 0, allowed: true });
    // Anchored to a checkpoint of the log's key, the gate reads the commit's entries by proof:
    // the index finds keyless records by the commit inside their bundle.
    const cp = f('trusted.cp');
    await ok([
      'audit',
      'checkpoint',
      '--store',
      store,
      '--key',
      f('log/kfm-signing.key'),
      '--pub',
      f('log/kfm-signing.pub'),
      '--out',
      cp,
    ]);
    const anchored = await gate(store, [...TRUST, '--checkpoint', cp]);
    expect(anchored.item('audit ledger').detail).toMatch(/read by proof .*2 entries of the commit/);
    expect(anchored.allowed).toBe(true);
    // The ledger's own check accepts both keyless entries under identity trust (no junk even --strict) ...
    const strict = ['audit', 'verify', '--store', store, '--pub', f('log/kfm-signing.pub'), '--strict'];
    expect((await kfm([...strict, ...TRUST])).code).toBe(0);
    // ... and without it they are junk, never evidence: the gate finds no plan receipt.
    const bare = await kfm(strict);
    expect(bare.code).toBe(3);
    expect(bare.err).toMatch(/keyless Sigstore bundle; pass --trusted-root and --identity-policy/);
    expect((await gate(store, [])).item('audit plan receipt').ok).toBe(false);
    // The report judges with the same trust: both records shown, the log's key only for checkpoints.
    const page = await ok([
      'report',
      '--store',
      store,
      '--log-pub',
      f('log/kfm-signing.pub'),
      ...TRUST,
      '--out',
      f('r.html'),
    ]);
    expect(page).toMatch(/2 record\(s\), ledger verifies/);
  }, 120_000);

  it('the deploy scripts certify each record before they append it (KFM_KEYLESS=1) and trust identities', async () => {
    const key = await jobKey();
    const receipt = f('scripted.plan.json');
    await ok(['receipt', 'plan', PLAN, '--env', 'audit', '--key', key, '--out', receipt, ...PROV]);
    const store = f('scripted-ledger');
    await ok(['audit', 'init', '--store', store]);
    const script = '. scripts/lib/kfm-env.sh; kfm_append_record "$1"; kfm_gate_trust_args';
    const r = spawnSync('bash', ['-c', script, 'kfm', receipt], {
      cwd: REPO,
      encoding: 'utf8',
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        ...workflow(CI),
        KFM_KEYLESS: '1',
        KFM_KEY: key,
        KFM_PUB: f('log/kfm-signing.pub'),
        KFM_AUDIT_STORE: store,
        KFM_TRUSTED_ROOT: f('root.json'),
        KFM_IDENTITY_POLICY: f('identities.json'),
        KFM_SIGSTORE_ARGS: `--fulcio-url ${mock.url} --tsa-url ${mock.url}`,
      },
    });
    expect(r.stderr).not.toMatch(/error|ERROR|INVALID/);
    const [append, ...trust] = r.stdout.trim().split('\n');
    expect(trust).toEqual(['--log-pub', f('log/kfm-signing.pub'), ...TRUST]);
    expect(JSON.parse(append!).digest).toBe(sha256Tagged(readFileSync(f('scripted.plan.sigstore.json'))));
  }, 120_000);

  it('refuses the wrong identity: another repository, another environment, an identity of another role', async () => {
    const other = await planBundle(workflow('repo:mallory/infra:environment:audit'));
    const dev = await planBundle(workflow('repo:acme/infra:environment:dev'));
    // Alice is trusted to approve as alice, never to sign a receipt: an approval-only identity.
    const approverOnly = { ...POLICY, identities: POLICY.identities.slice(0, 3) };
    writeFileSync(f('approver-only.json'), JSON.stringify(approverOnly));
    const byApprover = await planBundle(login('alice@example.com'));
    const g = await gate(await ledger(other, dev, byApprover), [
      '--trusted-root',
      f('root.json'),
      '--identity-policy',
      f('approver-only.json'),
    ]);
    const d = g.item('audit plan receipt');
    expect(g.allowed).toBe(false);
    expect(d.detail).toMatch(/no trusted audit plan receipt/);
    expect(d.detail).toMatch(/repo:mallory\/infra:environment:audit .*which no trusted identity matches/);
    expect(d.detail).toMatch(/environment:dev .*\(role ci\) may not sign a plan record for env audit/);
    expect(d.detail).toMatch(/alice@example\.com .*\(role approver\) may not sign a plan record/);
  }, 120_000);

  it('refuses an approval in the CI identity: a record signed by an identity trusted for another role is never evidence', async () => {
    const g = await gate(await ledger(plan, await approvalBundle(plan, 'alice', workflow(CI))));
    expect(g.allowed).toBe(false);
    expect(g.item('audit approval').detail).toMatch(
      /\(role ci\) may not sign a approval record for env audit as principal alice/,
    );
  }, 120_000);

  it('refuses a certificate that had expired when the signature was timestamped', async () => {
    await mock.setCaOffset(-3600_000);
    let expired: string;
    try {
      expired = await planBundle(workflow(CI));
    } finally {
      await mock.setCaOffset(0);
    }
    const d = (await gate(await ledger(expired))).item('audit plan receipt').detail;
    expect(d).toMatch(/Sigstore verification failed \(CERTIFICATE_ERROR\)/);
  }, 120_000);

  it('refuses a keyless bundle with no log entry and no timestamp', async () => {
    const b = JSON.parse(readFileSync(plan, 'utf8'));
    b.verificationMaterial.tlogEntries = [];
    b.verificationMaterial.timestampVerificationData = { rfc3161Timestamps: [] };
    writeFileSync(f('bare.sigstore.json'), JSON.stringify(b, null, 2) + '\n');
    const d = (await gate(await ledger(f('bare.sigstore.json')))).item('audit plan receipt').detail;
    expect(d).toMatch(/TIMESTAMP_ERROR/);
  }, 120_000);

  it('refuses an approval by the identity that signed the plan receipt, whatever principal it names', async () => {
    // Alice plans by hand (operator identity; the change's author is recorded as carol) and approves it herself.
    const own = await planBundle(login('alice@example.com'));
    const approval = await approvalBundle(own, 'alice', login('alice@example.com'));
    const g = await gate(await ledger(own, approval));
    expect(g.item('audit plan receipt').ok).toBe(true);
    expect(g.allowed).toBe(false);
    expect(g.item('audit approval').detail).toMatch(
      /self-approval refused: .*signed by the same identity as the plan receipt \(alice@example\.com \(issuer https:\/\/github\.com\/login\/oauth\)\)/,
    );
  }, 120_000);
});
