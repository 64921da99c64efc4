/**
 * Every script people and workflows run documents itself: `--help` prints its usage on stdout,
 * nothing on stderr, exits 0 and does nothing else (seed: "documented, no hidden mutations").
 */
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPTS = join(__dirname, '..', '..', 'scripts');
const scripts = readdirSync(SCRIPTS)
  .filter((f) => f.endsWith('.sh'))
  .sort();

describe('scripts --help', () => {
  it('finds the scripts', () => {
    expect(scripts).toEqual(expect.arrayContaining(['plan.sh', 'apply.sh', 'drift.sh', 'smoke.sh', 's3-local.sh']));
  });

  it.each(scripts)('%s --help prints usage on stdout and exits 0', (name) => {
    const r = spawnSync('bash', [join(SCRIPTS, name), '--help'], { encoding: 'utf8', timeout: 20_000 });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/usage/i);
  });
});
