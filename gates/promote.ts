import { Env } from '../core/vocabulary';
import { Evidence, evidenceFor, evidenceOf, isBotPrincipal, latest, Rejected, samePrincipal } from './evidence';
import { PREDICATE_TYPES, PredicateName } from '../attest/predicate-types';
import type { Predicates } from '../attest/predicates';
import { sameSigner } from '../attest/sigstore/trusted-signer';

/** One requirement of a promotion and whether the ledger proves it. */
export interface GateItem {
  readonly requirement: string;
  readonly ok: boolean;
  /** One line: what was found, or what is missing and how to produce it. */
  readonly detail: string;
  readonly digest?: string;
  readonly seq?: number;
}

export interface GateInput {
  /** Target tier: `stage` needs proof of dev; `prod` needs proof of dev and stage. */
  readonly to: 'stage' | 'prod';
  /** The commit being promoted: every piece of evidence must name it. */
  readonly commit: string;
  readonly evidence: readonly Evidence[];
  readonly rejected: readonly Rejected[];
  /** Pinned policy bundle digest per tier (`sha256:<hex>`). */
  readonly pinnedBundle: (env: Env) => string | undefined;
}

export interface GateResult {
  readonly allowed: boolean;
  readonly to: Env;
  readonly commit: string;
  readonly items: readonly GateItem[];
}

type Ev<N extends PredicateName> = Evidence<Predicates[N]>;

/** Trusted evidence of `name` for `env` and the commit judged. */
function of<N extends Exclude<PredicateName, 'promotion'>>(
  input: Pick<GateInput, 'evidence' | 'commit'>,
  name: N,
  env: Env,
): Ev<N>[] {
  return evidenceFor(input.evidence, name, env, input.commit);
}

/** Tell the operator about untrusted or malformed entries that claim to be what we looked for. */
function untrustedHint(input: Pick<GateInput, 'rejected' | 'commit'>, type: string, env: Env): string {
  const hits = input.rejected.filter(
    (r) => r.claims?.predicateType === type && r.claims?.env === env && r.claims?.commit === input.commit,
  );
  return ignoredSummary(hits.map((r) => ({ seq: r.seq, reason: r.reason })));
}

/** How many example entries an ignored-entries summary names per reason. */
const EXAMPLES = 3;

/**
 * `; ignored …` for entries passed over: one clause per reason with its count and a few example
 * entries, never one per copy (anyone who can append could make a listing as long as they like).
 * Reasons that name an entry (a replay of entry N) are grouped without it.
 */
export function ignoredSummary(ignored: readonly { seq: number; reason: string }[]): string {
  if (ignored.length === 0) return '';
  const byReason = new Map<string, number[]>();
  for (const r of ignored) {
    const reason = r.reason.replace(/^replay of entry \d+ /, 'replay of an earlier entry ');
    byReason.set(reason, [...(byReason.get(reason) ?? []), r.seq]);
  }
  const parts = [...byReason].map(([reason, seqs]) => {
    const shown = seqs.slice(0, EXAMPLES).join(', ');
    const more = seqs.length > EXAMPLES ? `, … ${seqs.length - EXAMPLES} more` : '';
    return seqs.length === 1 ? `entry ${shown} (${reason})` : `${seqs.length} entries (${reason}): ${shown}${more}`;
  });
  return `; ignored ${parts.join('; ')}`;
}

/** The latest trusted plan receipt for `env` and the commit: not errored, policy pass, pinned bundle. */
export function judgePlanReceipt(input: GateInput, env: Env): { item: GateItem; plan?: Ev<'plan'> } {
  const requirement = `${env} plan receipt`;
  const plan = latest(of(input, 'plan', env));
  if (!plan) {
    const hint = untrustedHint(input, PREDICATE_TYPES.plan, env);
    const detail = `no trusted ${env} plan receipt for commit ${input.commit} in the ledger (run scripts/plan.sh ${env} and append its receipt)${hint}`;
    return { item: item(requirement, false, detail) };
  }
  const problem = planProblem(input, plan, env);
  if (problem) return { plan, item: item(requirement, false, problem, plan) };
  const ok = `${env} plan receipt entry ${plan.seq}: not errored, policy pass, bundle ${input.pinnedBundle(env)}`;
  return { plan, item: item(requirement, true, ok, plan) };
}

/**
 * Why a plan receipt may not be applied or promoted, or undefined when it may: errored plan, no
 * policy decision, a failing one, one made for another env or plan, or one by an unpinned bundle.
 */
