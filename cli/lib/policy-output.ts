import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { ReceiptError } from '../../core/errors';
import { KFM_VERSION } from '../../core/version';
import type { Installation } from '../../core/installation';
import type { PolicyResult } from '../../policy/engine/evaluate';
import type { ConstructPaths } from '../../receipts/render/construct-paths';
import type { FindingLike } from '../../receipts/render/findings';
import { displayName } from '../../receipts/render/names';
import type { SourceOf } from '../../receipts/render/sarif';

/* The SARIF and annotation writers load only for those formats: `--json` and text never need them. */
/* eslint-disable @typescript-eslint/no-require-imports */
const sarifWriter = (): typeof import('../../receipts/render/sarif') => require('../../receipts/render/sarif');
const constructPathsReader = (): typeof import('../../receipts/render/construct-paths') =>
  require('../../receipts/render/construct-paths');
/* The pack loads once the input is parsed (see cli/commands/policy.ts): this module loads before. */
const pack = (): typeof import('../../policy/pack') => require('../../policy/pack');
const check = (): typeof import('../../policy/check') => require('../../policy/check');
/* eslint-enable @typescript-eslint/no-require-imports */

/** What `kfm policy check --format` writes. */
export const POLICY_FORMATS = ['text', 'json', 'sarif', 'github'] as const;
export type PolicyFormat = (typeof POLICY_FORMATS)[number];

/** `--format`, or `--json` (kept: same as `--format json`); both given must agree. */
export function policyFormatOf(values: Record<string, unknown>): PolicyFormat {
  const f = values.format as string | undefined;
  if (f === undefined) return values.json ? 'json' : 'text';
  if (!(POLICY_FORMATS as readonly string[]).includes(f))
    throw new ReceiptError(
      'USAGE',
      `kfm policy check: --format must be one of ${POLICY_FORMATS.join(', ')}, got "${f}"`,
    );
  if (values.json && f !== 'json')
    throw new ReceiptError('USAGE', `kfm policy check: --json and --format ${f} disagree; give one`);
  return f as PolicyFormat;
}

/** The judged input, as the output formats need it. */
export interface Judged {
  readonly file: string;
  /** The bytes judged: SARIF and annotations locate findings in them (JSON and text need none). */
  readonly bytes?: Buffer;
  readonly kind: 'synth' | 'plan' | 'synth-log';
  readonly docsBase?: string;
  /** The repository root whose stacks/ and constructs/ hold construct ids. @default - the working directory */
  readonly sourceRoot?: string;
  /** The installation judged (its name prefix and repository): the `installation` key of --json. */
  readonly installation?: Installation;
}

/** The result in the asked format; SARIF and annotations locate each finding at its construct's source. */
export function formatPolicy(format: PolicyFormat, result: PolicyResult, input: object, j: Judged): string {
  if (format === 'json')
    return JSON.stringify({ ...result, input, ...(j.installation ? { installation: j.installation } : {}) }) + '\n';
  if (format === 'text') return check().formatReport(result);
  if (j.bytes === undefined) throw new ReceiptError('INTERNAL', `formatPolicy: ${format} needs the bytes judged`);
  const text = j.bytes.toString('utf8');
  const constructPaths: ConstructPaths | undefined =
    j.kind === 'synth' ? constructPathsReader().parseConstructPaths(j.bytes, j.file) : undefined;
  const root = j.sourceRoot ?? process.cwd();
  const sourceOf = constructSources(root, constructPaths);
  // A relayed synth log is no source: a finding without a construct (a stack-wide one) points at the app.
  const file = j.kind === 'synth-log' && existsSync(join(root, 'main.ts')) ? 'main.ts' : uriOf(root, j.file);
  if (format === 'github')
    return sarifWriter().toGithubAnnotations(result.findings, { file, text, constructPaths, sourceOf });
  const sarif = sarifWriter().toSarif(result.findings, {
    file,
    text,
    constructPaths,
    sourceOf,
    rules: pack().KFM_PACK,
    bundleDigest: result.bundle.digest,
    version: KFM_VERSION,
    docsBase: j.docsBase,
    category: j.kind,
  });
  return JSON.stringify(sarif, null, 2) + '\n';
}

/** A path as a SARIF artifact URI: relative to the repository root, forward slashes. */
function uriOf(root: string, file: string): string {
  const rel = relative(resolve(root), resolve(file)).split(sep).join('/');
  return encodeURI(rel.startsWith('..') ? resolve(file).split(sep).join('/') : rel);
}

/** TypeScript files of the app, where construct ids are written: main.ts, stacks/, constructs/. */
function appSources(root: string): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    if (!existsSync(dir)) return;
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts') && !name.endsWith('.d.ts')) out.push(p);
    }
  };
  if (existsSync(join(root, 'main.ts'))) out.push(join(root, 'main.ts'));
  walk(join(root, 'stacks/'));
  walk(join(root, 'constructs/')); // (the folder; a bare quoted name reads like an import to the architecture test)
  return out;
}

/**
 * Where a finding's construct is written in the source: cdktf 0.21 records no stack trace in the
 * synthesized JSON, so the construct path's ids are looked up as string literals (`'ReaderRole'`)
 * in main.ts, stacks/ and constructs/; the deepest id written exactly once wins, else the
 * shallowest id found. Undefined when none is (the finding then points at the judged file).
 */
export function constructSources(root: string, paths: ConstructPaths | undefined): SourceOf {
  let index: Map<string, { file: string; line: number }[]> | undefined;
  const build = (): Map<string, { file: string; line: number }[]> => {
    const m = new Map<string, { file: string; line: number }[]>();
    for (const f of appSources(root)) {
      readFileSync(f, 'utf8')
        .split('\n')
        .forEach((line, i) => {
          for (const lit of line.matchAll(/['"]([A-Za-z][A-Za-z0-9-]*)['"]/g)) {
            const at = m.get(lit[1]!) ?? [];
            at.push({ file: relative(root, f).split(sep).join('/'), line: i + 1 });
            m.set(lit[1]!, at);
          }
        });
    }
    return m;
  };
  return (f: FindingLike) => {
    const ids = idsOf(paths, f.address);
    if (!ids.length) return undefined;
    index ??= build();
    for (const id of [...ids].reverse()) if (index.get(id)?.length === 1) return index.get(id)![0];
    for (const id of ids) if (index.get(id)?.length) return index.get(id)![0];
    return undefined;
  };
}

/** The construct ids under the stack: from the construct path, else from the address without its hash. */
function idsOf(paths: ConstructPaths | undefined, address: string): string[] {
  const name = displayName(paths, address).replace(/\[.*\]$/, '');
  if (name.includes('/')) return name.split('/').filter(Boolean);
  const m = /^(?:data\.)?[^.[\]]+\.([^.[\]]+)$/.exec(name);
  return m ? m[1]!.split('_').filter(Boolean) : [];
}
