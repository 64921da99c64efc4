import { basename } from 'node:path';
import { ReceiptError } from '../../core/errors';
import { sha256Tagged } from '../../core/digest';
import { readInputFile, refuseExisting, writeFileExclusive } from '../../core/files';
import type { AuthorInfo, ReceiptContext } from '../../receipts/plan/build-plan-receipt';
import { guardNesting, parsePlanDocument } from '../../terraform/plan';
import type { PolicyDecisions } from '../../receipts/plan/policy-input';
import type { CommitmentKey } from '../../receipts/redact/commitment';
import type { SigningKey, TrustedKey } from '../../attest/sign/ed25519';
import { PREDICATE_TYPES } from '../../attest/predicate-types';
import type { Statement, Subject } from '../../attest/statement';
import { OptionSpec, parseCommandArgs, parseEnv, pickVerb, requireOpt } from '../lib/args';
import { Command, CommandIo } from '../lib/types';

/*
 * Modules of one verb load when that verb runs: `kfm receipt plan` on a 10,000-change plan is
 * timed against a bare read + hash + parse, and never needs the stream reader or the renderers.
 * The signing side (keys, provenance, commitments, the statement builder and signer) loads after
 * `receipt plan` and `receipt drift` have read and parsed the plan: a process that allocates a
 * megabyte before its first garbage collection has V8 size its old generation for that small heap,
 * and then pays a full mark-compact during the parse of a large plan (about 25 ms on the bench's
 * 20 MB plan; `npm run bench receipts` counts them).
 */
/* eslint-disable @typescript-eslint/no-require-imports */
const keys = (): typeof import('../lib/keys') => require('../lib/keys');
const ed25519 = (): typeof import('../../attest/sign/ed25519') => require('../../attest/sign/ed25519');
const commitments = (): typeof import('../../receipts/redact/commitment') =>
  require('../../receipts/redact/commitment');
const provenance = (): typeof import('../../receipts/provenance') => require('../../receipts/provenance');
const statements = (): typeof import('../../attest/statement') => require('../../attest/statement');
const planReceipt = (): typeof import('../../receipts/plan/build-plan-receipt') =>
  require('../../receipts/plan/build-plan-receipt');
const applyStream = (): typeof import('../../terraform/apply-stream') => require('../../terraform/apply-stream');
const applyReceipt = (): typeof import('../../receipts/apply/build-apply-receipt') =>
  require('../../receipts/apply/build-apply-receipt');
const driftReceipt = (): typeof import('../../receipts/drift/build-drift-receipt') =>
  require('../../receipts/drift/build-drift-receipt');
const policyInput = (): typeof import('../../receipts/plan/policy-input') =>
  require('../../receipts/plan/policy-input');
const constructPathsOf = (): typeof import('../../receipts/render/construct-paths') =>
  require('../../receipts/render/construct-paths');
const renderJsonOf = (): typeof import('../../receipts/render/json') => require('../../receipts/render/json');
const markdown = (): typeof import('../../receipts/render/markdown') => require('../../receipts/render/markdown');
/* eslint-enable @typescript-eslint/no-require-imports */

const PROVENANCE: OptionSpec = {
  commit: { type: 'string', default: 'GITHUB_SHA, else git rev-parse HEAD' },
  branch: { type: 'string' },
  actor: { type: 'string' },
  method: { type: 'string' },
};
const WRITE: OptionSpec = {
  env: { type: 'string', required: true },
  key: { type: 'string', required: true },
  out: { type: 'string', required: true, help: 'receipt file to write; never overwritten', arg: 'RECEIPT' },
  json: { type: 'boolean', help: 'print {summary, digest, out} as JSON', default: 'a summary line' },
  'commitment-key': { type: 'string' },
};

type Values = Record<string, unknown>;
const str = (v: Values, k: string): string | undefined => (typeof v[k] === 'string' ? (v[k] as string) : undefined);
const strs = (v: Values, k: string): string[] =>
  Array.isArray(v[k]) ? (v[k] as string[]) : typeof v[k] === 'string' ? [v[k] as string] : [];

/** The signing key's own public part and every --pub: what a receipt named as input must verify under. */
function selfAndPubs(cmd: string, v: Values, signing: SigningKey): TrustedKey[] {
  return [
    ed25519().trustedKeyOf(signing, `${requireOpt(cmd, v, 'key')} (public part)`),
    ...keys().loadTrustedKeys(strs(v, 'pub')),
  ];
}

/**
 * The commitment key: `--commitment-key FILE` (>= 32 random bytes; raw, hex or base64), else
 * derived from the signing key by HKDF-SHA256 with a kfm domain label (see redact/commitment.ts).
 */
