import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parseCommandArgs, parseEnv, pickVerb, requireOpt } from '../lib/args';
import { eventTime } from '../lib/clock';
import { loadSigningKey, loadTrustedKeys, many } from '../lib/keys';
import { WITNESS_OPTS, witnessPolicy } from '../lib/witnesses';
import { Command, CommandIo } from '../lib/types';
import { ReceiptError } from '../../core/errors';
import { readInputFile, writeFileExclusive } from '../../core/files';
import { assignRoles, classifyEntries } from '../../gates/evidence';
import { evaluatePromotion, GateItem, judgePlanReceipt } from '../../gates/promote';
import { judgePlanFile, newestApplyReceipt } from '../../gates/apply-gate';
import { promotionManifest } from '../../gates/manifest';
import { PREDICATE_TYPES } from '../../attest/predicate-types';
import { signPipelineStatement } from '../../attest/pipeline-statement';
import { readLedger, appendToLedger, AnchorOptions } from '../../gates/ledger';
import { pinnedBundleDigest } from '../../gates/pins';

/** `kfm gate promote|apply|evidence ...`. Exit 0 allowed, 1 denied, 2 bad input. */
export const gate: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  return pickVerb('gate', verb, { promote, apply: applyCheck, evidence: evidenceOut })({ ...io, argv: rest });
};

const COMMIT = /^[0-9a-f]{7,64}$/;

/** The options every gate reads the ledger with. */
const LEDGER_OPTS = {
  store: { type: 'string', required: true },
  pub: { type: 'string', multiple: true, required: true, help: 'trusted key of receipts and records' },
  approver: { type: 'string', multiple: true, arg: 'NAME=PUB', help: 'key NAME signs prod approvals with' },
  commit: { type: 'string', help: 'the commit judged' },
  endpoint: { type: 'string' },
  checkpoint: {
    type: 'string',
    multiple: true,
    arg: 'FILE',
    help: 'trusted checkpoint the ledger must be consistent with',
    default: 'unanchored read',
  },
  ...WITNESS_OPTS,
  json: { type: 'boolean', help: 'the decision and every gate item as JSON' },
} as const;

/** --store, --commit (hex), --endpoint, at least one --pub, and the trusted --checkpoint files. */
function ledgerArgs(
  cmd: string,
  values: Record<string, unknown>,
  env: CommandIo['env'],
  commitRequired = true,
): LedgerArgs {
  const store = requireOpt(cmd, values, 'store');
  const commit = commitRequired ? requireOpt(cmd, values, 'commit') : (values.commit as string | undefined);
  if (commit !== undefined && !COMMIT.test(commit))
    throw new ReceiptError('USAGE', `kfm ${cmd}: --commit "${commit}" is not a hex commit SHA`);
  if (many(values.pub).length === 0) {
    throw new ReceiptError('USAGE', `kfm ${cmd}: at least one --pub PUB (trusted key) is required`);
  }
  const policy = witnessPolicy(cmd, values);
  const anchor: AnchorOptions = {
    checkpoints: many(values.checkpoint).map((f) => ({
      source: f,
      text: readInputFile(f, 'checkpoint').toString('utf8'),
    })),
    witnesses: policy.witnesses,
    quorum: policy.quorum,
  };
  return { store, commit: commit ?? '', endpoint: values.endpoint as string | undefined, env, anchor };
}

/** What a gate reads the ledger with (`anchor`: trusted checkpoints; none is an unanchored read). */
export interface LedgerArgs {
  readonly store: string;
  readonly commit: string;
  readonly endpoint: string | undefined;
  readonly env: CommandIo['env'];
  readonly anchor?: AnchorOptions;
}

/**
 * Read and verify the ledger under every given key, then keep each statement only in its
 * signer's role: `--pub` keys sign receipts, `--approver NAME=PUB` keys sign approvals as NAME.
 */
