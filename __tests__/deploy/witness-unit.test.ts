/**
 * deploy/witness/kfm-witness.service runs as written: its ExecStart, with systemd's specifiers
 * (%d the credentials directory, %S the state root) and ${…} from witness.env.example filled in,
 * parses with the real CLI, serves, and cosigns a real checkpoint of a real ledger; the state lands
 * in the StateDirectory and SIGTERM stops it cleanly.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { keypair, kfm, PROV, REPO, TF, tmp } from '../receipts/helpers';

const UNIT = readFileSync(join(REPO, 'deploy', 'witness', 'kfm-witness.service'), 'utf8');
const ENV_EXAMPLE = readFileSync(join(REPO, 'deploy', 'witness', 'witness.env.example'), 'utf8');
const PLAN = join(TF, 'generated-tf1.11.4', 'lifecycle', '2-change.show-plan.json');

/** `Key=value` lines of the unit's [Service] section. */
function directive(name: string): string {
  const m = new RegExp(`^${name}=(.*)$`, 'm').exec(UNIT);
  if (!m) throw new Error(`kfm-witness.service has no ${name}=`);
  return m[1]!;
}

/** ExecStart as systemd would run it here: specifiers and environment filled in, /etc mapped. */
function execStart(env: Record<string, string>, creds: string, stateRoot: string, etc: string): string[] {
  const line = directive('ExecStart')
    .replace(/%d/g, creds)
    .replace(/%S/g, stateRoot)
    .replace(/\$\{([A-Z_]+)\}/g, (_, k: string) => {
      if (env[k] === undefined) throw new Error(`ExecStart uses \${${k}}, which witness.env.example does not set`);
      return env[k]!;
    })
    .replace(/\/etc\/kfm-witness\//g, `${etc}/`);
  return line.split(/\s+/);
}

let child: ChildProcess | undefined;
afterAll(() => {
  if (child && child.exitCode === null) child.kill('SIGKILL'); // a failed test must not leave it running
});

describe('the witness systemd unit', () => {
  it('keeps the key in a credential and the state in the StateDirectory', () => {
    expect(directive('LoadCredential')).toBe('witness.key:/etc/kfm-witness/witness.key');
    expect(directive('StateDirectory')).toBe('kfm-witness');
    expect(directive('ExecStart')).toContain('--key %d/witness.key');
    expect(directive('ExecStart')).toContain('--state %S/kfm-witness');
  });

  it('starts with the real CLI, cosigns a real checkpoint and stops on SIGTERM', async () => {
    const d = tmp('kfm-witness-unit-');
    const [creds, stateRoot, etc] = ['creds', 'state', 'etc'].map((n) => join(d, n));
    for (const p of [creds, stateRoot, etc]) mkdirSync(p);
    const ci = keypair();
    const w = keypair();
    copyFileSync(w.key, join(creds, 'witness.key'));
    copyFileSync(ci.pub, join(etc, 'kfm-ci.pub'));
    const env: Record<string, string> = {};
    for (const m of ENV_EXAMPLE.matchAll(/^([A-Z_]+)=(.*)$/gm)) env[m[1]!] = m[2]!;
    Object.assign(env, { KFM_CLI: join(REPO, 'dist', 'receipts', 'cli.js'), KFM_WITNESS_LISTEN: '127.0.0.1:0' });
    const [cmd, ...args] = execStart(env, creds, stateRoot, etc);
    expect(cmd).toBe('/usr/bin/node');
    child = spawn(existsSync(cmd!) ? cmd! : process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const url = await new Promise<string>((resolve, reject) => {
      createInterface({ input: child!.stdout! }).once('line', resolve);
      child!.once('exit', (code) => reject(new Error(`witness exited ${code}`)));
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:[0-9]+$/);

    const store = join(d, 'audit');
    const receipt = join(d, 'r.json');
    expect(kfm(['receipt', 'plan', PLAN, '--env', 'dev', '--key', ci.key, '--out', receipt, ...PROV]).status).toBe(0);
    expect(kfm(['audit', 'append', '--init', receipt, '--store', store]).status).toBe(0);
    const name = env.KFM_WITNESS_NAME!;
    const cp = kfm([
      'audit',
      'checkpoint',
      '--store',
      store,
      '--key',
      ci.key,
      '--pub',
      ci.pub,
      '--out',
      join(d, 'cp.txt'),
      '--witness',
      `${name}=${w.pub}`,
      '--witness-url',
      `${name}=${url}`,
      '--quorum',
      '1',
    ]);
    expect({ status: cp.status, out: cp.stdout + cp.stderr }).toEqual({
      status: 0,
      out: expect.stringContaining(`cosigned tree size 1`),
    });
    expect(readdirSync(join(stateRoot, 'kfm-witness')).length).toBeGreaterThan(0);

    child.kill('SIGTERM');
    expect(await new Promise((r) => child!.once('exit', r))).toBe(0);
  }, 60_000);
});
