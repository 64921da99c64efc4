import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..');

function newest(dir: string): number {
  let t = 0;
  if (!existsSync(dir)) return t;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) t = Math.max(t, newest(p));
    else if (e.name.endsWith('.ts') || e.name.endsWith('.json')) t = Math.max(t, statSync(p).mtimeMs);
  }
  return t;
}

/**
 * How tests run the CLI as a real process: the built `dist/receipts/cli.js` when it is newer than
 * every source (`npm test` builds it first: ~0.2 s of CPU a run), else `tsx cli/main.ts` (always
 * current, but ~4× the CPU: tsx compiles on the fly in a second process). Ledger, policy and
 * receipt tests spawn the CLI hundreds of times, so this choice is most of their run time.
 */
const DIST_CLI = join(REPO, 'dist', 'receipts', 'cli.js');
const useDist = (() => {
  if (!existsSync(DIST_CLI)) return false;
  const built = Math.max(statSync(DIST_CLI).mtimeMs, newest(join(REPO, 'dist')));
  const sources = ['core', 'terraform', 'attest', 'receipts', 'ledger', 'policy', 'gates', 'cli', 'schemas'];
  return built >= Math.max(...sources.map((d) => newest(join(REPO, d))));
})();

export const CLI_ARGS: readonly string[] = useDist
  ? [DIST_CLI]
  : [require.resolve('tsx/cli'), join(REPO, 'cli', 'main.ts')];

/** The CLI as ONE process (no tsx wrapper process), so a signal sent to it really hits the appender. */
export const CLI_ONE_PROCESS_ARGS: readonly string[] = useDist
  ? [DIST_CLI]
  : ['--require', require.resolve('tsx/cjs'), join(REPO, 'cli', 'main.ts')];
