import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const REPO = resolve(__dirname, '..', '..');
export const FIXTURES = join(REPO, '__tests__', 'fixtures', 'receipts');
export const TF = join(FIXTURES, 'terraform');
export const GEN = join(FIXTURES, 'generated');

if (!existsSync(join(TF, 'MANIFEST.tsv')))
  throw new Error(`fixtures missing: ${TF} (copied from ../shared/fixtures/terraform)`);

export function tmp(prefix = 'kfm-receipts-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** All files under `dir`, sorted, relative to `dir`. */
export function walk(dir: string, base = dir): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...walk(p, base));
    else out.push(p.slice(base.length + 1));
  }
  return out.sort();
}

export { CLI_ARGS } from '../support/cli';
import { CLI_ARGS } from '../support/cli';

export interface Run {
  status: number;
  stdout: string;
  stderr: string;
}

export function kfm(args: string[], opts: { env?: NodeJS.ProcessEnv; cwd?: string } = {}): Run {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...opts.env };
  const r = spawnSync(process.execPath, [...CLI_ARGS, ...args], {
    cwd: opts.cwd ?? REPO,
    env,
    encoding: 'utf8',
    maxBuffer: 1 << 28,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A key pair made by `kfm keygen` in a new temp dir. */
export function keypair(): { dir: string; key: string; pub: string } {
  const dir = tmp('kfm-keys-');
  const r = kfm(['keygen', '--out-dir', join(dir, 'k')]);
  if (r.status !== 0) throw new Error(`keygen failed: ${r.stderr}`);
  return { dir, key: join(dir, 'k', 'kfm-signing.key'), pub: join(dir, 'k', 'kfm-signing.pub') };
}

/** Fixed provenance flags so receipts do not depend on the environment. */
export const PROV = [
  '--commit',
  '0123456789abcdef0123456789abcdef01234567',
  '--branch',
  'main',
  '--actor',
  'ci-bot',
  '--method',
  'ci',
];