function loadCommitmentKey(v: Values, signing: SigningKey): CommitmentKey {
  const f = str(v, 'commitment-key');
  return f
    ? commitments().parseCommitmentKey(readInputFile(f, 'commitment key'), f)
    : commitments().deriveCommitmentKey(signing.privateKey);
}

function context(cmd: string, v: Values, io: CommandIo, signing: SigningKey): ReceiptContext {
  const env = parseEnv(cmd, requireOpt(cmd, v, 'env'));
  return {
    env,
    repo: provenance().resolveRepo({ commit: str(v, 'commit'), branch: str(v, 'branch') }, io.env, io.cwd),
    actor: provenance().resolveActor({ actor: str(v, 'actor'), method: str(v, 'method') }, io.env),
    commitmentKey: loadCommitmentKey(v, signing),
  };
}

/** A login, optionally a bot's (`name[bot]`, which never approves). */
const LOGIN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}(\[bot\])?$/;

/** `--author LOGIN`: the change's author; empty or absent is unknown (the prod gate then refuses approval). */
function authorOf(cmd: string, author: string | undefined): AuthorInfo {
  if (author === undefined || author === '') return { principal: null, source: 'unknown' };
  if (!LOGIN.test(author))
    throw new ReceiptError('USAGE', `kfm ${cmd}: --author is not a login (letters, digits, . _ -; optional [bot])`);
  return { principal: author, source: 'flag' };
}

/**
 * `--apply-receipt FILE`: the apply receipt a record checked, verified under the signing key or
 * any --pub; returned as an in-toto subject (its envelope digest) that binds the record to it.
 */
function applyReceiptSubject(cmd: string, path: string, trusted: TrustedKey[], env: string): Subject {
  const r = statements().readVerifiedStatement(readInputFile(path, 'apply receipt'), path, trusted);
  if (r.predicateType !== PREDICATE_TYPES.apply)
    throw new ReceiptError(
      'INPUT_INVALID',
      `${path}: --apply-receipt is not an apply receipt (${PREDICATE_TYPES.apply})`,
    );
  if (r.predicate.env !== env)
    throw new ReceiptError(
      'INPUT_INVALID',
      `${path}: --apply-receipt is for env "${String(r.predicate.env)}", not ${env}`,
    );
  return statements().subjectOf(`apply-receipt:${basename(path)}`, r.envelopeDigest);
}

function emit(
  io: CommandIo,
  v: Values,
  statement: Statement<unknown>,
  signing: SigningKey,
  out: string,
  human: string,
): number {
  const { bytes, digest } = statements().signStatement(statement, signing);
  writeFileExclusive(out, bytes);
  const summary = (statement.predicate as { summary: unknown }).summary;
  if (v.json === true) io.stdout(JSON.stringify({ summary, digest, out }) + '\n');
  else io.stdout(`${human}\nreceipt ${out} ${digest}\n`);
  return 0;
}

const plan = (io: CommandIo): number => {
  const cmd = 'receipt plan';
  const { values: v, positionals } = parseCommandArgs(
    cmd,
    io.argv,
    {
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
    },
    { min: 1, max: 1, names: 'PLAN_JSON' },
    {
      summary: 'Sign a plan receipt from `terraform show -json` output: changes and paths, never values.',
      example:
        'receipt plan plans/dev.plan.json --env dev --key .kfm/keys/kfm-signing.key --out dev.plan.receipt.json --plan-file plans/dev.tfplan --policy plans/dev.policy.json',
    },
  );
  const planPath = positionals[0]!;
  const env = parseEnv(cmd, requireOpt(cmd, v, 'env'));
  const out = requireOpt(cmd, v, 'out');
  refuseExisting(out);
  // The plan first, the signing side after (see the note on lazy modules above).
  const planBytes = readInputFile(planPath, 'plan JSON');
  const planDigest = sha256Tagged(planBytes);
  const doc = parsePlanDocument(planBytes, planPath);
  const signing = keys().loadSigningKey(requireOpt(cmd, v, 'key'));
  const ctx = { ...context(cmd, v, io, signing), author: authorOf(cmd, str(v, 'author')) };
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
};

