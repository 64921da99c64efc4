import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
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

function newest(dir: string): number {
  let t = 0;
  for (const f of walk(dir))
    if (f.endsWith('.ts') || f.endsWith('.json')) t = Math.max(t, statSync(join(dir, f)).mtimeMs);
  return t;
}

/**
 * How tests run the CLI as a real process: the built `dist/receipts/cli.js` when it is newer than
 * every source (fast: ~60 ms a run), else `tsx cli/main.ts` (slower, always current).
 */
const DIST_CLI = join(REPO, 'dist', 'receipts', 'cli.js');
const useDist = (() => {
  if (!existsSync(DIST_CLI)) return false;
  const built = statSync(DIST_CLI).mtimeMs;
  const builtNewest = newest(join(REPO, 'dist'));
  const sources = ['core', 'terraform', 'attest', 'receipts', 'ledger', 'policy', 'gates', 'cli', 'schemas'];
  return Math.max(built, builtNewest) >= Math.max(...sources.map((d) => newest(join(REPO, d))));
})();
export const CLI_ARGS: string[] = useDist ? [DIST_CLI] : [require.resolve('tsx/cli'), join(REPO, 'cli', 'main.ts')];

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
