/**
 * The runbooks and docs/environments.md only point at things that exist: every script and doc path
 * they name is in the repository, every kfm command is one the CLI has, with flags of its contract.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { contractProblems, KFM_NOUNS, kfmCalls } from './support/cli-contract';
import { REPO_ROOT } from './support/parse-workflows';

const RUNBOOKS = ['apply', 'rollback', 'drift', 'incident', 'restore'].map((n) => `docs/runbooks/${n}.md`);
const DOCS = [...RUNBOOKS, 'docs/environments.md'];
const read = (p: string) => fs.readFileSync(path.join(REPO_ROOT, p), 'utf8');
const WORKFLOWS = ['pr', 'deploy', 'drift', 'approve'].map((n) => `.github/workflows/${n}.yml`);

/** Repository paths named in a text: scripts/…, docs/…, .github/… (placeholders like ENV kept). */
function repoPaths(text: string): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(/(?<![\w./-])((?:scripts|docs|\.github)\/[\w./-]*[\w])/g)) found.add(m[1]);
  return [...found];
}

test('the five runbooks exist and each gives exact commands', () => {
  for (const r of RUNBOOKS)
    expect({ r, hasCommands: /```bash\n[^`]+```/.test(read(r)) }).toEqual({ r, hasCommands: true });
});

test('every script and doc path named in the runbooks, docs and workflows exists', () => {
  const missing: string[] = [];
  for (const doc of [...DOCS, ...WORKFLOWS]) {
    const base = path.dirname(doc);
    for (const p of repoPaths(read(doc))) {
      if (fs.existsSync(path.join(REPO_ROOT, p))) continue;
      if (fs.existsSync(path.join(REPO_ROOT, base, path.basename(p)))) continue;
      missing.push(`${doc}: ${p}`);
    }
    // bare runbook links like (`rollback.md`) resolve next to the runbook
    for (const m of read(doc).matchAll(/`([\w-]+\.md)`/g))
      if (!fs.existsSync(path.join(REPO_ROOT, base, m[1]))) missing.push(`${doc}: ${m[1]}`);
  }
  expect(missing).toEqual([]);
});

test('every helper script the workflows and runbooks call answers --help', () => {
  const scripts = new Set<string>();
  for (const doc of [...DOCS, ...WORKFLOWS])
    for (const p of repoPaths(read(doc))) if (/^scripts\/[\w-]+\.sh$/.test(p)) scripts.add(p);
  expect([...scripts].sort()).toEqual(
    expect.arrayContaining([
      'scripts/apply.sh',
      'scripts/drift.sh',
      'scripts/plan.sh',
      'scripts/smoke.sh',
      'scripts/validate.sh',
    ]),
  );
  for (const s of scripts) {
    const src = read(s);
    expect({ s, help: /--help/.test(src) }).toEqual({ s, help: true });
  }
});

test('the rollback runbook uses the documented rollback mode of scripts/plan.sh', () => {
  expect(read('docs/runbooks/rollback.md')).toMatch(/scripts\/plan\.sh (dev|stage|prod) --rollback/);
  expect(read('scripts/plan.sh')).toMatch(/--rollback/);
});

test('every kfm command in the runbooks is one the CLI has, with flags of its contract', () => {
  const calls = DOCS.flatMap((d) => kfmCalls(read(d)));
  expect(calls.length).toBeGreaterThan(10);
  expect(calls.flatMap(contractProblems)).toEqual([]);
});

test('the contract knows exactly the nouns cli/main.ts dispatches', () => {
  const cli = read('cli/main.ts');
  const block = /const NOUNS[^{]*\{([\s\S]*?)\n\};/.exec(cli)![1];
  const nouns = [...block.matchAll(/^\s*(\w+):/gm)].map((m) => m[1]);
  expect(nouns.sort()).toEqual([...KFM_NOUNS].sort());
});
