/**
 * The small things a reviewer and an auditor tripped over (issue 28): an approval shown with its
 * approver and change record, `--help` listed once, exit code 4 documented, a public key passed as
 * --key named as such, BLOCKED said once in a terminal, and a gate reason never cut inside a SHA.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keypair, kfm, PROV, REPO, TF, tmp } from '../receipts/helpers';
import { printDecision } from '../../cli/commands/gate/ledger-args';

const keys = keypair();
const dir = tmp('kfm-small-');

describe('kfm receipt show of an approval', () => {
  it('shows the approver, the change record and the approved plan receipt, never "(undefined)"', () => {
    const plan = join(TF, 'generated-tf1.11.4', 'lifecycle', '2-change.show-plan.json');
    const receipt = join(dir, 'prod.plan.receipt.json');
    expect(kfm(['receipt', 'plan', plan, '--env', 'prod', '--key', keys.key, '--out', receipt, ...PROV]).status).toBe(
      0,
    );
    const approval = join(dir, 'approval.json');
    const a = kfm([
      'approve',
      '--env',
      'prod',
      '--plan-receipt',
      receipt,
      '--principal',
      'reviewer',
      '--change-record',
      'CR-7',
      '--key',
      keys.key,
      '--pub',
      keys.pub,
      '--out',
      approval,
      '--timestamp',
      '2026-11-24T10:00:00Z',
    ]);
    expect(a.stderr).toBe('');
    const s = kfm(['receipt', 'show', approval, '--pub', keys.pub]);
    expect(s.status).toBe(0);
    expect(s.stdout).toContain('### Approval — <code>prod</code>');
    expect(s.stdout).toContain('- Approver: <code>reviewer</code> (approved at <code>2026-11-24T10:00:00.000Z</code>)');
    expect(s.stdout).toContain('- Change record: <code>CR-7</code>');
    expect(s.stdout).toMatch(
      /- Plan receipt approved: <code>sha256:[0-9a-f]{64}<\/code> for commit <code>0123456789abcdef/,
    );
    expect(s.stdout).not.toContain('undefined');
    expect(s.stdout).not.toContain('- Actor:');
  });
});

describe('help and exit codes', () => {
  it('kfm policy check --help lists --help once', () => {
    const h = kfm(['policy', 'check', '--help']);
    expect(h.status).toBe(0);
    expect(h.stdout.match(/--help/g)).toHaveLength(1);
    expect(h.stdout).toMatch(/--format text\|json\|sarif\|github/);
  });

  it('documents exit code 4 (internal error) in kfm --help and the README', () => {
    expect(kfm(['--help']).stdout).toMatch(/exit codes: .*4 internal error/);
    expect(readFileSync(join(REPO, 'README.md'), 'utf8')).toMatch(/3 signature or integrity failure, 4 internal error/);
  });
});

describe('a public key passed as --key', () => {
  it('is named a public key (exit 2), not asked to be chmod 600', () => {
    chmodSync(keys.pub, 0o644);
    const r = kfm([
      'receipt',
      'plan',
      join(TF, 'generated-tf1.11.4', 'lifecycle', '1-create.show-plan.json'),
      '--env',
      'dev',
      '--key',
      keys.pub,
      '--out',
      join(dir, 'x.json'),
      ...PROV,
    ]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${keys.pub}: is a public key (SPKI PEM); --key needs the private signing key`);
    expect(r.stderr).not.toContain('chmod');
  });

  it('a private key readable by others is still refused with the chmod to run', () => {
    chmodSync(keys.key, 0o644);
    try {
      const r = kfm([
        'receipt',
        'plan',
        join(TF, 'generated-tf1.11.4', 'lifecycle', '1-create.show-plan.json'),
        '--env',
        'dev',
        '--key',
        keys.key,
        '--out',
        join(dir, 'y.json'),
        ...PROV,
      ]);
      expect(r.status).toBe(2);
      expect(r.stderr).toContain(`run chmod 600 ${keys.key}`);
    } finally {
      chmodSync(keys.key, 0o600);
    }
  });
});

describe('gate promote in a terminal', () => {
  const items = [
    { requirement: 'stage receipt', ok: false, detail: 'none for commit 0123456' },
    { requirement: 'ledger', ok: true, detail: 'verifies' },
  ];
  const run = (stdoutIsTTY: boolean, stderrIsTTY: boolean, json = false) => {
    let screen = '';
    let err = '';
    const io = {
      argv: [],
      env: {},
      cwd: REPO,
      stdout: (t: string) => void (screen += t),
      stderr: (t: string) => void ((screen += t), (err += t)),
      stdoutIsTTY,
      stderrIsTTY,
    };
    expect(printDecision(io, json, false, items, {})).toBe(1);
    return { screen, err };
  };

  it('says each BLOCKED line once when stdout and stderr are the same terminal', () => {
    expect(run(true, true).screen.match(/BLOCKED/g)).toHaveLength(1);
  });

  it('still writes it to stderr when stdout is captured, or with --json', () => {
    expect(run(false, true).err).toBe('gate: BLOCKED stage receipt: none for commit 0123456\n');
    expect(run(true, true, true).err).toContain('gate: BLOCKED stage receipt');
  });
});

describe("npm start's summary", () => {
  it('shortens a gate reason between words, never inside a SHA or digest', () => {
    const sha = '0123456789abcdef0123456789abcdef01234567';
    const line = `prod needs a verified stage receipt for commit ${sha} and plan digest sha256:${'ab'.repeat(32)}`;
    const r = spawnSync('bash', ['-c', `. scripts/lib/shorten.sh; kfm_shorten 110`], {
      cwd: REPO,
      input: line + '\n',
      encoding: 'utf8',
    });
    expect(r.stdout).toBe(`prod needs a verified stage receipt for commit ${sha} and plan digest …\n`);
    const main = readFileSync(join(REPO, 'scripts', 'main.sh'), 'utf8');
    expect(main).toMatch(/\| kfm_shorten 110\)"/);
    expect(main).not.toMatch(/cut -c1-\d+\)"/);
  });
});
