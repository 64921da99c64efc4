/**
 * Gates over a witnessed ledger, with the real Terraform, the real scripts and two real
 * `kfm witness serve` processes on loopback: the scripts cosign after every append, and
 * `kfm gate promote|apply --witness ... --quorum N` judge only what a quorum of witnesses
 * cosigned.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI, createFlow, Flow, ok } from './flow';

jest.setTimeout(300_000);

const COMMIT = 'feed'.padEnd(40, '0');

let flow: Flow;
let dir: string;
let env: NodeJS.ProcessEnv;
const witnesses: ChildProcess[] = [];
const kfm = (...args: string[]) => flow.kfm(...args);
const script = (name: string, ...args: string[]) => flow.script(name, ...args);

/** A witness process for the CI key's log; resolves with its URL. */
function startWitness(name: string): Promise<string> {
  const key = join(dir, 'witness', name);
  ok(kfm('keygen', '--out-dir', key));
  writeFileSync(join(dir, 'witness-keys', `flow_${name}.pub`), readFileSync(join(key, 'kfm-signing.pub')));
  const child = spawn(process.execPath, [
    CLI,
    'witness',
    'serve',
    '--key',
    join(key, 'kfm-signing.key'),
    '--name',
    `flow/${name}`,
    '--log',
    `kfm-infra/audit=${env.KFM_PUB}`,
    '--state',
    join(key, 'state'),
    '--listen',
    '127.0.0.1:0',
  ]);
  witnesses.push(child);
  return new Promise((res) => child.stdout!.once('data', (d) => res(String(d).trim())));
}

/** Where each running witness listens. */
const urls = new Map<string, string>();

/** --witness flags for the named witnesses (their keys in witness-keys/), and where to ask the running ones. */
const trust = (...names: string[]) =>
  names.flatMap((n) => [
    '--witness',
    `flow/${n}=${join(dir, 'witness-keys', `flow_${n}.pub`)}`,
    ...(urls.has(n) ? ['--witness-url', `flow/${n}=${urls.get(n)}`] : []),
  ]);

/** plan.sh + policy + signed plan receipt + append; `cosign` also runs scripts/cosign.sh, as deploy.yml does. */
function planAndRecord(tier: string, cosign = true): string {
  const out = flow.planAndRecord(tier);
  if (cosign) ok(script('cosign'));
  return out;
}

const promote = (...extra: string[]) =>
  kfm(
    'gate',
    'promote',
    '--to',
    'stage',
    '--store',
    env.KFM_AUDIT_STORE!,
    '--pub',
    env.KFM_PUB!,
    '--commit',
    COMMIT,
    '--json',
    ...extra,
  );

beforeAll(async () => {
  flow = createFlow('kfm-witnessed-flow-', COMMIT, {
    KFM_WITNESS_QUORUM: '2',
    KFM_REQUIRE_WITNESS: '1',
  });
  ({ dir, env } = flow);
  env.KFM_WITNESS_KEYS_DIR = join(dir, 'witness-keys');
  mkdirSync(join(dir, 'approvers'), { recursive: true });
  mkdirSync(join(dir, 'witness-keys'), { recursive: true });
  ok(kfm('keygen', '--out-dir', join(dir, 'keys')));
  const [u1, u2] = await Promise.all([startWitness('w1'), startWitness('w2')]);
  urls.set('w1', u1).set('w2', u2);
  ok(kfm('keygen', '--out-dir', join(dir, 'witness', 'w3'))); // a third witness that never ran
  writeFileSync(join(dir, 'witness-keys', 'flow_w3.pub'), readFileSync(join(dir, 'witness', 'w3', 'kfm-signing.pub')));
  env.KFM_WITNESSES = `flow/w1=${u1} flow/w2=${u2}`;
  flow.stack('dev', { app: { input: 'v1' } });
  flow.stack('stage', { app: { input: 'stage' } });
});

