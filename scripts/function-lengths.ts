/**
 * function-lengths.ts — how long the hand-written functions are, measured on TypeScript's own
 * syntax tree. Every function declaration, method, constructor, accessor and function-valued
 * variable or property counts; its length is the lines from its first token to its closing brace.
 * Tests, benches, fixtures, generated validators and declaration files are left out.
 *
 *   npx tsx scripts/function-lengths.ts            # functions over 80 lines, longest first
 *   npx tsx scripts/function-lengths.ts --over 60  # another threshold
 *   npx tsx scripts/function-lengths.ts --folders  # lines per top-level folder (same file set)
 *
 * `__tests__/architecture/function-length.test.ts` holds the budget (ARCHITECTURE.md § Size).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ts from 'typescript';

export const REPO_ROOT = join(__dirname, '..');

/** Files that are not hand-written source: tests, benches, fixtures, generated code. */
const LEFT_OUT = /(^|\/)(__tests__|node_modules|dist|cdktf\.out)\/|^scripts\/(bench|fixtures)\/|(^|\/)compiled-[^/]*\.ts$|\.d\.ts$/;

export interface FunctionLength {
  /** Repository-relative file. */
  readonly file: string;
  /** First and last line (1-based). */
  readonly from: number;
  readonly to: number;
  readonly lines: number;
  /** `name`, `Class.method` or `Class.constructor`. */
  readonly name: string;
}

/** The tracked hand-written TypeScript files of the repository. */
export function sourceFiles(repo = REPO_ROOT): string[] {
  const out = execFileSync('git', ['ls-files', '*.ts'], { cwd: repo, encoding: 'utf8' });
  return out.split('\n').filter((f) => f !== '' && !LEFT_OUT.test(f));
}

function functionName(node: ts.Node, sf: ts.SourceFile): string | undefined {
  const owner = (n: ts.Node) => {
    const parent = n.parent;
    return (ts.isClassDeclaration(parent) || ts.isClassExpression(parent)) && parent.name ? `${parent.name.text}.` : '';
  };
  if (ts.isConstructorDeclaration(node)) return `${owner(node)}constructor`;
  if (ts.isFunctionDeclaration(node)) return node.name?.text ?? '(default)';
  if (ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)) {
    return `${owner(node)}${node.name.getText(sf)}`;
  }
  if (ts.isArrowFunction(node) || ts.isFunctionExpression(node)) {
    const p = node.parent;
    if (ts.isVariableDeclaration(p) || ts.isPropertyAssignment(p) || ts.isPropertyDeclaration(p)) {
      return p.name.getText(sf);
    }
  }
  return undefined;
}

/** Every named function of one file's text, with its length. */
export function functionsOf(file: string, text: string): FunctionLength[] {
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const line = (pos: number) => sf.getLineAndCharacterOfPosition(pos).line + 1;
  const found: FunctionLength[] = [];
  const visit = (node: ts.Node): void => {
    const name = functionName(node, sf);
    const body = (node as ts.FunctionLikeDeclaration).body;
    if (name !== undefined && body !== undefined) {
      const from = line(node.getStart(sf));
      const to = line(node.end);
      found.push({ file, from, to, lines: to - from + 1, name });
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Functions longer than `over` lines across the repository, longest first. */
export function longFunctions(over: number, repo = REPO_ROOT): FunctionLength[] {
  return sourceFiles(repo)
    .flatMap((f) => functionsOf(f, readFileSync(join(repo, f), 'utf8')))
    .filter((f) => f.lines > over)
    .sort((a, b) => b.lines - a.lines || a.file.localeCompare(b.file));
}

/** Lines of hand-written TypeScript per top-level folder (a root file counts as its own name). */
export function linesPerFolder(repo = REPO_ROOT): Map<string, number> {
  const totals = new Map<string, number>();
  for (const f of sourceFiles(repo)) {
    const folder = f.includes('/') ? f.slice(0, f.indexOf('/')) : f;
    const lines = readFileSync(join(repo, f), 'utf8').split('\n').length;
    totals.set(folder, (totals.get(folder) ?? 0) + lines);
  }
  return new Map([...totals].sort(([a], [b]) => a.localeCompare(b)));
}

function main(argv: readonly string[]): void {
  if (argv.includes('--folders')) {
    for (const [folder, lines] of linesPerFolder()) console.log(`${String(lines).padStart(6)}  ${folder}`);
    return;
  }
  const i = argv.indexOf('--over');
  const over = i >= 0 ? Number(argv[i + 1]) : 80;
  if (!Number.isInteger(over) || over < 1) {
    console.error(`function-lengths: --over takes a whole number of lines >= 1 (got ${argv[i + 1]})`);
    process.exit(2);
  }
  const long = longFunctions(over);
  for (const f of long) console.log(`${String(f.lines).padStart(4)}  ${f.file}:${f.from}-${f.to}  ${f.name}`);
  console.log(`${long.length} function(s) over ${over} lines`);
}

if (require.main === module) main(process.argv.slice(2));