function planProblem(input: GateInput, plan: Ev<'plan'>, env: Env): string | undefined {
  const at = `${env} plan receipt (entry ${plan.seq})`;
  const { errored } = plan.predicate.summary;
  if (errored !== false) return `${at} is from an errored or incomplete plan (summary.errored=${String(errored)})`;
  const { policy } = plan.predicate;
  if (!policy) return `${at} records no policy decision (make it with --policy)`;
  if (policy.verdict !== 'pass') return `${at} has policy verdict "${String(policy.verdict)}", expected "pass"`;
  // The decision must be about this plan for this env (prod-only rules run only for prod).
  const judged = policy.input;
  if (judged.env !== env) return `${at} carries a policy decision made for env "${String(judged.env)}", not ${env}`;
  if (!plan.subject.some((s) => `sha256:${s.digest?.sha256}` === judged.digest)) {
    return `${at} carries a policy decision about another plan JSON (input.digest is not a subject of the receipt)`;
  }
  const pinned = input.pinnedBundle(env);
  if (!pinned) return `no pinned policy bundle digest for ${env} (policy/config/pins.json)`;
  if (policy.bundle_digest !== pinned) {
    return `${at} was judged by policy bundle ${String(policy.bundle_digest)}, but ${env} pins ${pinned}`;
  }
  return undefined;
}

/** A gate item, pointing at the ledger entry it is about when there is one. */
function item(requirement: string, ok: boolean, detail: string, ev?: Evidence<unknown>): GateItem {
  return ev ? { requirement, ok, detail, digest: ev.digest, seq: ev.seq } : { requirement, ok, detail };
}

/** Whether `e` names `target` (its envelope digest) as an in-toto subject: bound to it. */
export function boundTo(e: Evidence<unknown>, target: Evidence<unknown>): boolean {
  return e.subject.some((s) => typeof s.digest?.sha256 === 'string' && `sha256:${s.digest.sha256}` === target.digest);
}

/**
 * The newest apply attempt of the newest plan receipt for `env` and the commit, or why there is
 * none. A failed or incomplete newest attempt is returned as is: an older success never counts.
 */
export function newestApply(
  input: Pick<GateInput, 'evidence' | 'commit'>,
  env: Env,
): { plan?: Ev<'plan'>; apply?: Ev<'apply'>; others: Ev<'apply'>[] } {
  const plan = latest(of(input, 'plan', env));
  const applies = of(input, 'apply', env);
  if (!plan) return { others: applies };
  const attempts = applies.filter((a) => a.predicate.plan_receipt.digest === plan.digest);
  return { plan, apply: latest(attempts), others: applies.filter((a) => !attempts.includes(a)) };
}

/** A lower tier being proven: its env, the gate's input and its newest apply attempt. */
interface Tier {
  readonly env: Env;
  readonly input: GateInput;
  readonly apply: Ev<'apply'>;
}

/** The names of a tier's three evidence items. */
const requirements = (env: Env) =>
  ({ apply: `${env} apply receipt`, drift: `${env} drift report`, smoke: `${env} validation record` }) as const;

/** Evidence that a lower tier was applied, is stable (zero drift since) and validated (smoke). */
function tierProven(input: GateInput, env: Env): GateItem[] {
  const { plan, apply, others } = newestApply(input, env);
  if (!apply) return noApply(input, env, plan, others);
  const tier: Tier = { env, input, apply };
  return [applyItem(tier, plan!), driftItem(tier), validationItem(tier)];
}

/** No apply attempt of the newest plan receipt: all three items fail, the first saying why. */
function noApply(input: GateInput, env: Env, plan: Ev<'plan'> | undefined, others: Ev<'apply'>[]): GateItem[] {
  const req = requirements(env);
  const hint = untrustedHint(input, PREDICATE_TYPES.apply, env);
  const other = latest(others);
  const why =
    plan && other
      ? `the newest ${env} apply (entry ${other.seq}) is of another plan receipt than the newest ${env} plan receipt (entry ${plan.seq}) for commit ${input.commit}: apply the newest reviewed plan (scripts/apply.sh ${env})`
      : plan
        ? `no trusted ${env} apply receipt for commit ${input.commit} of the newest ${env} plan receipt (entry ${plan.seq}) (apply with scripts/apply.sh ${env})`
        : `no trusted ${env} apply receipt for commit ${input.commit} (apply with scripts/apply.sh ${env})`;
  return [
    item(req.apply, false, `${why}${hint}`),
    item(req.drift, false, `no ${env} apply to check drift against`),
    item(req.smoke, false, `no ${env} apply to validate`),
  ];
}