afterAll(() => {
  for (const w of witnesses) w.kill('SIGTERM');
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('gates over a witnessed ledger (real Terraform, real witnesses)', () => {
  it('allows only what a quorum of witnesses cosigned, and records who cosigned', () => {
    // dev: every append is followed by a witnessed checkpoint (apply.sh and drift.sh cosign too).
    planAndRecord('dev');
    ok(script('apply', 'dev'));
    ok(script('drift', 'dev', '--no-synth'));
    const evidence = join(dir, 'receipts', 'dev.newest-apply.json');
    ok(
      kfm(
        'gate',
        'evidence',
        '--kind',
        'apply',
        '--env',
        'dev',
        '--store',
        env.KFM_AUDIT_STORE!,
        '--pub',
        env.KFM_PUB!,
        '--out',
        evidence,
      ),
    );
    const smoke = join(dir, 'receipts', 'dev.smoke.manual.json');
    ok(
      kfm(
        'record',
        'smoke',
        '--env',
        'dev',
        '--check',
        'manual-health=pass',
        '--apply-receipt',
        evidence,
        '--key',
        env.KFM_KEY!,
        '--out',
        smoke,
        '--commit',
        COMMIT,
      ),
    );
    ok(kfm('audit', 'append', '--init', smoke, '--store', env.KFM_AUDIT_STORE!));
    // The stage plan is appended but not yet cosigned: a quorum has not seen it.
    planAndRecord('stage', false);

    const uncovered = promote(...trust('w1', 'w2'), '--quorum', '2');
    expect(uncovered.status).toBe(1);
    expect(uncovered.stderr).toMatch(/BLOCKED dev validation record/);
    expect(uncovered.stderr).toMatch(/BLOCKED stage plan receipt/);
    // Only the witnesses hold it back: read without them, the same ledger already passes.
    expect(promote().status).toBe(0);

    ok(script('cosign'));
    const allowed = promote(...trust('w1', 'w2'), '--quorum', '2', '--key', env.KFM_KEY!);
    expect(allowed.stderr).toBe('');
    expect(allowed.status).toBe(0);
    const verdict = JSON.parse(allowed.stdout);
    const manifest = ok(
      kfm('audit', 'get', '--store', env.KFM_AUDIT_STORE!, '--seq', String(verdict.manifest.seq)),
    ).stdout;
    const predicate = JSON.parse(Buffer.from(JSON.parse(manifest).payload, 'base64').toString()).predicate;
    expect(predicate.ledger.witnessed).toEqual({
      size: verdict.ledger.size,
      quorum: 2,
      cosigners: ['flow/w1', 'flow/w2'],
    });
    expect(verdict.items.find((i: { requirement: string }) => i.requirement === 'audit ledger').detail).toMatch(
      /witnessed: entries 1 to \d+ judged, cosigned by flow\/w1, flow\/w2 \(quorum 2\)/,
    );

    // Without the quorum (w3 never cosigned anything), the same ledger is not trusted.
    const noQuorum = promote(...trust('w1', 'w3'), '--quorum', '2');
    expect(noQuorum.status).toBe(1);
    expect(noQuorum.stderr).toMatch(/BLOCKED audit ledger: .*no checkpoint has a quorum of 2/);

    // gate apply reads through the same path.
    const plan = join(dir, 'plans', 'stage.tfplan');
    const applyGate = (...extra: string[]) =>
      kfm(
        'gate',
        'apply',
        '--env',
        'stage',
        '--plan-file',
        plan,
        '--store',
        env.KFM_AUDIT_STORE!,
        '--pub',
        env.KFM_PUB!,
        '--commit',
        COMMIT,
        ...extra,
      );
    expect(applyGate(...trust('w1', 'w3'), '--quorum', '2').status).toBe(1);
    expect(applyGate(...trust('w1', 'w2'), '--quorum', '2').status).toBe(0);
  });
});
