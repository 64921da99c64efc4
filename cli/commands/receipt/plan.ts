import { basename } from 'node:path';
import { sha256Tagged } from '../../../core/digest';
import { readInputFile, refuseExisting } from '../../../core/files';
import { guardNesting, readPlanDocument } from '../../../terraform/plan';
import type { PolicyDecisions } from '../../../receipts/plan/policy-input';
import { CommandAbout, OptionSpec, parseCommandArgs, parseEnv, requireOpt } from '../../lib/args';
import { CommandIo } from '../../lib/types';
import { exposureView, keys, planReceipt, policyInput } from './lazy';
import { authorOf, context, emit, PROVENANCE, str, WRITE } from './shared';

const OPTIONS: OptionSpec = {
  ...WRITE,
  ...PROVENANCE,
  'plan-file': { type: 'string' },
  policy: { type: 'string', default: 'no verdict recorded' },
  author: {
    type: 'string',
    arg: 'LOGIN',
    help: "the change's author (prod approval needs it)",
    default: 'unknown',
  },
  rollback: {
    type: 'boolean',
    help: "the plan is the tier's rollback (scripts/plan.sh ENV --rollback): its apply never counts as the tier applied",
  },
};

/** The plan JSON name scripts/plan.sh ENV --rollback writes. */
const ROLLBACK_PLAN_JSON = /\.rollback\.plan\.json$/;

const POSITIONALS = { min: 1, max: 1, names: 'PLAN_JSON' };

const ABOUT: CommandAbout = {
  summary: 'Sign a plan receipt from `terraform show -json` output: changes and paths, never values.',
  example:
    'receipt plan plans/dev.plan.json --env dev --key .kfm/keys/kfm-signing.key --out dev.plan.receipt.json --plan-file plans/dev.tfplan --policy plans/dev.policy.json',
};

export function plan(io: CommandIo): number {
  const cmd = 'receipt plan';
  const { values: v, positionals } = parseCommandArgs(cmd, io.argv, OPTIONS, POSITIONALS, ABOUT);
  const planPath = positionals[0]!;
  const env = parseEnv(cmd, requireOpt(cmd, v, 'env'));
  const out = requireOpt(cmd, v, 'out');
  refuseExisting(out);
  // The plan first, the signing side after (see the note on lazy modules above).
  const { doc, digest: planDigest } = readPlanDocument(planPath);
  const signing = keys().loadSigningKey(requireOpt(cmd, v, 'key'));
  const ctx = {
    ...context(cmd, v, io, signing),
    author: authorOf(cmd, str(v, 'author')),
    // scripts/plan.sh --rollback names its output ENV.rollback.plan.json: that name alone marks it too.
    ...(v.rollback === true || ROLLBACK_PLAN_JSON.test(basename(planPath)) ? { purpose: 'rollback' as const } : {}),
  };
  const planFile = str(v, 'plan-file');
  const planFileBytes = planFile ? readInputFile(planFile, 'plan file') : undefined;
  const policyPath = str(v, 'policy');
  const policy: PolicyDecisions | null = policyPath
    ? policyInput().parsePolicyDecisions(readInputFile(policyPath, 'policy check JSON'), policyPath, {
        planDigest,
        env,
      })
    : null;
  const statement = guardNesting(planPath, 'plan JSON', () =>
    planReceipt().buildPlanStatement(
      doc,
      planPath,
      {
        planJsonName: basename(planPath),
        planJsonDigest: planDigest,
        planFileName: planFile ? basename(planFile) : undefined,
        planFileDigest: planFileBytes ? sha256Tagged(planFileBytes) : undefined,
      },
      ctx,
      policy,
      exposureView().exposureChanges(doc.resource_changes),
    ),
  );
  const s = statement.predicate.summary;
  return emit(
    io,
    v,
    statement,
    signing,
    out,
    `Plan: ${s.add} to add, ${s.change} to change, ${s.remove} to destroy.${s.errored ? ' (plan errored)' : ''}`,
  );
}
