import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The layout's one rule (ARCHITECTURE.md): imports run one way,
 *   cli → gates → policy, receipts, ledger → attest, terraform → core
 * and the cdktf app (main.ts, stacks/, constructs/) may use core/ and policy/ only. Nothing
 * imports cli/, stacks/ (but main.ts) or main.ts. Only cli/ reads process.env or process.argv.
 */
const REPO = resolve(__dirname, '..', '..');

const ALLOWED: Record<string, readonly string[]> = {
  core: [],
  terraform: ['core'],
  attest: ['core'],
  receipts: ['attest', 'terraform', 'core'],
  ledger: ['attest', 'core'],
  policy: ['terraform', 'core'],
  gates: ['policy', 'receipts', 'ledger', 'attest', 'terraform', 'core'],
  cli: ['gates', 'policy', 'receipts', 'ledger', 'attest', 'terraform', 'core'],
  constructs: ['policy', 'core'],
  stacks: ['constructs', 'policy', 'core'],
  'main.ts': ['stacks', 'constructs', 'policy', 'core'],
};
const TOOL = ['core', 'terraform', 'attest', 'receipts', 'ledger', 'policy', 'gates'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) return sources(p);
    return /\.ts$/.test(name) && !/\.d\.ts$/.test(name) ? [p] : [];
  });
}

/** Top-level room of a repo path: its first folder, or the file itself at the root. */
const room = (abs: string) => relative(REPO, abs).split(sep)[0]!;

interface Edge {
  readonly from: string;
  readonly to: string;
  readonly spec: string;
}

/** Every relative import, `import()` and `require()` of a file, as repo paths. */
function edgesOf(file: string): Edge[] {
  const text = readFileSync(file, 'utf8');
  const out: Edge[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g)) {
    out.push({ from: file, to: resolve(dirname(file), m[1]!), spec: m[1]! });
  }
  return out;
}

const FILES = [...Object.keys(ALLOWED).filter((r) => r !== 'main.ts'), 'scripts']
  .flatMap((r) => sources(join(REPO, r)))
  .concat([join(REPO, 'main.ts')]);

describe('dependency direction', () => {
  it('lets every room import only the rooms below it', () => {
    const wrong = FILES.filter((f) => room(f) !== 'scripts')
      .flatMap(edgesOf)
      .filter((e) => room(e.to) !== room(e.from) && !ALLOWED[room(e.from)]!.includes(room(e.to)))
      .map((e) => `${relative(REPO, e.from)} imports ${e.spec} (${room(e.from)} → ${room(e.to)})`);
    expect(wrong).toEqual([]);
  });

  it('lets nothing import cli/ or main.ts, and only main.ts import stacks/', () => {
    const wrong = FILES.flatMap(edgesOf)
      .filter((e) => room(e.from) !== room(e.to))
      .filter(
        (e) =>
          room(e.to) === 'cli' || room(e.to) === 'main.ts' || (room(e.to) === 'stacks' && room(e.from) !== 'main.ts'),
      )
      .map((e) => `${relative(REPO, e.from)} imports ${e.spec}`);
    expect(wrong).toEqual([]);
  });

  it('has no import cycle between files', () => {
    const exts = ['.ts', '.json', '/index.ts', ''];
    const target = (e: Edge) => exts.map((x) => e.to + x).find((p) => FILES.includes(p));
    const graph = new Map(
      FILES.map((f) => [
        f,
        edgesOf(f)
          .map(target)
          .filter((t): t is string => !!t),
      ]),
    );
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (f: string, path: string[]): void => {
      if (state.get(f) === 'done') return;
      if (state.get(f) === 'open') {
        cycles.push(
          path
            .slice(path.indexOf(f))
            .concat(f)
            .map((p) => relative(REPO, p))
            .join(' → '),
        );
        return;
      }
      state.set(f, 'open');
      for (const t of graph.get(f) ?? []) visit(t, [...path, f]);
      state.set(f, 'done');
    };
    for (const f of FILES) visit(f, []);
    expect(cycles).toEqual([]);
  });

  it('has no import cycle between folders, subfolders included', () => {
    const exts = ['.ts', '.json', '/index.ts', ''];
    const dirOf = (f: string) => relative(REPO, dirname(f)) || '.';
    const graph = new Map<string, Set<string>>();
    for (const f of FILES) {
      for (const e of edgesOf(f)) {
        const t = exts.map((x) => e.to + x).find((p) => FILES.includes(p));
        if (!t || dirOf(t) === dirOf(f)) continue;
        if (!graph.has(dirOf(f))) graph.set(dirOf(f), new Set());
        graph.get(dirOf(f))!.add(dirOf(t));
      }
    }
    const state = new Map<string, 'open' | 'done'>();
    const cycles: string[] = [];
    const visit = (d: string, path: string[]): void => {
      if (state.get(d) === 'done') return;
      if (state.get(d) === 'open') {
        cycles.push(path.slice(path.indexOf(d)).concat(d).join(' → '));
        return;
      }
      state.set(d, 'open');
      for (const t of graph.get(d) ?? []) visit(t, [...path, d]);
      state.set(d, 'done');
    };
    for (const d of graph.keys()) visit(d, []);
    expect(cycles).toEqual([]);
  });

  it('keeps process.env and process.argv out of the tool library (only cli/ reads them)', () => {
    const readers = TOOL.flatMap((r) => sources(join(REPO, r)))
      .filter((f) => !/[\/]attest[\/]schema[\/]compiled-[^\/]+\.ts$/.test(f))
      .filter((f) => /process\.(env|argv)\b/.test(readFileSync(f, 'utf8').replace(/\/\/.*$|\/\*[\s\S]*?\*\//gm, '')))
      .map((f) => relative(REPO, f));
    expect(readers).toEqual([]);
  });

  it('never loads cdktf or a provider binding from the tool', () => {
    const loaders = TOOL.concat(['cli'])
      .flatMap((r) => sources(join(REPO, r)))
      .filter((f) => /['"](cdktf|constructs|@cdktf\/[^'"]+)['"]/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(REPO, f));
    expect(loaders).toEqual([]);
  });
});
