/**
 * `parseWorkflows(files)`: GitHub's own parser over workflow files, in-process when jest can load
 * `@actions/workflow-parser` (it needs a transform for its ESM + JSON imports), otherwise in a tsx
 * child process. Both paths run the same code (`parse-core.ts`) and give the same plain data.
 */
import { execFileSync } from 'node:child_process';
import * as path from 'node:path';
import { ParsedWorkflow, parseWith, WorkflowFile, WorkflowParserModule } from './parse-core';

export const REPO_ROOT = path.resolve(__dirname, '..', '..', '..');

async function inProcess(): Promise<WorkflowParserModule | undefined> {
  try {
    return (await import('@actions/workflow-parser')) as WorkflowParserModule;
  } catch {
    return undefined;
  }
}

/** How the parser was loaded, for the test log. */
export let parserMode: 'in-process' | 'tsx child process' | undefined;

export async function parseWorkflows(files: readonly WorkflowFile[]): Promise<ParsedWorkflow[]> {
  const wp = await inProcess();
  if (wp) {
    parserMode = 'in-process';
    const out: ParsedWorkflow[] = [];
    for (const f of files) out.push(await parseWith(wp, f));
    return out;
  }
  parserMode = 'tsx child process';
  const stdout = execFileSync(
    process.execPath,
    [path.join(REPO_ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'), path.join(__dirname, 'parse-cli.ts')],
    { cwd: REPO_ROOT, input: JSON.stringify(files), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as ParsedWorkflow[];
}