/** The newest apply attempt succeeded, completely, and applied a plan that may be applied. */
function applyItem({ env, input, apply }: Tier, plan: Ev<'plan'>): GateItem {
  const { ok, no } = verdict(requirements(env).apply);
  const { status } = apply.predicate.summary;
  if (status !== 'applied')
    return no(
      `the newest ${env} apply attempt (entry ${apply.seq}) has status "${String(status)}", expected "applied" (an older successful attempt does not count)`,
      apply,
    );
  // A rollback (purpose "rollback") took the tier back: it holds nothing to promote.
  if (plan.predicate.purpose === 'rollback')
    return no(
      `the newest ${env} apply (entry ${apply.seq}) applied a rollback plan (plan receipt entry ${plan.seq}): a rolled-back tier is not applied; plan and apply it again (scripts/plan.sh ${env}, scripts/apply.sh ${env})`,
      apply,
    );
  // Receipts written before apply status could tell a cut stream say "applied" for one.
  if (apply.predicate.completion?.final_summary !== true)
    return no(
      `${env} apply (entry ${apply.seq}) records no completion (written by a version that could not tell a cut apply stream): re-apply with scripts/apply.sh ${env}`,
      apply,
    );
  // What was applied must itself have passed (an apply recorded outside apply.sh proves nothing more).
  const problem = planProblem(input, plan, env);
  if (problem) return no(`${env} apply (entry ${apply.seq}) applied a plan that may not be applied: ${problem}`, apply);
  return ok(`${env} applied at entry ${apply.seq} from plan receipt entry ${plan.seq}`, apply);
}

/**
 * The newest record of `name` bound to the apply (it is an in-toto subject) and appended after
 * it: a record of an earlier apply, or an unbound one, proves nothing about it. `hint` names what
 * was ignored, for the message when there is none.
 */
function boundRecord<N extends 'drift' | 'validation'>({ env, input, apply }: Tier, name: N) {
  const after = evidenceFor(input.evidence, name, env).filter((e) => e.seq > apply.seq);
  const loose = after.filter((e) => !boundTo(e, apply));
  const reason = `not bound to apply entry ${apply.seq}: names another apply or none, e.g. made before --apply-receipt`;
  const unbound = ignoredSummary(loose.map((e) => ({ seq: e.seq, reason })));
  return {
    record: latest(after.filter((e) => boundTo(e, apply))),
    hint: untrustedHint(input, PREDICATE_TYPES[name], env) + unbound,
  };
}

/** A verdict on requirement `req`: `ok` or `no`, each with its one-line detail and the entry it is about. */
function verdict(req: string) {
  return {
    ok: (detail: string, ev: Evidence<unknown>) => item(req, true, detail, ev),
    no: (detail: string, ev?: Evidence<unknown>) => item(req, false, detail, ev),
  };
}

/** Zero drift (and no failed check) since the apply, from a refresh that did not error. */
function driftItem(tier: Tier): GateItem {
  const { env, apply } = tier;
  const { ok, no } = verdict(requirements(env).drift);
  const { record: drift, hint } = boundRecord(tier, 'drift');
  if (!drift)
    return no(
      `no trusted ${env} drift report bound to the apply at entry ${apply.seq} (run scripts/drift.sh ${env})${hint}`,
    );
  const at = `${env} drift report (entry ${drift.seq})`;
  // An errored refresh could not read (some of) the resources: its zero drift proves nothing.
  if (drift.predicate.terraform.errored !== false)
    return no(
      `${at} is from an errored refresh (terraform.errored is not false); fix it and rerun scripts/drift.sh ${env}`,
      drift,
    );
  const drifted = driftCount(drift.predicate.summary);
  if (drifted === 0) return ok(`${env} zero drift at entry ${drift.seq}`, drift);
  if (drifted === undefined) return no(`${at} has no readable summary`, drift);
  return no(`${env} drifted: ${drifted} resource change(s) in entry ${drift.seq}`, drift);
}

/** A passing validation (smoke) record of the apply. */
function validationItem(tier: Tier): GateItem {
  const { env, apply } = tier;
  const { ok, no } = verdict(requirements(env).smoke);
  const { record: smoke, hint } = boundRecord(tier, 'validation');
  if (!smoke)
    return no(
      `no trusted ${env} validation (smoke) record bound to the apply at entry ${apply.seq} (run scripts/smoke.sh ${env})${hint}`,
    );
  const { status } = smoke.predicate;
  if (status === 'pass') return ok(`${env} smoke passed at entry ${smoke.seq}`, smoke);
  return no(`${env} smoke (entry ${smoke.seq}) has status "${String(status)}", expected "pass"`, smoke);
}

/**
 * Drifted resources plus failed checks in a drift summary (`drifted`, `checks_failed`, as the
 * drift receipt schema defines them); undefined when unreadable, which fails closed.
 */
