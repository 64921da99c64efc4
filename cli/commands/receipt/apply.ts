import { basename } from 'node:path';
import { ReceiptError } from '../../../core/errors';
import { sha256Tagged } from '../../../core/digest';
import { readInputFile, refuseExisting } from '../../../core/files';
import { guardNesting } from '../../../terraform/plan';
import { CommandAbout, OptionSpec, parseCommandArgs, parseEnv, requireOpt } from '../../lib/args';
import { IDENTITY_OPTS, loadIdentityTrust } from '../../lib/identity-trust';
import { readRecordFile } from '../../lib/records';
import { CommandIo } from '../../lib/types';
import { applyReceipt, applyStream, keys, signers } from './lazy';
import { context, emit, PROVENANCE, selfAndPubs, str, WRITE } from './shared';

const OPTIONS: OptionSpec = {
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
  ...IDENTITY_OPTS,
};

const POSITIONALS = { min: 1, max: 1, names: 'APPLY_JSONL' };

const ABOUT: CommandAbout = {
  summary: 'Sign an apply receipt from the `terraform apply -json` stream, bound to its plan receipt.',
  example:
    'receipt apply apply.jsonl --env dev --plan-receipt dev.plan.receipt.json --key .kfm/keys/kfm-signing.key --out dev.apply.receipt.json',
};

export function apply(io: CommandIo): number {
  const cmd = 'receipt apply';
  const { values: v, positionals } = parseCommandArgs(cmd, io.argv, OPTIONS, POSITIONALS, ABOUT);
  const streamPath = positionals[0]!;
  parseEnv(cmd, requireOpt(cmd, v, 'env'));
  const prPath = requireOpt(cmd, v, 'plan-receipt');
  const out = requireOpt(cmd, v, 'out');
  refuseExisting(out);
  const signing = keys().loadSigningKey(requireOpt(cmd, v, 'key'));
  const ctx = context(cmd, v, io, signing);
  // The plan receipt must verify: under the signing key's own public key, or any --pub given, or
  // (a keyless bundle) under an identity trusted to sign it.
  const trusted = selfAndPubs(cmd, v, signing);
  const verifiedPlan = signers().readVerifiedRecord(
    readRecordFile(prPath, 'plan receipt'),
    prPath,
    trusted,
    loadIdentityTrust(cmd, v),
  );
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
}