export async function loadEvidence(
  cmd: string,
  { store, commit, endpoint, env, anchor }: LedgerArgs,
  values: Record<string, unknown>,
  io?: CommandIo,
) {
  const receiptKeys = loadTrustedKeys(many(values.pub));
  const approvers = many(values.approver).map((spec) => {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})=(.+)$/.exec(spec);
    if (!m) throw new ReceiptError('USAGE', `kfm ${cmd}: --approver "${spec}" must be NAME=PUBLIC_KEY_FILE`);
    return { name: m[1], key: loadTrustedKeys([m[2]])[0] };
  });
  const all = [...receiptKeys, ...approvers.map((a) => a.key)];
  // With a commit and a trusted anchor, the gate reads that commit's evidence by proof.
  // Checkpoints and their indexes count only under the log's keys (--pub), never an approver's.
  const anchored = anchor && { ...anchor, signers: receiptKeys };
  const ledger = await readLedger(store, { endpoint, env }, all, anchored, commit);
  if (io && !ledger.judged.anchored && ledger.integrity.ok) {
    io.stderr(
      `gate: note: unanchored read of ${store}: no trusted --checkpoint, so deleted newest entries or a rewritten history cannot be seen (docs/gates.md)\n`,
    );
  }
  const classified = classifyEntries(ledger.entries, all);
  const roles = assignRoles(
    classified.evidence,
    {
      receiptSigners: new Set(receiptKeys.map((k) => k.keyid)),
      approvers: new Map(approvers.map((a) => [a.key.keyid, a.name])),
    },
    PREDICATE_TYPES.approval,
  );
  return { ledger, evidence: roles.evidence, rejected: [...classified.rejected, ...roles.rejected] };
}

function report(
  io: CommandIo,
  json: boolean,
  allowed: boolean,
  items: readonly GateItem[],
  extra: Record<string, unknown>,
): number {
  for (const i of items) if (!i.ok) io.stderr(`gate: BLOCKED ${i.requirement}: ${i.detail}\n`);
  if (json) {
    io.stdout(JSON.stringify({ allowed, ...extra, items }) + '\n');
  } else {
    for (const i of items) io.stdout(`${i.ok ? 'ok     ' : 'BLOCKED'} ${i.requirement}: ${i.detail}\n`);
    io.stdout(`${allowed ? 'ALLOWED' : 'DENIED'}\n`);
  }
  return allowed ? 0 : 1;
}

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
async function promote(io: CommandIo): Promise<number> {
  const cmd = 'gate promote';
  const { values } = parseCommandArgs(
    cmd,
    io.argv,
    {
      ...LEDGER_OPTS,
      to: { type: 'string', required: true, arg: 'stage|prod', help: 'the tier to promote into' },
      key: {
        type: 'string',
        help: 'when allowed, sign and append the promotion manifest with this key',
        default: 'judge only',
      },
      timestamp: { type: 'string' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Decide from verified ledger evidence whether a commit may be promoted (fail closed).',
      example:
        'gate promote --to prod --store .kfm/audit --pub keys/kfm-ci.pub --approver alice=keys/approvers/alice.pub --commit 0123abc --checkpoint trusted.cp',
      exits: '1 when the promotion is blocked',
    },
  );
  const to = parseEnv(cmd, requireOpt(cmd, values, 'to'));
  if (to === 'dev')
    throw new ReceiptError(
      'USAGE',
      `kfm ${cmd}: --to dev: dev is the first tier; nothing is promoted into it (use stage or prod)`,
    );
  const args = ledgerArgs(cmd, values, io.env);
  const { store, commit, endpoint } = args;
  const key = typeof values.key === 'string' ? loadSigningKey(values.key) : undefined;
  const { ledger, evidence, rejected } = await loadEvidence(cmd, args, values, io);
  const result = evaluatePromotion({ to, commit, evidence, rejected, pinnedBundle: pinnedBundleDigest });
  const items: GateItem[] = [ledger.integrity, ...result.items];
  const allowed = result.allowed && ledger.integrity.ok;

  let manifest: { seq: number; digest: string } | null = null;
  if (allowed && key) {
    const at = eventTime(cmd, values.timestamp as string | undefined, io.env);
    const m = promotionManifest(to, commit, result.items, evidence, ledger.judged, at);
    const signed = signPipelineStatement(PREDICATE_TYPES.promotion, m.subject, m.predicate, key);
    manifest = await appendToLedger(store, { endpoint, env: io.env }, Buffer.from(signed.bytes, 'utf8'));
  }
  return report(io, values.json === true, allowed, items, {
    to,
    commit,
    manifest,
    ledger: { size: ledger.judged.size, root: ledger.judged.root, anchored: ledger.judged.anchored },
  });
}

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new ReceiptError(
      code === 'ENOENT' ? 'FILE_NOT_FOUND' : 'IO_ERROR',
      `${path}: cannot read plan file (${code ?? 'error'})`,
    );
  }
  return h.digest('hex');
}

/**
 * `kfm gate apply --env ENV --plan-file TFPLAN --store STORE --pub PUB... --commit SHA
 *   [--approver NAME=PUB...] [--checkpoint FILE...] [--endpoint URL] [--json]`
 *
 * Apply exactly what was approved: allowed only when the plan file's sha256 is a subject of the
 * latest trusted plan receipt for ENV and the commit, that receipt passes policy with the pinned
 * bundle, and (stage, prod) the promotion gate into ENV holds for it.
 */
