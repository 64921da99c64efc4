/**
 * scripts/secrets-scan.sh: the pull request's secrets gate. Real secretlint processes over real
 * files; every planted secret is assembled at run time from random bytes, so the repository itself
 * holds none (it is scanned too, and must be clean).
 */
import { execFileSync, spawnSync, SpawnSyncReturns } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const REPO_ROOT = join(__dirname, '..', '..');
const SCAN = join(REPO_ROOT, 'scripts', 'secrets-scan.sh');
const FINDING = /^(.+):(\d+):(\d+): secret found \((\S+) (\S+)\); value not shown$/;

/** `n` random characters from `alphabet` (rejection-free: the alphabets here are small). */
function randomFrom(alphabet: string, n: number): string {
  return [...randomBytes(n)].map((b) => alphabet[b % alphabet.length]).join('');
}
const UPPER = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';
const LOWER = 'abcdefghijklmnopqrstuvwxyz';
const DIGITS = '0123456789';

interface Planted {
  readonly name: string;
  readonly file: string;
  readonly text: string;
  /** The secret itself: no part of it may be printed. */
  readonly value: string;
  readonly line: number;
  readonly rule: string;
}

function planted(): Planted[] {
  const awsKeyId = 'AKIA' + randomFrom(UPPER + '234567', 16);
  const pem = generateKeyPairSync('rsa', { modulusLength: 2048 })
    .privateKey.export({ type: 'pkcs1', format: 'pem' })
    .toString();
  const githubToken = 'ghp_' + randomFrom(UPPER + LOWER + DIGITS, 36);
  // Mixed case and digits, 24 characters: high entropy, not a placeholder.
  const password = randomFrom(UPPER, 4) + randomFrom(LOWER, 8) + randomFrom(DIGITS, 4) + randomFrom(UPPER + LOWER, 8);
  return [
    {
      name: 'an AWS access key id',
      file: 'aws.ini',
      text: `[default]\nregion = us-east-2\naws_access_key_id = ${awsKeyId}\n`,
      value: awsKeyId,
      line: 3,
      rule: '@secretlint/secretlint-rule-aws',
    },
    {
      name: 'a private key block',
      file: 'deploy-key.txt',
      text: `deploy key for the mirror:\n${pem}`,
      value: pem.split('\n')[1],
      line: 2,
      rule: '@secretlint/secretlint-rule-privatekey',
    },
    {
      name: 'a GitHub token',
      file: 'release.sh',
      text: `#!/usr/bin/env bash\nset -euo pipefail\ncurl -H "Authorization: token ${githubToken}" "$API/releases"\n`,
      value: githubToken,
      line: 3,
      rule: '@secretlint/secretlint-rule-github',
    },
    {
      name: 'a generic high-entropy password assignment',
      file: 'settings.yaml',
      text: `database:\n  host: db.internal\n  user: kfm\n  password: "${password}"\n`,
      value: password,
      line: 4,
      rule: '@secretlint/secretlint-rule-pattern',
    },
  ];
}

const scan = (args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; script?: string } = {}) =>
  spawnSync('bash', [opts.script ?? SCAN, ...args], {
    cwd: opts.cwd ?? REPO_ROOT,
    env: { ...process.env, GITHUB_ACTIONS: '', ...opts.env },
    encoding: 'utf8',
    timeout: 60_000,
  });

/** No 8-character window of the secret in stdout or stderr, and no masked stand-in for it either. */
function expectNotPrinted(r: SpawnSyncReturns<string>, value: string): void {
  const out = r.stdout + r.stderr;
  for (let i = 0; i + 8 <= value.length; i++) expect(out.includes(value.slice(i, i + 8))).toBe(false);
  expect(out).not.toMatch(/\*{8}/);
}

