/**
 * Runs GitHub's own workflow parser (`@actions/workflow-parser`: `parseWorkflow` then
 * `convertWorkflowTemplate`) over workflow files and reduces the result to plain JSON data, so
 * the same summary can come from an in-process module or from a child process.
 */
import type * as WorkflowParser from '@actions/workflow-parser';

export type WorkflowParserModule = typeof WorkflowParser;
type Token = Parameters<WorkflowParserModule['isMapping']>[0];

export interface WorkflowFile {
  readonly name: string;
  readonly content: string;
}

export interface ParsedStep {
  readonly id: string;
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: unknown;
  readonly env?: unknown;
}

export interface ParsedJob {
  readonly id: string;
  readonly needs: string[];
  /** The job condition as the parser normalised it (`success()` when none was written). */
  readonly if: string;
  readonly environment?: unknown;
  readonly concurrency?: unknown;
  readonly strategy?: unknown;
  readonly steps: ParsedStep[];
}

export interface ParsedWorkflow {
  readonly name: string;
  /** Every error the parser and the converter reported; a valid workflow has none. */
  readonly errors: string[];
  /** Triggers as the converter understood them. */
  readonly events: Record<string, unknown>;
  readonly jobs: ParsedJob[];
  /** The whole document as the parser read it (keys and values as written), for what the template model omits. */
  readonly raw: unknown;
}

/** Plain JSON for a template token: mappings to objects, expressions to their `${{ }}` source. */
export function plain(wp: WorkflowParserModule, t: Token | undefined): unknown {
  if (t === undefined) return undefined;
  if (wp.isMapping(t)) {
    const o: Record<string, unknown> = {};
    for (const kv of t) o[String(plain(wp, kv.key))] = plain(wp, kv.value);
    return o;
  }
  if (wp.isSequence(t)) {
    const a: unknown[] = [];
    for (const item of t) a.push(plain(wp, item));
    return a;
  }
  if (wp.isBasicExpression(t)) return t.source ?? t.toString();
  if (wp.isString(t)) return t.value;
  if (wp.isBoolean(t)) return t.value;
  if (wp.isNumber(t)) return t.value;
  return null;
}

function expr(wp: WorkflowParserModule, t: Token | undefined): string | undefined {
  if (t === undefined) return undefined;
  return wp.isBasicExpression(t) ? t.expression : String(plain(wp, t));
}

export async function parseWith(wp: WorkflowParserModule, file: WorkflowFile): Promise<ParsedWorkflow> {
  const result = wp.parseWorkflow(file, new wp.NoOperationTraceWriter());
  const errors = result.context.errors.getErrors().map((e) => e.message);
  if (!result.value)
    return { name: file.name, errors: errors.length ? errors : ['no document'], events: {}, jobs: [], raw: null };
  const template = await wp.convertWorkflowTemplate(result.context, result.value);
  for (const e of template.errors ?? []) if (!errors.includes(e.Message)) errors.push(e.Message);
  const raw = plain(wp, result.value) as { jobs?: Record<string, { steps?: Array<Record<string, unknown>> }> } | null;
  const jobs: ParsedJob[] = (template.jobs ?? []).map((j) => {
    const rawSteps = raw?.jobs?.[j.id.value]?.steps ?? [];
    return {
      id: j.id.value,
      needs: (j.needs ?? []).map((n) => n.value),
      if: expr(wp, j.if) ?? '',
      environment: j.type === 'job' ? plain(wp, j.environment) : undefined,
      concurrency: plain(wp, j.concurrency),
      strategy: plain(wp, j.strategy),
      steps:
        j.type === 'job'
          ? j.steps.map((s, i) => ({
              id: s.id,
              name: s.name ? String(plain(wp, s.name)) : undefined,
              uses: 'uses' in s ? s.uses.value : undefined,
              run: 'run' in s ? String(plain(wp, s.run)) : undefined,
              if: 'if' in s && s.if ? expr(wp, s.if) : undefined,
              with: rawSteps[i]?.with,
              env: rawSteps[i]?.env,
            }))
          : [],
    };
  });
  return {
    name: file.name,
    errors,
    events: JSON.parse(JSON.stringify(template.events ?? {})) as Record<string, unknown>,
    jobs,
    raw,
  };
}