async function applyCheck(io: CommandIo): Promise<number> {
  const cmd = 'gate apply';
  const { values } = parseCommandArgs(
    cmd,
    io.argv,
    {
      ...LEDGER_OPTS,
      env: { type: 'string', required: true },
      'plan-file': { type: 'string', required: true, help: 'the plan file about to be applied' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Allow applying a plan file only if it is the newest approved, receipted plan for ENV.',
      example:
        'gate apply --env stage --plan-file plans/stage.tfplan --store .kfm/audit --pub keys/kfm-ci.pub --commit 0123abc',
      exits: '1 when the apply is refused',
    },
  );
  const env = parseEnv(cmd, requireOpt(cmd, values, 'env'));
  const planFile = requireOpt(cmd, values, 'plan-file');
  const args = ledgerArgs(cmd, values, io.env);
  const { commit } = args;
  const planHex = await sha256File(planFile);
  const { ledger, evidence, rejected } = await loadEvidence(cmd, args, values, io);
  const { item, planReceipt } = judgePlanFile(evidence, env, commit, planFile, planHex);
  const items: GateItem[] = [ledger.integrity, item];
  const input = { commit, evidence, rejected, pinnedBundle: pinnedBundleDigest };
  // dev is the first tier: only its own plan receipt's checks apply.
  if (env === 'dev') items.push(judgePlanReceipt({ ...input, to: 'stage' }, 'dev').item);
  else items.push(...evaluatePromotion({ ...input, to: env }).items);
  const allowed = items.every((i) => i.ok);
  return report(io, values.json === true, allowed, items, {
    env,
    commit,
    plan_file: { path: planFile, sha256: planHex },
    plan_receipt: planReceipt ? { digest: planReceipt.digest, seq: planReceipt.seq } : null,
    ledger: { size: ledger.judged.size, root: ledger.judged.root, anchored: ledger.judged.anchored },
  });
}

/**
 * `kfm gate evidence --kind apply --env ENV --store STORE --pub PUB... --out FILE [--commit SHA]
 *   [--checkpoint FILE...] [--endpoint URL] [--json]`
 *
 * Write the newest trusted apply receipt of ENV (first occurrences only, as the gates count them)
 * to FILE, exactly as appended: what scripts/drift.sh and smoke.sh bind their records to.
 * Exit 1 when there is none, 3 when the ledger does not verify.
 */
async function evidenceOut(io: CommandIo): Promise<number> {
  const cmd = 'gate evidence';
  const { values } = parseCommandArgs(
    cmd,
    io.argv,
    {
      ...LEDGER_OPTS,
      kind: { type: 'string', required: true, arg: 'apply', help: 'the kind of record' },
      env: { type: 'string', required: true },
      out: { type: 'string', required: true, help: 'where to write the envelope' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Write the newest trusted apply receipt of ENV from the ledger (what drift and smoke bind to).',
      example: 'gate evidence --kind apply --env dev --store .kfm/audit --pub keys/kfm-ci.pub --out dev.apply.json',
      exits: '1 when the ledger holds none',
    },
  );
  const kind = requireOpt(cmd, values, 'kind');
  if (kind !== 'apply') throw new ReceiptError('USAGE', `kfm ${cmd}: --kind must be "apply"`);
  const env = parseEnv(cmd, requireOpt(cmd, values, 'env'));
  const out = requireOpt(cmd, values, 'out');
  const args = ledgerArgs(cmd, values, io.env, false);
  const { ledger, evidence } = await loadEvidence(cmd, args, values, io);
  if (!ledger.integrity.ok) throw new ReceiptError('LOG_INTEGRITY', `kfm ${cmd}: ${ledger.integrity.detail}`);
  const newest = newestApplyReceipt(evidence, env, args.commit || undefined);
  if (!newest) {
    io.stderr(
      `gate: no trusted ${env} apply receipt${args.commit ? ` for commit ${args.commit}` : ''} in ${args.store}\n`,
    );
    return 1;
  }
  const entry = ledger.entries.find((e) => e.seq === newest.seq)!;
  writeFileExclusive(out, entry.envelopeBytes);
  io.stdout(
    values.json === true
      ? JSON.stringify({ kind, env, seq: newest.seq, digest: newest.digest, out }) + '\n'
      : `${out} ${newest.digest} (entry ${newest.seq})\n`,
  );
  return 0;
}