const apply = (io: CommandIo): number => {
  const cmd = 'receipt apply';
  const { values: v, positionals } = parseCommandArgs(
    cmd,
    io.argv,
    {
      ...WRITE,
      ...PROVENANCE,
      'plan-receipt': { type: 'string', required: true, help: 'the signed plan receipt this apply carried out' },
      'plan-file': { type: 'string', help: 'the plan file applied; must be a subject of the plan receipt' },
      pub: {
        type: 'string',
        multiple: true,
        help: 'another key the plan receipt may be signed with',
        default: 'the public part of --key',
      },
    },
    { min: 1, max: 1, names: 'APPLY_JSONL' },
    {
      summary: 'Sign an apply receipt from the `terraform apply -json` stream, bound to its plan receipt.',
      example:
        'receipt apply apply.jsonl --env dev --plan-receipt dev.plan.receipt.json --key .kfm/keys/kfm-signing.key --out dev.apply.receipt.json',
    },
  );
  const streamPath = positionals[0]!;
  parseEnv(cmd, requireOpt(cmd, v, 'env'));
  const prPath = requireOpt(cmd, v, 'plan-receipt');
  const out = requireOpt(cmd, v, 'out');
  refuseExisting(out);
  const signing = keys().loadSigningKey(requireOpt(cmd, v, 'key'));
  const ctx = context(cmd, v, io, signing);
  // The plan receipt must verify: under the signing key's own public key, or any --pub given.
  const trusted = selfAndPubs(cmd, v, signing);
  const verifiedPlan = statements().readVerifiedStatement(readInputFile(prPath, 'plan receipt'), prPath, trusted);
  const streamBytes = readInputFile(streamPath, 'apply stream');
  const facts = applyStream().parseApplyStream(streamBytes, streamPath);
  const planFile = str(v, 'plan-file');
  if (planFile) {
    const d = sha256Tagged(readInputFile(planFile, 'plan file')).slice(7);
    if (!verifiedPlan.statement.subject.some((s) => s.digest.sha256 === d)) {
      throw new ReceiptError(
        'INPUT_INVALID',
        `${planFile}: --plan-file digest is not a subject of the plan receipt ${prPath}; this is not the plan that was receipted`,
      );
    }
  }
  const statement = guardNesting(streamPath, 'apply stream', () =>
    applyReceipt().buildApplyStatement(
      facts,
      verifiedPlan,
      prPath,
      { streamName: basename(streamPath), streamDigest: sha256Tagged(streamBytes), planReceiptName: basename(prPath) },
      ctx,
    ),
  );
  const s = (statement.predicate as { summary: { status: string; add: number; change: number; remove: number } })
    .summary;
  return emit(
    io,
    v,
    statement,
    signing,
    out,
    `Apply ${s.status}: ${s.add} added, ${s.change} changed, ${s.remove} destroyed.`,
  );
};

const drift = (io: CommandIo): number => {
  const cmd = 'receipt drift';
  const { values: v, positionals } = parseCommandArgs(
    cmd,
    io.argv,
    {
      ...WRITE,
      ...PROVENANCE,
      'last-good': { type: 'string', arg: 'SHA', help: 'last commit known to match reality', default: 'none' },
      'apply-receipt': { type: 'string', arg: 'FILE', help: 'the apply receipt whose result this checked' },
      pub: { type: 'string', multiple: true, arg: 'PUB', help: 'trusted key the apply receipt may be signed by' },
    },
    { min: 1, max: 1, names: 'PLAN_JSON' },
    {
      summary: 'Sign a drift receipt from a refresh-only plan (`terraform plan -refresh-only`, shown as JSON).',
      example:
        'receipt drift plans/prod.drift.json --env prod --key .kfm/keys/kfm-signing.key --out prod.drift.receipt.json',
    },
  );
  const planPath = positionals[0]!;
  const env = parseEnv(cmd, requireOpt(cmd, v, 'env'));
  const out = requireOpt(cmd, v, 'out');
  refuseExisting(out);
  const lastGood = str(v, 'last-good') ?? null;
  if (lastGood !== null && !/^[0-9a-fA-F]{7,64}$/.test(lastGood))
    throw new ReceiptError('USAGE', `kfm ${cmd}: --last-good is not a hex commit SHA (7-64 hex digits)`);
  const planBytes = readInputFile(planPath, 'plan JSON');
  const doc = parsePlanDocument(planBytes, planPath);
  const signing = keys().loadSigningKey(requireOpt(cmd, v, 'key'));
  const ctx = context(cmd, v, io, signing);
  const applyPath = str(v, 'apply-receipt');
  const bound = applyPath ? [applyReceiptSubject(cmd, applyPath, selfAndPubs(cmd, v, signing), env)] : [];
  const built = guardNesting(planPath, 'plan JSON', () =>
    driftReceipt().buildDriftStatement(
      doc,
      planPath,
      { planJsonName: basename(planPath), planJsonDigest: sha256Tagged(planBytes) },
      ctx,
      lastGood?.toLowerCase() ?? null,
    ),
  );
  // The apply receipt whose result this checked: the gates count a drift report only for it.
  const statement = statements().buildStatement([...built.subject, ...bound], built.predicateType, built.predicate);
  const s = (statement.predicate as { summary: { drifted: number } }).summary;
  return emit(io, v, statement, signing, out, `Drift: ${s.drifted} resource(s) changed outside Terraform.`);
};