export function driftCount(summary: unknown): number | undefined {
  if (typeof summary !== 'object' || summary === null) return undefined;
  const s = summary as Record<string, unknown>;
  if (typeof s.drifted !== 'number') return undefined;
  return s.drifted + (typeof s.checks_failed === 'number' ? s.checks_failed : 0);
}

/** Both approval items failing: no approval, or none that may count. */
function noApproval(detail: string, cr: string, a?: Evidence<unknown>, env: Env = 'prod'): GateItem[] {
  return [item(`${env} approval`, false, detail, a), item('change record', false, cr)];
}

/** Two records by one signer: the same key, or the same certificate identity (issuer and subject). */
function sameEvidenceSigner(a: Evidence<unknown>, b: Evidence<unknown>): boolean {
  return a.signedBy && b.signedBy ? sameSigner(a.signedBy, b.signedBy) : a.signer === b.signer;
}

/**
 * Why approval `a` of `plan` may not count, or undefined when it may: an unknown author (so
 * independence cannot be judged), a bot, the author themselves, or the plan receipt's own key.
 */
function approvalRefusal(a: Ev<'approval'>, plan: Ev<'plan'>, author: string | undefined): string | undefined {
  const { principal } = a.predicate;
  if (author === undefined)
    return `the ${String(plan.predicate.env)} plan receipt (entry ${plan.seq}) records no change author (author.principal), so no approval can be shown independent; re-plan with kfm receipt plan --author LOGIN`;
  if (isBotPrincipal(principal)) return `principal "${String(principal)}" is a bot account, which never approves`;
  if (samePrincipal(principal, author)) return `principal "${String(principal)}" is the change's author`;
  if (sameEvidenceSigner(a, plan))
    return a.signedBy?.kind === 'identity'
      ? `signed by the same identity as the plan receipt (${a.signer})`
      : 'signed by the same key as the plan receipt';
  return undefined;
}

/** The approval items of `plan`: prod's, and (same rule) those of the shared stacks audit and bootstrap. */
export function approvalItems(
  input: Pick<GateInput, 'evidence' | 'rejected' | 'commit'>,
  plan: Ev<'plan'> | undefined,
  env: Env = 'prod',
): GateItem[] {
  if (!plan) return noApproval(`no ${env} plan receipt to approve`, 'no approval, so no change record', undefined, env);
  // The change's author (author.principal, recorded by --author); unknown blocks: independence
  // cannot be judged. The CI actor (actor.principal) is whoever ran the job, not the author.
  const author = plan.predicate.author?.principal ?? undefined;
  const approvals = evidenceOf(input.evidence, 'approval').filter(
    (e) => e.predicate.plan_receipt.digest === plan.digest && e.predicate.env === env,
  );
  if (approvals.length === 0) {
    const detail = `no trusted approval of the ${env} plan receipt ${plan.digest} (kfm approve --env ${env} --plan-receipt ...)${untrustedHint(input, PREDICATE_TYPES.approval, env)}`;
    return noApproval(detail, 'no approval, so no change record', undefined, env);
  }
  const best = latest(approvals.filter((a) => approvalRefusal(a, plan, author) === undefined));
  if (!best) {
    const a = latest(approvals)!;
    const self = samePrincipal(a.predicate.principal, author) || sameEvidenceSigner(a, plan);
    const detail = `${self ? 'self-approval refused' : 'approval refused'}: approval entry ${a.seq}: ${approvalRefusal(a, plan, author)}; a different principal with their own key must approve`;
    return noApproval(detail, 'no independent approval, so no change record', a, env);
  }
  const cr = best.predicate.change_record;
  return [
    item(`${env} approval`, true, `approved by "${String(best.predicate.principal)}" at entry ${best.seq}`, best),
    cr
      ? item('change record', true, `change record ${cr}`, best)
      : item(
          'change record',
          false,
          `approval entry ${best.seq} names no change record (kfm approve --change-record ID)`,
          best,
        ),
  ];
}

/**
 * Decide a promotion from the ledger's verified evidence (plan 21.03: strict order, no step
 * skipped). Pure: no I/O, no clock. Fails closed: anything missing or unreadable is a failing item.
 */
export function evaluatePromotion(input: GateInput): GateResult {
  const items: GateItem[] = [];
  items.push(...tierProven(input, 'dev'));
  if (input.to === 'stage') {
    items.push(judgePlanReceipt(input, 'stage').item);
  } else {
    items.push(...tierProven(input, 'stage'));
    const { item, plan } = judgePlanReceipt(input, 'prod');
    items.push(item);
    items.push(...approvalItems(input, plan));
  }
  return { allowed: items.length > 0 && items.every((i) => i.ok), to: input.to, commit: input.commit, items };
}