describe('secrets-scan.sh', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kfm-secrets-'));
  const cases = planted();
  for (const c of cases) writeFileSync(join(dir, c.file), c.text);

  it('scans every tracked file of the repository and finds no secret', () => {
    const r = scan([]);
    expect({ status: r.status, stdout: r.stdout, stderr: r.stderr }).toEqual({
      status: 0,
      stdout: '',
      // Reviewed exceptions (.secretlintignore, each with its reason) are counted, never hidden.
      stderr: expect.stringMatching(
        /^(secrets-scan\.sh: \d+ file\(s\) skipped as reviewed exceptions \(\.secretlintignore\)\n)?secrets-scan\.sh: \d+ tracked file\(s\) scanned, no secret found\n$/,
      ),
    });
  });

  it.each(cases.map((c) => [c.name, c] as const))(
    'catches %s: exit 1, file and line named, value not printed',
    (_, c) => {
      const file = join(dir, c.file);
      const r = scan([file]);
      expect(r.status).toBe(1);
      const findings = r.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => FINDING.exec(l));
      expect(findings.length).toBeGreaterThan(0);
      for (const m of findings) expect(m).not.toBeNull();
      expect(
        findings.map((m) => ({ file: m![1].endsWith(`/${c.file}`), line: Number(m![2]), rule: m![4] })),
      ).toContainEqual({ file: true, line: c.line, rule: c.rule });
      expect(r.stderr).toMatch(/secret\(s\) found in the 1 file\(s\) scanned \(values not shown\)/);
      expectNotPrinted(r, c.value);
    },
  );

  it('under GitHub Actions also annotates the line, still without the value', () => {
    const c = cases[2];
    const r = scan([join(dir, c.file)], { env: { GITHUB_ACTIONS: 'true' } });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(`^::error file=[^,]*${c.file.replace('.', '\\.')},line=${c.line},col=\\d+::secret found`, 'm'),
    );
    expectNotPrinted(r, c.value);
  });

  it('reports an inline directive instead of letting it hide a secret', () => {
    // The preset honours such a directive anywhere in a file; the scan refuses it (assembled here
    // so this test file holds none).
    const directive = ['secretlint', 'disable'].join('-');
    const token = 'ghp_' + randomFrom(UPPER + LOWER + DIGITS, 36);
    const file = join(dir, 'hidden.sh');
    writeFileSync(file, `# ${directive}\necho start\nGH=${token}\n`);
    const r = scan([file]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(
      new RegExp(`hidden\\.sh:1: inline ${directive} directive: exceptions belong in \\.secretlintignore`),
    );
    expectNotPrinted(r, token);
  });

  it('refuses a usage error or a missing file with exit 2', () => {
    expect(scan(['--bogus']).status).toBe(2);
    expect(scan([join(dir, 'no-such-file')]).status).toBe(2);
    expect(scan(['--since']).status).toBe(2);
  });
});

describe('secrets-scan.sh in a repository of its own (exceptions and --since)', () => {
  // A real git repository holding the scan, its config and the project's installed scanner.
  const repo = mkdtempSync(join(tmpdir(), 'kfm-secrets-repo-'));
  mkdirSync(join(repo, 'scripts', 'lib'), { recursive: true });
  cpSync(SCAN, join(repo, 'scripts', 'secrets-scan.sh'));
  cpSync(
    join(REPO_ROOT, 'scripts', 'lib', 'secretlint-formatter.mjs'),
    join(repo, 'scripts', 'lib', 'secretlint-formatter.mjs'),
  );
  cpSync(join(REPO_ROOT, '.secretlintrc.json'), join(repo, '.secretlintrc.json'));
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(repo, 'node_modules'));
  const script = join(repo, 'scripts', 'secrets-scan.sh');
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.invalid', ...args], {
      cwd: repo,
      encoding: 'utf8',
    });
  const token = () => 'ghp_' + randomFrom(UPPER + LOWER + DIGITS, 36);
  const leaked = token();
  const later = token();
  const forced = token();
  let base = '';

  beforeAll(() => {
    git('init', '-q', '-b', 'main');
    writeFileSync(join(repo, '.gitignore'), 'node_modules\n');
    writeFileSync(join(repo, '.secretlintignore'), '# no exceptions\n');
    writeFileSync(join(repo, 'old.sh'), `TOKEN_VALUE=${leaked}\n`);
    git('add', '-A');
    git('commit', '-q', '-m', 'base');
    base = git('rev-parse', 'HEAD').trim();
    writeFileSync(join(repo, 'new.sh'), `echo one\necho two\nGH=${later}\n`);
    writeFileSync(join(repo, 'clean.txt'), 'nothing here\n');
    // Tracked although .gitignore matches it: still scanned.
    writeFileSync(join(repo, '.gitignore'), 'node_modules\nplans/\n');
    mkdirSync(join(repo, 'plans'));
    writeFileSync(join(repo, 'plans', 'forced.sh'), `GH=${forced}\n`);
    git('add', '-A');
    git('add', '-f', 'plans/forced.sh');
    git('commit', '-q', '-m', 'change');
  });

  it('--since scans only the files the change added or modified', () => {
    const r = scan(['--since', base], { cwd: repo, script });
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/^new\.sh:3:\d+: secret found/m);
    expect(r.stdout).toMatch(/^plans\/forced\.sh:1:\d+: secret found/m);
    expect(r.stdout).not.toMatch(/old\.sh/);
    expect(r.stderr).toMatch(/in the 4 file\(s\) changed since [0-9a-f]+ scanned/);
    expectNotPrinted(r, later);
    expectNotPrinted(r, forced);
  });

  it('applies an exception only with its reason on the line above', () => {
    writeFileSync(join(repo, '.secretlintignore'), '# no exceptions\nold.sh\nnew.sh\n');
    const refused = scan([], { cwd: repo, script });
    expect(refused.status).toBe(2);
    expect(refused.stderr).toMatch(/\.secretlintignore line\(s\) 2,3: an exception needs '# reason: \.\.\.'/);

    writeFileSync(join(repo, '.secretlintignore'), '# reason: a fixture for this test only\nold.sh\n');
    const applied = scan([], { cwd: repo, script });
    expect(applied.status).toBe(1); // new.sh has no exception
    expect(applied.stderr).toMatch(/1 file\(s\) skipped as reviewed exceptions/);
    expect(applied.stdout).not.toMatch(/old\.sh/);
    expect(applied.stdout).toMatch(/^new\.sh:3:/m);
    expectNotPrinted(applied, leaked);
  });
});
