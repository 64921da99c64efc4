import { ReceiptError } from '../../core/errors';
import { sha256Tagged } from '../../core/digest';
import { parseJsonText, readInputFile } from '../../core/files';
import { readInstallation } from '../../core/installation';
import { parseSuppressions, SuppressionFile } from '../../policy/engine/suppressions';
import { guardNesting, parsePlanDocument, readPlanDocument } from '../../terraform/plan';
import { CommandAbout, NO_POSITIONALS, OptionSpec, parseCommandArgs, parseEnv, pickVerb } from '../lib/args';
import { Command, CommandIo } from '../lib/types';
import { PolicyResult } from '../../policy/engine/evaluate';
import { formatPolicy, PolicyFormat, policyFormatOf } from '../lib/policy-output';

/*
 * The pack (every rule, the bundle, its manifest and pins) loads after the input is parsed: a
 * process that allocates a few megabytes before its first garbage collection has V8 size its old
 * generation for that small heap, and then pays a full mark-compact in the middle of parsing a
 * large plan (see cli/commands/receipt/lazy.ts).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const pack = (): typeof import('../../policy/pack') => require('../../policy/pack');
const check = (): typeof import('../../policy/check') => require('../../policy/check');
const bundle = (): typeof import('../../policy/bundle') => require('../../policy/bundle');
/* eslint-enable @typescript-eslint/no-require-imports */

/** The synth-log reader loads only for `--synth-log`: a plan check never needs it. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const synthFindings = (): typeof import('../../receipts/render/findings') => require('../../receipts/render/findings');

const USAGE =
  'usage: kfm policy check --synth CDK_TF_JSON | --plan PLAN_JSON | --synth-log LOG [--env dev|stage|prod] [--json | --format text|json|sarif|github] [--now ISO_DATE] [--suppressions FILE] [--declarations FILE]';

const OPTIONS: OptionSpec = {
  synth: { type: 'string', help: 'judge this synthesized stack (give --synth or --plan)' },
  plan: { type: 'string', arg: 'PLAN_JSON', help: 'judge this plan (terraform show -json)' },
  'synth-log': {
    type: 'string',
    arg: 'LOG',
    help: "relay the findings of a failed cdktf synth's output (for --format sarif|github)",
  },
  'source-root': {
    type: 'string',
    arg: 'DIR',
    help: 'repository root: SARIF and annotations point at the construct in its source',
    default: 'the working directory',
  },
  env: { type: 'string', default: 'no tier-specific rules' },
  json: {
    type: 'boolean',
    help: 'the verdict and findings as JSON (--format json)',
    default: 'a report for people',
  },
  format: {
    type: 'string',
    arg: 'text|json|sarif|github',
    help: 'text; json; sarif (SARIF 2.1.0 for code scanning); github (::error annotations)',
    default: 'text (json with --json)',
  },
  'docs-base': {
    type: 'string',
    arg: 'URL',
    help: "the repository's docs/ on the web: SARIF rules link docs/policy.md",
    default: 'no link',
  },
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
  declarations: {
    type: 'string',
    arg: 'FILE',
    help: 'what the platform declares (external resources, trusted public ranges), replacing policy/config/external-resources.json; part of the bundle digest',
    default: 'the committed file',
  },
};

const ABOUT: CommandAbout = {
  summary: 'Run the policy pack on synthesized JSON or plan JSON: same rules, same findings.',
  example: 'policy check --plan plans/prod.plan.json --env prod --json',
  exits: '1 when the verdict is fail',
};

/**
 * `kfm policy check`: exit 0 pass, 1 fail, 2 bad input. stdout holds the result only.
 * The clock is read once, for suppression expiry: --now, else KFM_POLICY_NOW, else the wall clock.
 */
