import { existsSync } from 'node:fs';
import { ReceiptError } from '../../../core/errors';
import { readInputFile } from '../../../core/files';
import type { CommentEnv, CommentEnvInput } from '../../../receipts/render/pr-comment';
import type { SynthFinding } from '../../../receipts/render/findings';
import { CommandAbout, NO_POSITIONALS, OptionSpec, parseCommandArgs } from '../../lib/args';
import { CommandIo } from '../../lib/types';
import { constructPathsOf, exposureView, findingsOf, keys, prComment, statements } from './lazy';
import { sha256Tagged } from '../../../core/digest';
import { parseJsonNoEcho } from '../../../core/json';
import { str, strs } from './shared';
import type { PlanExposureChange } from '../../../attest/predicates';

const OPTIONS: OptionSpec = {
  pub: {
    type: 'string',
    multiple: true,
    help: 'trusted key of the review receipts (repeatable)',
    default: 'required when a --receipt file exists',
  },
  receipt: {
    type: 'string',
    multiple: true,
    arg: 'ENV=RECEIPT',
    help: "ENV's plan receipt; a file that does not exist shows as not produced",
    default: 'none',
  },
  synth: {
    type: 'string',
    multiple: true,
    arg: 'ENV=CDK_TF_JSON',
    help: "construct paths of ENV's synthesized stack (a missing file is skipped)",
    default: 'addresses',
  },
  plan: {
    type: 'string',
    multiple: true,
    arg: 'ENV=PLAN_JSON',
    help: "ENV's plan JSON (the receipt's own input, checked by digest): its exposure changes are shown when the receipt predates recording them",
    default: "the receipt's exposure facts",
  },
  'synth-log': {
    type: 'string',
    arg: 'FILE',
    help: "a failed cdktf synth's output: its policy findings are shown (nothing else of it is)",
    default: 'none',
  },
  commit: { type: 'string', help: 'the commit the comment is about', default: 'none shown' },
  'run-url': { type: 'string', arg: 'URL', help: 'this run, linked for full renderings', default: 'no link' },
  'docs-base': {
    type: 'string',
    arg: 'URL',
    help: "the repository's docs/ on the web: each rule links docs/policy.md",
    default: 'rule ids without links',
  },
  'max-chars': { type: 'string', arg: 'N', help: 'longest comment (>= 2000)', default: '65536 (a GitHub comment)' },
};

const ABOUT: CommandAbout = {
  summary: 'The one PR comment for every tier: a summary table, then prod, stage, dev with findings first.',
  example:
    'receipt comment --pub k.pub --receipt prod=prod.plan.receipt.json --synth prod=cdktf.out/stacks/prod/cdk.tf.json',
  exits: '3 when a receipt that exists does not verify',
};

const TIERS: readonly CommentEnv[] = ['dev', 'stage', 'prod'];

function envSpec(cmd: string, flag: string, spec: string): [CommentEnv, string] {
  const i = spec.indexOf('=');
  const env = spec.slice(0, i) as CommentEnv;
  if (i <= 0 || !TIERS.includes(env))
    throw new ReceiptError('USAGE', `kfm ${cmd}: --${flag} must be ENV=FILE with ENV one of ${TIERS.join(', ')}`);
  return [env, spec.slice(i + 1)];
}

/** `kfm receipt comment`: verify each tier's plan receipt and print the PR comment (markdown). */
export function comment(io: CommandIo): number {
  const cmd = 'receipt comment';
  const { values: v } = parseCommandArgs(cmd, io.argv, OPTIONS, NO_POSITIONALS, ABOUT);
  const mc = str(v, 'max-chars');
  const maxChars = mc === undefined ? 65536 : Number(mc);
  if (!Number.isInteger(maxChars) || maxChars < 2000)
    throw new ReceiptError('USAGE', `kfm ${cmd}: --max-chars must be an integer >= 2000`);
  const present = strs(v, 'receipt').filter((spec) => existsSync(envSpec(cmd, 'receipt', spec)[1]));
  const trusted = present.length ? keys().requireTrustedKeys(cmd, strs(v, 'pub')) : [];
  const inputs = new Map<CommentEnv, CommentEnvInput>(TIERS.map((env) => [env, { env }]));
  const set = (env: CommentEnv, patch: Partial<CommentEnvInput>): void => {
    inputs.set(env, { ...inputs.get(env)!, ...patch });
  };
  for (const spec of strs(v, 'receipt')) {
    const [env, file] = envSpec(cmd, 'receipt', spec);
    if (!existsSync(file)) continue;
    const statement = statements().readVerifiedStatement(readInputFile(file, 'plan receipt'), file, trusted);
    set(env, { receipt: { statement, artifact: file } });
  }
  for (const spec of strs(v, 'synth')) {
    const [env, file] = envSpec(cmd, 'synth', spec);
    if (existsSync(file))
      set(env, {
        constructPaths: constructPathsOf().parseConstructPaths(readInputFile(file, 'synthesized stack'), file),
      });
  }
  for (const spec of strs(v, 'plan')) {
    const [env, file] = envSpec(cmd, 'plan', spec);
    const input = inputs.get(env)!;
    if (!existsSync(file) || !input.receipt) continue;
    const computed = exposureOf(file, input.receipt.statement.predicate);
    if (computed) set(env, { exposure: computed });
  }
  const log = str(v, 'synth-log');
  if (log !== undefined && existsSync(log))
    attachSynthFindings(inputs, findingsOf().parseSynthFindings(readInputFile(log, 'synth log').toString('utf8')));
  io.stdout(
    prComment().renderPrComment([...inputs.values()], {
      maxChars,
      commit: str(v, 'commit'),
      runUrl: str(v, 'run-url'),
      docsBase: str(v, 'docs-base'),
      marker: '<!-- kfm-plan-receipt -->',
    }),
  );
  return 0;
}

/** Each finding to its stack's tier (a stack of no tier, `audit`, to prod); the others say synth stopped. */
function attachSynthFindings(inputs: Map<CommentEnv, CommentEnvInput>, found: readonly SynthFinding[]): void {
  if (!found.length) return;
  const stacks = [...new Set(found.map((f) => f.stack))].join(', ');
  for (const [env, input] of inputs) {
    if (input.receipt) continue;
    const mine = found.filter((f) => (prComment().tierOfStack(f.stack) ?? 'prod') === env);
    inputs.set(
      env,
      mine.length
        ? { ...input, synthFindings: mine }
        : { ...input, missing: `cdktf synth stopped at the policy failure of stack ${stacks}` },
    );
  }
}

/**
 * The exposure changes of a plan JSON, only when it is the very file the receipt was made from:
 * the receipt's own facts when it records them (the plan is then only checked), else the policy
 * pack's exposure view of the plan (a receipt written before the field).
 */
function exposureOf(file: string, predicate: unknown): readonly PlanExposureChange[] | undefined {
  const bytes = readInputFile(file, 'plan JSON');
  const p = predicate as { inputs?: { digest?: string }[]; exposure?: readonly PlanExposureChange[] };
  const digest = sha256Tagged(bytes);
  if (!(p.inputs ?? []).some((i) => i.digest === digest))
    throw new ReceiptError(
      'INPUT_INVALID',
      `${file}: not the plan JSON its receipt was made from (digest ${digest}); give the receipt's own plan`,
    );
  if (p.exposure) return undefined;
  return exposureView().exposureChangesOfPlan(
    parseJsonNoEcho(bytes.toString('utf8'), file, 'plan JSON', 'INPUT_INVALID'),
  );
}
