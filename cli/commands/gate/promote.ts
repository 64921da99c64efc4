import { ReceiptError } from '../../../core/errors';
import { writeFileExclusive } from '../../../core/files';
import { PREDICATE_TYPES } from '../../../attest/predicate-types';
import { signPipelineStatement } from '../../../attest/pipeline-statement';
import { appendToLedger } from '../../../gates/ledger';
import { promotionManifest } from '../../../gates/manifest';
import { pinnedBundleDigest } from '../../../gates/pins';
import { evaluatePromotion, GateItem } from '../../../gates/promote';
import { judgeWithUnwitnessed } from '../../../gates/unwitnessed';
import { CommandAbout, NO_POSITIONALS, parseCommandArgs, parseEnv, requireOpt } from '../../lib/args';
import { eventTime } from '../../lib/clock';
import { loadSigningKey } from '../../lib/keys';
import { CommandIo } from '../../lib/types';
import { gateEvidence, LEDGER_OPTS, ledgerJson, ledgerSource, printDecision } from './ledger-args';

const OPTIONS = {
  ...LEDGER_OPTS,
  to: { type: 'string', required: true, arg: 'stage|prod', help: 'the tier to promote into' },
  key: {
    type: 'string',
    help: 'when allowed, sign and append the promotion manifest with this key',
    default: 'judge only',
  },
  'manifest-out': {
    type: 'string',
    arg: 'FILE',
    help: 'with --key: write the signed promotion manifest to FILE instead of appending it (to certify it keyless first, then append)',
    default: 'appended to the ledger',
  },
  timestamp: { type: 'string' },
} as const;

const ABOUT: CommandAbout = {
  summary: 'Decide from verified ledger evidence whether a commit may be promoted (fail closed).',
  example:
    'gate promote --to prod --store .kfm/audit --pub keys/kfm-ci.pub --approver alice=keys/approvers/alice.pub --commit 0123abc --checkpoint trusted.cp',
  exits: '1 when the promotion is blocked',
};

/**
 * `kfm gate promote --to stage|prod --store STORE --pub PUB... --commit SHA [--key KEY]
 *   [--approver NAME=PUB...] [--checkpoint FILE...] [--witness NAME=PUB... --quorum N]
 *   [--endpoint URL] [--timestamp RFC3339] [--json]`
 *
 * `--pub` keys are trusted for receipts and records; approvals (prod) count only when signed by
 * an `--approver` key whose NAME is the approval's principal. Every `--checkpoint` must verify and
 * the ledger must be consistent with it (one larger than the log blocks, naming the first
 * missing entry); without one the read is unanchored, said on stderr and in the manifest.
 */
export async function promote(io: CommandIo): Promise<number> {
  const cmd = 'gate promote';
  const { values } = parseCommandArgs(cmd, io.argv, OPTIONS, NO_POSITIONALS, ABOUT);
  const to = parseEnv(cmd, requireOpt(cmd, values, 'to'));
  if (to !== 'stage' && to !== 'prod')
    throw new ReceiptError(
      'USAGE',
      to === 'dev'
        ? `kfm ${cmd}: --to dev: dev is the first tier; nothing is promoted into it (use stage or prod)`
        : `kfm ${cmd}: --to ${to}: ${to} is outside the promotion order; its apply is judged by kfm gate apply --env ${to}`,
    );
  const source = ledgerSource(cmd, values, io.env);
  const { commit } = source;
  const key = typeof values.key === 'string' ? loadSigningKey(values.key) : undefined;
  const gathered = await gateEvidence(cmd, source, values, io);
  const { ledger, evidence } = gathered;
  const judged = judgeWithUnwitnessed(
    (ev, rejected) => evaluatePromotion({ to, commit, evidence: ev, rejected, pinnedBundle: pinnedBundleDigest }).items,
    gathered,
  );
  const result = { items: judged, allowed: judged.length > 0 && judged.every((i) => i.ok) };
  const items: GateItem[] = [ledger.integrity, ...result.items];
  const allowed = result.allowed && ledger.integrity.ok;

  let manifest: { seq: number; digest: string } | { out: string; digest: string } | null = null;
  if (allowed && key) {
    const at = eventTime(cmd, values.timestamp as string | undefined, io.env);
    const m = promotionManifest(to, commit, result.items, evidence, ledger.judged, at);
    const signed = signPipelineStatement(PREDICATE_TYPES.promotion, m.subject, m.predicate, key);
    const out = values['manifest-out'];
    if (typeof out === 'string') {
      writeFileExclusive(out, signed.bytes);
      manifest = { out, digest: signed.digest };
    } else manifest = await appendToLedger(source.store, source.options, Buffer.from(signed.bytes, 'utf8'));
  }
  return printDecision(io, values.json === true, allowed, items, {
    to,
    commit,
    manifest,
    ledger: ledgerJson(gathered),
  });
}
