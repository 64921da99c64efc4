/**
 * Synth and offline-plan benchmark (npm run bench): wall time and peak RSS of synthesizing all
 * seven stacks (the app run directly, as scripts/synth.sh does; goal ≤ 2 s and ≤ 300 MB on this
 * 2-core machine), whether two synths are byte-identical, and the time of an offline
 * `scripts/plan.sh dev --no-synth` (init + plan + show). Prints JSON lines, then a summary.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const REPO = resolve(__dirname, '..', '..');
const root = mkdtempSync(join(tmpdir(), 'kfm-bench-synth-'));
const RUNS = 3;

/** Run under /usr/bin/time and return wall seconds and peak RSS in MB. */
function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): { seconds: number; rssMb: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', cmd, ...args], {
    cwd: REPO,
    env: { ...process.env, ...env },
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr.slice(-2000)}`);
  const [s, kb] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number);
  return { seconds: s, rssMb: Math.round(kb / 1024) };
}

function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else out.set(p.slice(dir.length), readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

const synth: { seconds: number; rssMb: number }[] = [];
for (let i = 0; i < RUNS; i++) {
  const out = join(root, `synth-${i}`);
  // The app itself (what synth.sh runs), not the bash wrapper: node + tsx + main.ts.
  synth.push(
    timed(process.execPath, [join(REPO, 'node_modules', 'tsx', 'dist', 'cli.mjs'), join(REPO, 'main.ts')], {
      CDKTF_OUTDIR: out,
      KFM_OFFLINE: '1',
    }),
  );
  console.log(
    JSON.stringify({ bench: 'synth', run: i + 1, stacks: readdirSync(join(out, 'stacks')).length, ...synth[i] }),
  );
}
const a = tree(join(root, 'synth-0'));
const b = tree(join(root, 'synth-1'));
const identical = a.size === b.size && [...a].every(([k, v]) => b.get(k)?.equals(v));
console.log(JSON.stringify({ bench: 'synth', deterministic: identical }));

const plan = timed('bash', [join(REPO, 'scripts', 'plan.sh'), 'dev', '--no-synth'], {
  KFM_OFFLINE: '1',
  KFM_SYNTH_DIR: join(root, 'synth-0'),
  KFM_PLANS_DIR: join(root, 'plans'),
  KFM_STATE_DIR: join(root, 'state'),
  TF_PLUGIN_CACHE_DIR: join(REPO, '.kfm', 'terraform', 'plugin-cache'),
});
console.log(JSON.stringify({ bench: 'plan-dev-offline', ...plan }));

const best = synth.reduce((x, y) => (y.seconds < x.seconds ? y : x));
const worstRss = Math.max(...synth.map((s) => s.rssMb));
console.log(
  `synth of all stacks: best ${best.seconds.toFixed(2)} s (goal ≤ 2 s), peak RSS ≤ ${worstRss} MB (goal ≤ 300 MB), ` +
    `byte-identical: ${identical}; offline plan.sh dev: ${plan.seconds.toFixed(1)} s, ${plan.rssMb} MB`,
);
rmSync(root, { recursive: true, force: true });
