import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { Env, parseCommandArgs, parseEnv, pickVerb, requireOpt } from '../lib/args';
import { eventTime } from '../lib/clock';
import { loadSigningKey, loadTrustedKeys, many } from '../lib/keys';
import { Command, CommandIo } from '../lib/types';
import { ReceiptError } from '../../core/errors';
import { assignRoles, classifyEntries, Evidence, str } from '../../gates/evidence';
import { evaluatePromotion, GateItem, judgePlanReceipt } from '../../gates/promote';
import { PREDICATE_TYPES } from '../../attest/predicate-types';
import { hexOf, signPipelineStatement } from '../../attest/pipeline-statement';
import { readLedger, appendToLedger } from '../../gates/ledger';
import { pinnedBundleDigest } from '../../gates/pins';

/** `kfm gate promote ...` and `kfm gate apply ...`. Exit 0 allowed, 1 denied, 2 bad input. */
export const gate: Command = async (io) => {
  const [verb, ...rest] = io.argv;
  return pickVerb('gate', verb, { promote, apply: applyCheck })({ ...io, argv: rest });
};

const COMMIT = /^[0-9a-f]{7,64}$/;

/**
 * Read and verify the ledger under every given key, then keep each statement only in its
 * signer's role: `--pub` keys sign receipts, `--approver NAME=PUB` keys sign approvals as NAME.
 */
/** --store, --commit (hex), --endpoint and at least one --pub: what every gate reads the ledger with. */
function ledgerArgs(cmd: string, values: Record<string, unknown>, env: CommandIo['env']) {
  const store = requireOpt(cmd, values, 'store');
  const commit = requireOpt(cmd, values, 'commit');
  if (!COMMIT.test(commit)) throw new ReceiptError('USAGE', `kfm ${cmd}: --commit "${commit}" is not a hex commit SHA`);
  if (many(values.pub).length === 0) {
    throw new ReceiptError('USAGE', `kfm ${cmd}: at least one --pub PUB (trusted key) is required`);
  }
  return { store, commit, endpoint: values.endpoint as string | undefined, env };
}

