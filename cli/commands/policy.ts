import { ReceiptError } from '../../core/errors';
import { sha256Tagged } from '../../core/digest';
import { parseJsonText, readInputFile } from '../../core/files';
import { checkPolicy, formatReport } from '../../policy/check';
import { KFM_PACK } from '../../policy/pack';
import { parseSuppressions, SuppressionFile } from '../../policy/engine/suppressions';
import { guardNesting, parsePlanDocument } from '../../terraform/plan';
import { parseCommandArgs, parseEnv, pickVerb } from '../lib/args';
import { Command } from '../lib/types';

const USAGE =
  'usage: kfm policy check --synth CDK_TF_JSON | --plan PLAN_JSON [--env dev|stage|prod] [--json] [--now ISO_DATE] [--suppressions FILE]';

/**
 * `kfm policy check`: exit 0 pass, 1 fail, 2 bad input. stdout holds the result only.
 * The clock is read once, for suppression expiry: --now, else KFM_POLICY_NOW, else the wall clock.
 */
export const policy: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  pickVerb('policy', verb, { check: true });
  const { values } = parseCommandArgs(
    'policy check',
    rest,
    {
      synth: { type: 'string', help: 'judge this synthesized stack (give --synth or --plan)' },
      plan: { type: 'string', arg: 'PLAN_JSON', help: 'judge this plan (terraform show -json)' },
      env: { type: 'string', default: 'no tier-specific rules' },
      json: { type: 'boolean', help: 'the verdict and findings as JSON', default: 'a report for people' },
      now: {
        type: 'string',
        arg: 'ISO_DATE',
        help: 'time for suppression expiry',
        default: 'KFM_POLICY_NOW, else the clock',
      },
      suppressions: {
        type: 'string',
        arg: 'FILE',
        help: 'suppressions JSON (rule, resource, reason, expiry)',
        default: 'none',
      },
      help: { type: 'boolean', help: 'this help' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Run the policy pack on synthesized JSON or plan JSON: same rules, same findings.',
      example: 'policy check --plan plans/prod.plan.json --env prod --json',
      exits: '1 when the verdict is fail',
    },
  );
  if (values.help) {
    io.stdout(USAGE + '\n');
    return 0;
  }
  const synth = values.synth as string | undefined;
  const plan = values.plan as string | undefined;
  if ((synth === undefined) === (plan === undefined)) {
    throw new ReceiptError('USAGE', `kfm policy check: give exactly one of --synth or --plan; ${USAGE}`);
  }
  const env = values.env === undefined ? undefined : parseEnv('policy check', values.env as string);
  const nowText = (values.now as string | undefined) ?? io.env.KFM_POLICY_NOW;
  const now = nowText === undefined ? new Date() : new Date(nowText);
  if (Number.isNaN(now.getTime())) {
    throw new ReceiptError(
      'USAGE',
      `kfm policy check: ${values.now !== undefined ? '--now' : 'KFM_POLICY_NOW'} "${nowText}" is not an ISO date`,
    );
  }
  let suppressions: SuppressionFile | undefined;
  if (values.suppressions !== undefined) {
    const p = values.suppressions as string;
    const doc = parseJsonText(readInputFile(p, 'suppressions').toString('utf8'), p, 'suppressions JSON');
    suppressions = parseSuppressions(
      doc,
      p,
      KFM_PACK.map((r) => r.id),
    );
  }
  const file = (synth ?? plan) as string;
  const kind = synth ? 'synth' : 'plan';
  const bytes = readInputFile(file, synth ? 'cdk.tf.json' : 'plan JSON');
  // A plan is read by the same reader as `kfm receipt plan`: the same inputs pass or fail to parse.
  const doc = synth
    ? parseJsonText(bytes.toString('utf8'), file, 'cdk.tf.json')
    : guardNesting(file, 'plan JSON', () => parsePlanDocument(bytes, file));
  const result = guardNesting(file, synth ? 'cdk.tf.json' : 'plan JSON', () =>
    checkPolicy({ kind, doc, origin: file, env, now, suppressions }),
  );
  // `input` binds the decision to the exact file and env judged: `kfm receipt plan --policy`
  // refuses a decision made for another plan or another env.
  const input = { kind, digest: sha256Tagged(bytes), env: env ?? null };
  io.stdout(values.json ? JSON.stringify({ ...result, input }) + '\n' : formatReport(result));
  if (result.verdict === 'fail')
    io.stderr(`kfm: policy check failed: ${result.findings.length} finding(s) in ${file}\n`);
  return result.verdict === 'pass' ? 0 : 1;
};
