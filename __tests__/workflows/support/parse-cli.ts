/**
 * Child-process entry for the workflow parser: reads `[{name, content}]` as JSON on stdin and
 * prints `[ParsedWorkflow]` as JSON on stdout. Run with tsx (`node node_modules/tsx/dist/cli.mjs`):
 * `@actions/workflow-parser` is ESM that imports JSON without import attributes, which plain
 * Node 20 refuses and tsx's loader accepts.
 */
import { parseWith, WorkflowFile, WorkflowParserModule } from './parse-core';

async function run(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  const files = JSON.parse(Buffer.concat(chunks).toString('utf8')) as WorkflowFile[];
  const wp = (await import('@actions/workflow-parser')) as WorkflowParserModule;
  const out = [];
  for (const f of files) out.push(await parseWith(wp, f));
  process.stdout.write(JSON.stringify(out));
}

run().catch((e: unknown) => {
  process.stderr.write(`parse-cli: ${(e as Error)?.stack ?? String(e)}\n`);
  process.exitCode = 1;
});
