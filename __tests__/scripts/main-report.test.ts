/**
 * `npm start` (scripts/main.sh) reads like a report: one line per step with its duration, then a
 * summary table, under 100 lines; Terraform's text goes to plans/ENV.plan.txt, and every step's
 * full output to a log. Real synth, real Terraform plans (offline), real receipts and ledger.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(__dirname, '..', '..');
const tmp = mkdtempSync(join(tmpdir(), 'kfm-main-'));
const env: NodeJS.ProcessEnv = {
  ...process.env,
  KFM_OFFLINE: '1',
  KFM_SYNTH_DIR: join(tmp, 'synth'),
  KFM_PLANS_DIR: join(tmp, 'plans'),
  KFM_STATE_DIR: join(tmp, 'state'),
  KFM_RECEIPTS_DIR: join(tmp, 'receipts'),
  KFM_COMMIT: '0123456789abcdef0123456789abcdef01234567',
  TF_PLUGIN_CACHE_DIR: process.env.TF_PLUGIN_CACHE_DIR ?? join(root, '.kfm', 'terraform', 'plugin-cache'),
};
delete env.KFM_PROD_ROLLBACK;
delete env.KFM_AUDIT_STORE;
delete env.KFM_KEY;
delete env.KFM_PUB;

describe('npm start', () => {
  let r: ReturnType<typeof spawnSync>;
  let lines: string[];
  beforeAll(() => {
    r = spawnSync('bash', [join(root, 'scripts', 'main.sh')], { cwd: root, env, encoding: 'utf8', timeout: 900_000 });
    lines = `${r.stdout}${r.stderr}`.trimEnd().split('\n');
  }, 900_000);

  it('succeeds in under 100 lines', () => {
    expect(r.status).toBe(0);
    expect(lines.length).toBeLessThan(100);
  });

  it('prints one line per step with its duration', () => {
    const steps = lines.filter((l) => /^(ok|FAIL) /.test(l));
    expect(steps.length).toBeGreaterThanOrEqual(12);
    for (const s of steps) expect(s).toMatch(/^ok {3}.{44} +\d+\.\d s$/);
    expect(steps.map((s) => s.slice(5, 49).trim())).toEqual(
      expect.arrayContaining([
        'synth (every stack)',
        'plan prod, policy, receipt',
        'verify the ledger',
        'HTML evidence report',
      ]),
    );
  });

  it('closes with the summary: per env adds, changes, destroys, policy, receipt digest; ledger; gates', () => {
    const head = lines.findIndex((l) => /^ENV +ADD +CHANGE +DESTROY +POLICY +RECEIPT DIGEST$/.test(l));
    expect(head).toBeGreaterThan(0);
    for (const [i, e] of ['dev', 'stage', 'prod'].entries())
      expect(lines[head + 1 + i]).toMatch(new RegExp(`^${e} +\\d+ +\\d+ +\\d+  pass +sha256:[0-9a-f]{64}$`));
    expect(lines.join('\n')).toMatch(/\nledger +\S+: 3 entries, root \S+, \d+ checkpoint\(s\)\n/);
    expect(lines.join('\n')).toMatch(
      /\ngates +stage: BLOCKED: dev apply receipt: .+\n +prod: +BLOCKED: dev apply receipt: /,
    );
  });

  it("keeps Terraform's text and each step's output out of the terminal, in files", () => {
    for (const e of ['dev', 'stage', 'prod']) {
      const txt = readFileSync(join(tmp, 'plans', `${e}.plan.txt`), 'utf8');
      expect(txt).toMatch(/Plan: \d+ to add/);
    }
    expect(lines.join('\n')).not.toMatch(/Terraform will perform|# aws_/);
    expect(readdirSync(join(tmp, 'state', 'logs')).length).toBeGreaterThanOrEqual(12);
    expect(existsSync(join(tmp, 'state', 'report.html'))).toBe(true);
    expect(readFileSync(join(tmp, 'state', 'pr-comment.md'), 'utf8')).toContain('Terraform plan receipt');
  });
});
