/**
 * scripts/lib/tf-env.sh writes the Terraform CLI config into the state folder. Several at once
 * (two plans, two test workers) must each end with the whole file in place: a shared temporary
 * name let one run rename another's file away ("mv: cannot stat .../cli.tfrc.tmp"), and that run
 * failed.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const SCRIPT = join(__dirname, '..', '..', 'scripts', 'lib', 'tf-env.sh');

function tfEnv(
  state: string,
  more: NodeJS.ProcessEnv = {},
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const env: NodeJS.ProcessEnv = { ...process.env, KFM_OFFLINE: '1', ...more, KFM_STATE_DIR: state };
    delete env.TF_CLI_CONFIG_FILE;
    const child = spawn('bash', [SCRIPT, '--print'], { env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

it('runs side by side in one state folder, every run ending with the whole CLI config in place', async () => {
  // The mirror found once (the search of the filesystem is the slow part), then given to every run.
  const first = mkdtempSync(join(tmpdir(), 'kfm-tf-env-'));
  expect((await tfEnv(first)).code).toBe(0);
  const mirror = /path\s*=\s*"([^"]+)"/.exec(readFileSync(join(first, 'terraform', 'cli.tfrc'), 'utf8'))?.[1];
  const state = mkdtempSync(join(tmpdir(), 'kfm-tf-env-'));
  const runs = await Promise.all(
    Array.from({ length: 24 }, () => tfEnv(state, mirror ? { KFM_TF_PROVIDER_MIRROR: mirror } : {})),
  );
  expect(runs.map((r) => [r.code, r.stderr])).toEqual(runs.map(() => [0, '']));
  const cfg = join(state, 'terraform', 'cli.tfrc');
  for (const r of runs) expect(r.stdout).toContain(`export TF_CLI_CONFIG_FILE=${cfg}`);
  expect(readFileSync(cfg, 'utf8')).toMatch(/^(provider_installation \{|# no local provider mirror found)/);
  expect(readdirSync(join(state, 'terraform')).filter((n) => n.includes('.tmp'))).toEqual([]);
});