export const policy: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  pickVerb('policy', verb, { check: true });
  const { values } = parseCommandArgs('policy check', rest, OPTIONS, NO_POSITIONALS, ABOUT);
  const synth = values.synth as string | undefined;
  const plan = values.plan as string | undefined;
  const log = values['synth-log'] as string | undefined;
  if ([synth, plan, log].filter((x) => x !== undefined).length !== 1) {
    throw new ReceiptError('USAGE', `kfm policy check: give exactly one of --synth, --plan or --synth-log; ${USAGE}`);
  }
  const format = policyFormatOf(values);
  if (log !== undefined) return relaySynthLog(io, log, format, values);
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
      pack().KFM_PACK.map((r) => r.id),
    );
  }
  const declarationsPath = values.declarations as string | undefined;
  const declarations =
    declarationsPath === undefined
      ? undefined
      : {
          doc: parseJsonText(
            readInputFile(declarationsPath, 'declarations').toString('utf8'),
            declarationsPath,
            'declarations JSON',
          ),
          origin: declarationsPath,
        };
  // The installation whose declared facts apply: cdktf.json's kfm:namePrefix and kfm:repository in
  // the working directory (the stacks read the same keys), the defaults when there is none.
  const installation = readInstallation(io.cwd);
  const file = (synth ?? plan) as string;
  const kind = synth ? 'synth' : 'plan';
  const { doc, digest, bytes } = readJudged(file, kind, format);
  const result = guardNesting(file, synth ? 'cdk.tf.json' : 'plan JSON', () =>
    check().checkPolicy({ kind, doc, origin: file, env, now, suppressions, installation, declarations }),
  );
  // `input` binds the decision to the exact file and env judged: `kfm receipt plan --policy`
  // refuses a decision made for another plan or another env.
  const input = { kind, digest, env: env ?? null };
  io.stdout(
    formatPolicy(format, result, input, {
      file,
      bytes,
      kind,
      docsBase: values['docs-base'] as string | undefined,
      sourceRoot: values['source-root'] as string | undefined,
      installation,
    }),
  );
  if (result.verdict === 'fail')
    io.stderr(`kfm: policy check failed: ${result.findings.length} finding(s) in ${file}\n`);
  return result.verdict === 'pass' ? 0 : 1;
};

/**
 * The file judged, parsed, and the digest of its bytes. A plan is read by the same reader as `kfm
 * receipt plan` (the same inputs pass or fail to parse); its bytes are kept only for the formats
 * that locate findings in the text (SARIF, annotations).
 */
function readJudged(
  file: string,
  kind: 'synth' | 'plan',
  format: PolicyFormat,
): { doc: unknown; digest: string; bytes?: Buffer } {
  if (kind === 'plan' && (format === 'json' || format === 'text')) {
    const { doc, digest } = guardNesting(file, 'plan JSON', () => readPlanDocument(file));
    return { doc, digest };
  }
  const bytes = readInputFile(file, kind === 'synth' ? 'cdk.tf.json' : 'plan JSON');
  const doc =
    kind === 'synth'
      ? parseJsonText(bytes.toString('utf8'), file, 'cdk.tf.json')
      : guardNesting(file, 'plan JSON', () => parsePlanDocument(bytes, file));
  return { doc, digest: sha256Tagged(bytes), bytes };
}

/**
 * `--synth-log LOG`: a synth the policy failed writes no cdk.tf.json, only cdktf's error; its
 * `kfm policy` lines are the findings. Relayed as SARIF or annotations (exit 1 when any), never judged
 * anew: the bundle digest is the one the log names, else this pack's.
 */
function relaySynthLog(io: CommandIo, log: string, format: PolicyFormat, values: Record<string, unknown>): number {
  if (format === 'json')
    throw new ReceiptError('USAGE', 'kfm policy check: --synth-log relays findings; --format json is for a verdict');
  const bytes = readInputFile(log, 'synth log');
  const findings = synthFindings().parseSynthFindings(bytes.toString('utf8'));
  const ours = bundle().bundleOf(pack().KFM_PACK, bundle().committedSuppressionFile());
  const digest = /\[bundle (sha256:[0-9a-f]{64})\]/.exec(bytes.toString('utf8'))?.[1] ?? ours.digest;
  const result: PolicyResult = {
    bundle: { digest, rules: ours.rules },
    evaluated: findings.length,
    findings: findings.map(({ rule, severity, address, message, remediation }) => ({
      rule,
      severity: severity as PolicyResult['findings'][number]['severity'],
      address,
      message,
      remediation,
    })),
    suppressed: [],
    verdict: findings.length ? 'fail' : 'pass',
  };
  io.stdout(
    formatPolicy(
      format,
      result,
      { kind: 'synth-log' },
      {
        file: log,
        bytes: Buffer.from('{}'),
        kind: 'synth-log',
        docsBase: values['docs-base'] as string | undefined,
        sourceRoot: values['source-root'] as string | undefined,
      },
    ),
  );
  return findings.length ? 1 : 0;
}
