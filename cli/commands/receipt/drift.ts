import { basename } from 'node:path';
import { ReceiptError } from '../../../core/errors';
import { refuseExisting } from '../../../core/files';
import { guardNesting, readPlanDocument } from '../../../terraform/plan';
import { CommandAbout, OptionSpec, parseCommandArgs, parseEnv, requireOpt } from '../../lib/args';
import { IDENTITY_OPTS, loadIdentityTrust } from '../../lib/identity-trust';
import { CommandIo } from '../../lib/types';
import { driftReceipt, keys, statements } from './lazy';
import { applyReceiptSubject, context, emit, PROVENANCE, selfAndPubs, str, WRITE } from './shared';

const OPTIONS: OptionSpec = {
  ...WRITE,
  ...PROVENANCE,
  'last-good': { type: 'string', arg: 'SHA', help: 'last commit known to match reality', default: 'none' },
  'apply-receipt': { type: 'string', arg: 'FILE', help: 'the apply receipt whose result this checked' },
  pub: { type: 'string', multiple: true, arg: 'PUB', help: 'trusted key the apply receipt may be signed by' },
  ...IDENTITY_OPTS,
};

const POSITIONALS = { min: 1, max: 1, names: 'PLAN_JSON' };

const ABOUT: CommandAbout = {
  summary: 'Sign a drift receipt from a refresh-only plan (`terraform plan -refresh-only`, shown as JSON).',
  example:
    'receipt drift plans/prod.drift.json --env prod --key .kfm/keys/kfm-signing.key --out prod.drift.receipt.json',
};

export function drift(io: CommandIo): number {
  const cmd = 'receipt drift';
  const { values: v, positionals } = parseCommandArgs(cmd, io.argv, OPTIONS, POSITIONALS, ABOUT);
  const planPath = positionals[0]!;
  const env = parseEnv(cmd, requireOpt(cmd, v, 'env'));
  const out = requireOpt(cmd, v, 'out');
  refuseExisting(out);
  const lastGood = str(v, 'last-good') ?? null;
  if (lastGood !== null && !/^[0-9a-fA-F]{7,64}$/.test(lastGood))
    throw new ReceiptError('USAGE', `kfm ${cmd}: --last-good is not a hex commit SHA (7-64 hex digits)`);
  const { doc, digest: planDigest } = readPlanDocument(planPath);
  const signing = keys().loadSigningKey(requireOpt(cmd, v, 'key'));
  const ctx = context(cmd, v, io, signing);
  const applyPath = str(v, 'apply-receipt');
  const bound = applyPath
    ? [applyReceiptSubject(cmd, applyPath, selfAndPubs(cmd, v, signing), env, loadIdentityTrust(cmd, v))]
    : [];
  const built = guardNesting(planPath, 'plan JSON', () =>
    driftReceipt().buildDriftStatement(
      doc,
      planPath,
      { planJsonName: basename(planPath), planJsonDigest: planDigest },
      ctx,
      lastGood?.toLowerCase() ?? null,
    ),
  );
  // The apply receipt whose result this checked: the gates count a drift report only for it.
  const statement = statements().buildStatement([...built.subject, ...bound], built.predicateType, built.predicate);
  const s = (statement.predicate as { summary: { drifted: number } }).summary;
  return emit(io, v, statement, signing, out, `Drift: ${s.drifted} resource(s) changed outside Terraform.`);
}