export async function loadEvidence(
  cmd: string,
  { store, endpoint, env }: ReturnType<typeof ledgerArgs>,
  values: Record<string, unknown>,
) {
  const receiptKeys = loadTrustedKeys(many(values.pub));
  const approvers = many(values.approver).map((spec) => {
    const m = /^([A-Za-z0-9][A-Za-z0-9._-]{0,63})=(.+)$/.exec(spec);
    if (!m) throw new ReceiptError('USAGE', `kfm ${cmd}: --approver "${spec}" must be NAME=PUBLIC_KEY_FILE`);
    return { name: m[1], key: loadTrustedKeys([m[2]])[0] };
  });
  const all = [...receiptKeys, ...approvers.map((a) => a.key)];
  const ledger = await readLedger(store, { endpoint, env }, all);
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
 *   [--approver NAME=PUB...] [--endpoint URL] [--timestamp RFC3339] [--json]`
 *
 * `--pub` keys are trusted for receipts and records; approvals (prod) count only when signed by
 * an `--approver` key whose NAME is the approval's principal.
 */
async function promote(io: CommandIo): Promise<number> {
  const cmd = 'gate promote';
  const { values } = parseCommandArgs(
    cmd,
    io.argv,
    {
      to: { type: 'string', required: true, arg: 'stage|prod', help: 'the tier to promote into' },
      store: { type: 'string', required: true },
      pub: { type: 'string', multiple: true, required: true, help: 'trusted key of receipts and records' },
      approver: { type: 'string', multiple: true },
      commit: { type: 'string', required: true, help: 'the commit to promote' },
      key: {
        type: 'string',
        help: 'when allowed, sign and append the promotion manifest with this key',
        default: 'judge only',
      },
      endpoint: { type: 'string' },
      timestamp: { type: 'string' },
      json: { type: 'boolean', help: 'the decision and every gate item as JSON' },
    },
    { min: 0, max: 0, names: 'no positional arguments' },
    {
      summary: 'Decide from verified ledger evidence whether a commit may be promoted (fail closed).',
      example:
        'gate promote --to prod --store .kfm/audit --pub keys/kfm-ci.pub --approver alice=keys/approvers/alice.pub --commit 0123abc',
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
  const { ledger, evidence, rejected } = await loadEvidence(cmd, args, values);
  const result = evaluatePromotion({ to, commit, evidence, rejected, pinnedBundle: pinnedBundleDigest });
  const items: GateItem[] = [ledger.integrity, ...result.items];
  const allowed = result.allowed && ledger.integrity.ok;

  let manifest: { seq: number; digest: string } | null = null;
  if (allowed && key) {
    const predicate = promotionManifest(
      to,
      commit,
      result.items,
      evidence,
      eventTime(cmd, values.timestamp as string | undefined, io.env),
    );
    const subject = result.items
      .filter((i) => i.digest)
      .map((i) => ({ name: i.requirement, digest: { sha256: hexOf(i.digest!) } }));
    const signed = signPipelineStatement(PREDICATE_TYPES.promotion, dedupe(subject), predicate, key);
    manifest = await appendToLedger(store, { endpoint, env: io.env }, Buffer.from(signed.bytes, 'utf8'));
  }
  return report(io, values.json === true, allowed, items, { to, commit, manifest });
}

function dedupe<T extends { digest: { sha256: string } }>(xs: T[]): T[] {
  const seen = new Set<string>();
  return xs.filter((x) => (seen.has(x.digest.sha256) ? false : (seen.add(x.digest.sha256), true)));
}

/** Gate G: the release manifest of one promotion, referencing every piece of evidence by digest. */
function promotionManifest(
  to: Env,
  commit: string,
  items: readonly GateItem[],
  evidence: readonly Evidence[],
  at: string,
): Record<string, unknown> {
  const bySeq = new Map(evidence.map((e) => [e.seq, e]));
  const plan = items.find((i) => i.requirement === `${to} plan receipt`);
  const planEv = plan?.seq !== undefined ? bySeq.get(plan.seq) : undefined;
  return {
    kind: 'kfm.infra.PromotionManifest',
    env: to,
    repo: { commit },
    evidence: items.filter((i) => i.digest).map((i) => ({ requirement: i.requirement, digest: i.digest, seq: i.seq })),
    policy: {
      bundle_digest: planEv ? ((planEv.predicate.policy as Record<string, unknown>)?.bundle_digest ?? null) : null,
    },
    approvals: items
      .filter((i) => i.requirement === 'prod approval' && i.seq !== undefined)
      .map((i) => {
        const a = bySeq.get(i.seq!);
        return {
          digest: i.digest,
          principal: str(a?.predicate, 'principal') ?? null,
          change_record: str(a?.predicate, 'change_record') ?? null,
        };
      }),
    timestamps: { promoted: at },
  };
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
 * `kfm gate apply --env ENV --plan-file TFPLAN --store STORE --pub PUB... --commit SHA [--endpoint URL] [--json]`
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
      env: { type: 'string', required: true },
      'plan-file': { type: 'string', required: true, help: 'the plan file about to be applied' },
      store: { type: 'string', required: true },
      pub: { type: 'string', multiple: true, required: true, help: 'trusted key of receipts and records' },
      approver: { type: 'string', multiple: true },
      commit: { type: 'string', required: true, help: 'the commit being applied' },
      endpoint: { type: 'string' },
      json: { type: 'boolean', help: 'the decision and every gate item as JSON' },
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
  const { ledger, evidence, rejected } = await loadEvidence(cmd, args, values);
  const items: GateItem[] = [ledger.integrity];
  const plans = evidence.filter(
    (e) =>
      e.predicateType === PREDICATE_TYPES.plan &&
      str(e.predicate, 'env') === env &&
      str(e.predicate, 'repo', 'commit') === commit,
  );
  const latestPlan = plans.reduce<Evidence | undefined>((a, b) => (!a || b.seq > a.seq ? b : a), undefined);
  const matching = plans.filter((p) => p.subject.some((s) => s.digest?.sha256 === planHex));
  let planReceipt: Evidence | undefined;
  if (matching.length === 0) {
    items.push({
      requirement: 'approved plan file',
      ok: false,
      detail: `${planFile} (sha256:${planHex}) is not the subject of any trusted ${env} plan receipt for commit ${commit}: stale or unreviewed plan; re-run scripts/plan.sh ${env} and get it approved`,
    });
  } else if (latestPlan && !matching.includes(latestPlan)) {
    items.push({
      requirement: 'approved plan file',
      ok: false,
      detail: `${planFile} matches plan receipt entry ${matching[matching.length - 1].seq}, but entry ${latestPlan.seq} is a newer ${env} plan for this commit: apply the newest reviewed plan`,
    });
  } else {
    planReceipt = latestPlan;
    items.push({
      requirement: 'approved plan file',
      ok: true,
      digest: latestPlan!.digest,
      seq: latestPlan!.seq,
      detail: `${planFile} is the subject of ${env} plan receipt entry ${latestPlan!.seq}`,
    });
  }
  if (env === 'dev') {
    // dev is the first tier: only its own plan receipt's checks apply.
    items.push(
      judgePlanReceipt({ to: 'stage', commit, evidence, rejected, pinnedBundle: pinnedBundleDigest }, 'dev').item,
    );
  } else {
    const promo = evaluatePromotion({ to: env, commit, evidence, rejected, pinnedBundle: pinnedBundleDigest });
    items.push(...promo.items);
  }
  const allowed = items.every((i) => i.ok);
  return report(io, values.json === true, allowed, items, {
    env,
    commit,
    plan_file: { path: planFile, sha256: planHex },
    plan_receipt: planReceipt ? { digest: planReceipt.digest, seq: planReceipt.seq } : null,
  });
}