const verify = (io: CommandIo): number => {
  const cmd = 'receipt verify';
  const { values: v, positionals } = parseCommandArgs(
    cmd,
    io.argv,
    { pub: { type: 'string', multiple: true, required: true }, json: { type: 'boolean' } },
    { min: 1, max: 1, names: 'ENVELOPE' },
    {
      summary: 'Verify a receipt (DSSE envelope) with trusted public keys, offline.',
      example: 'receipt verify dev.plan.receipt.json --pub keys/kfm-ci.pub',
      exits: '3 when no trusted key verifies it',
    },
  );
  const trusted = keys().requireTrustedKeys(cmd, strs(v, 'pub'));
  const path = positionals[0]!;
  const r = statements().readVerifiedStatement(readInputFile(path, 'envelope'), path, trusted);
  const p = r.predicate;
  if (v.json === true) {
    io.stdout(
      JSON.stringify({
        verified: true,
        digest: r.envelopeDigest,
        keyid: r.key.keyid,
        predicateType: r.predicateType,
        kind: p.kind ?? null,
        env: p.env ?? null,
        subject: r.statement.subject,
      }) + '\n',
    );
  } else
    io.stdout(
      `verified ${path}: ${String(p.kind ?? r.predicateType)} env=${String(p.env ?? '-')} ${r.envelopeDigest} key ${r.key.keyid}\n`,
    );
  return 0;
};

const show = (io: CommandIo): number => {
  const cmd = 'receipt show';
  const { values: v, positionals } = parseCommandArgs(
    cmd,
    io.argv,
    {
      pub: { type: 'string', multiple: true, required: true },
      format: { type: 'string', arg: 'markdown|json', help: 'markdown (the PR comment) or JSON', default: 'markdown' },
      'max-chars': { type: 'string', arg: 'N', help: 'longest output (>= 200)', default: '65536 (a GitHub comment)' },
      synth: {
        type: 'string',
        help: 'show construct paths from this synthesized stack beside addresses',
        default: 'addresses only',
      },
      'full-link': {
        type: 'string',
        arg: 'URL',
        help: 'where the full rendering is, linked when folded',
        default: 'none',
      },
      'report-link': { type: 'string', arg: 'URL', help: 'where the HTML evidence report is, linked', default: 'none' },
    },
    { min: 1, max: 1, names: 'ENVELOPE' },
    {
      summary: 'Render a verified receipt for a reviewer: destructive changes first, within --max-chars.',
      example: 'receipt show dev.plan.receipt.json --pub keys/kfm-ci.pub --synth cdktf.out/stacks/dev/cdk.tf.json',
      exits: '3 when no trusted key verifies it',
    },
  );
  const format = str(v, 'format') ?? 'markdown';
  if (format !== 'markdown' && format !== 'json')
    throw new ReceiptError('USAGE', `kfm ${cmd}: --format must be markdown or json`);
  const mc = str(v, 'max-chars');
  const maxChars = mc === undefined ? markdown().DEFAULT_MAX_CHARS : Number(mc);
  if (!Number.isInteger(maxChars) || maxChars < 200)
    throw new ReceiptError('USAGE', `kfm ${cmd}: --max-chars must be an integer >= 200`);
  const trusted = keys().requireTrustedKeys(cmd, strs(v, 'pub'));
  const path = positionals[0]!;
  const r = statements().readVerifiedStatement(readInputFile(path, 'envelope'), path, trusted);
  const synth = str(v, 'synth');
  const constructPaths = synth
    ? constructPathsOf().parseConstructPaths(readInputFile(synth, 'synthesized stack JSON'), synth)
    : undefined;
  io.stdout(
    format === 'json'
      ? renderJsonOf().renderJson(r, path, maxChars)
      : markdown().renderMarkdown(r, path, {
          maxChars,
          constructPaths,
          fullLink: str(v, 'full-link'),
          reportLink: str(v, 'report-link'),
        }),
  );
  return 0;
};

const VERBS: Record<string, (io: CommandIo) => number> = { plan, apply, drift, verify, show };

/** `kfm receipt plan|apply|drift|verify|show ...` */
export const receipt: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  return pickVerb('receipt', verb, VERBS)({ ...io, argv: rest });
};
