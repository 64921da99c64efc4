import { Env } from '../core/vocabulary';
import { Evidence, isBotPrincipal, Rejected, samePrincipal, str } from './evidence';
import { PREDICATE_TYPES } from '../attest/predicate-types';

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
  readonly to: Exclude<Env, 'dev'>;
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

const latest = (xs: readonly Evidence[]): Evidence | undefined =>
  xs.reduce<Evidence | undefined>((a, b) => (!a || b.seq > a.seq ? b : a), undefined);

function of(input: Pick<GateInput, 'evidence' | 'commit'>, type: string, env: Env): Evidence[] {
  return input.evidence.filter(
    (e) =>
      e.predicateType === type &&
      str(e.predicate, 'env') === env &&
      str(e.predicate, 'repo', 'commit') === input.commit,
  );
}

/** Tell the operator about untrusted or malformed entries that claim to be what we looked for. */
function untrustedHint(input: GateInput, type: string, env: Env): string {
  const hits = input.rejected.filter(
    (r) => r.claims?.predicateType === type && r.claims?.env === env && r.claims?.commit === input.commit,
  );
  return hits.length ? `; ignored ${hits.map((r) => `entry ${r.seq} (${r.reason})`).join(', ')}` : '';
}

/** The latest trusted plan receipt for `env` and the commit: not errored, policy pass, pinned bundle. */
export function judgePlanReceipt(input: GateInput, env: Env): { item: GateItem; plan?: Evidence } {
  const requirement = `${env} plan receipt`;
  const plan = latest(of(input, PREDICATE_TYPES.plan, env));
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
function planProblem(input: GateInput, plan: Evidence, env: Env): string | undefined {
  const at = `${env} plan receipt (entry ${plan.seq})`;
  const errored = ((plan.predicate.summary ?? {}) as Record<string, unknown>).errored;
  if (errored !== false) return `${at} is from an errored or incomplete plan (summary.errored=${String(errored)})`;
  const policy = plan.predicate.policy as Record<string, unknown> | null | undefined;
  if (!policy || typeof policy !== 'object') return `${at} records no policy decision (make it with --policy)`;
  if (policy.verdict !== 'pass') return `${at} has policy verdict "${String(policy.verdict)}", expected "pass"`;
  // The decision must be about this plan for this env (prod-only rules run only for prod).
  const judged = (policy.input ?? {}) as Record<string, unknown>;
  if (judged.env !== env) return `${at} carries a policy decision made for env "${String(judged.env)}", not ${env}`;
  if (!plan.subject.some((s) => typeof judged.digest === 'string' && `sha256:${s.digest?.sha256}` === judged.digest)) {
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
function item(requirement: string, ok: boolean, detail: string, ev?: Evidence): GateItem {
  return ev ? { requirement, ok, detail, digest: ev.digest, seq: ev.seq } : { requirement, ok, detail };
}

/** Whether `e` names `target` (its envelope digest) as an in-toto subject: bound to it. */
export function boundTo(e: Evidence, target: Evidence): boolean {
  return e.subject.some((s) => typeof s.digest?.sha256 === 'string' && `sha256:${s.digest.sha256}` === target.digest);
}

/**
 * The newest apply attempt of the newest plan receipt for `env` and the commit, or why there is
 * none. A failed or incomplete newest attempt is returned as is: an older success never counts.
 */
export function newestApply(
  input: Pick<GateInput, 'evidence' | 'commit'>,
  env: Env,
): { plan?: Evidence; apply?: Evidence; others: Evidence[] } {
  const plan = latest(of(input, PREDICATE_TYPES.plan, env));
  const applies = of(input, PREDICATE_TYPES.apply, env);
  if (!plan) return { others: applies };
  const attempts = applies.filter((a) => str(a.predicate, 'plan_receipt', 'digest') === plan.digest);
  return { plan, apply: latest(attempts), others: applies.filter((a) => !attempts.includes(a)) };
}

/** Evidence that a lower tier was applied, is stable (zero drift since) and validated (smoke). */
function tierProven(input: GateInput, env: Env): GateItem[] {
  const [applyReq, driftReq, smokeReq] = [`${env} apply receipt`, `${env} drift report`, `${env} validation record`];
  const { plan, apply, others } = newestApply(input, env);
  if (!apply) {
    const hint = untrustedHint(input, PREDICATE_TYPES.apply, env);
    const other = latest(others);
    const why =
      plan && other
        ? `the newest ${env} apply (entry ${other.seq}) is of another plan receipt than the newest ${env} plan receipt (entry ${plan.seq}) for commit ${input.commit}: apply the newest reviewed plan (scripts/apply.sh ${env})`
        : plan
          ? `no trusted ${env} apply receipt for commit ${input.commit} of the newest ${env} plan receipt (entry ${plan.seq}) (apply with scripts/apply.sh ${env})`
          : `no trusted ${env} apply receipt for commit ${input.commit} (apply with scripts/apply.sh ${env})`;
    return [
      item(applyReq, false, `${why}${hint}`),
      item(driftReq, false, `no ${env} apply to check drift against`),
      item(smokeReq, false, `no ${env} apply to validate`),
    ];
  }
  const items: GateItem[] = [];
  const status = str(apply.predicate, 'summary', 'status');
  const completion = apply.predicate.completion as Record<string, unknown> | undefined;
  if (status !== 'applied') {
    const why = `the newest ${env} apply attempt (entry ${apply.seq}) has status "${String(status)}", expected "applied" (an older successful attempt does not count)`;
    items.push(item(applyReq, false, why, apply));
  } else if (completion?.final_summary !== true) {
    // Receipts written before apply status could tell a cut stream say "applied" for one.
    const why = `${env} apply (entry ${apply.seq}) records no completion (written by a version that could not tell a cut apply stream): re-apply with scripts/apply.sh ${env}`;
    items.push(item(applyReq, false, why, apply));
  } else {
    // What was applied must itself have passed (an apply recorded outside apply.sh proves nothing more).
    const problem = planProblem(input, plan!, env);
    items.push(
      problem
        ? item(
            applyReq,
            false,
            `${env} apply (entry ${apply.seq}) applied a plan that may not be applied: ${problem}`,
            apply,
          )
        : item(applyReq, true, `${env} applied at entry ${apply.seq} from plan receipt entry ${plan!.seq}`, apply),
    );
  }

  // Only records bound to this apply (it is an in-toto subject) and appended after it count: a
  // drift report or smoke record of an earlier apply, or an unbound one, proves nothing about it.
  const after = (type: string) =>
    input.evidence.filter((e) => e.predicateType === type && str(e.predicate, 'env') === env && e.seq > apply.seq);
  const unboundHint = (type: string): string => {
    const loose = after(type).filter((e) => !boundTo(e, apply));
    return loose.length
      ? `; ignored ${loose.map((e) => `entry ${e.seq} (not bound to apply entry ${apply.seq}: names another apply or none, e.g. made before --apply-receipt)`).join(', ')}`
      : '';
  };
  const drift = latest(after(PREDICATE_TYPES.drift).filter((e) => boundTo(e, apply)));
  const drifted = drift ? driftCount(drift.predicate.summary) : undefined;
  if (!drift) {
    const hint = untrustedHint(input, PREDICATE_TYPES.drift, env) + unboundHint(PREDICATE_TYPES.drift);
    items.push(
      item(
        driftReq,
        false,
        `no trusted ${env} drift report bound to the apply at entry ${apply.seq} (run scripts/drift.sh ${env})${hint}`,
      ),
    );
  } else if ((drift.predicate.terraform as Record<string, unknown> | undefined)?.errored !== false) {
    // An errored refresh could not read (some of) the resources: its zero drift proves nothing.
    const why = 'is from an errored refresh (terraform.errored is not false)';
    items.push(
      item(
        driftReq,
        false,
        `${env} drift report (entry ${drift.seq}) ${why}; fix it and rerun scripts/drift.sh ${env}`,
        drift,
      ),
    );
  } else if (drifted === 0) {
    items.push(item(driftReq, true, `${env} zero drift at entry ${drift.seq}`, drift));
  } else if (drifted === undefined) {
    items.push(item(driftReq, false, `${env} drift report (entry ${drift.seq}) has no readable summary`, drift));
  } else {
    items.push(item(driftReq, false, `${env} drifted: ${drifted} resource change(s) in entry ${drift.seq}`, drift));
  }

  const smoke = latest(after(PREDICATE_TYPES.validation).filter((e) => boundTo(e, apply)));
  const smokeStatus = smoke ? str(smoke.predicate, 'status') : undefined;
  if (!smoke) {
    const hint = untrustedHint(input, PREDICATE_TYPES.validation, env) + unboundHint(PREDICATE_TYPES.validation);
    items.push(
      item(
        smokeReq,
        false,
        `no trusted ${env} validation (smoke) record bound to the apply at entry ${apply.seq} (run scripts/smoke.sh ${env})${hint}`,
      ),
    );
  } else if (smokeStatus === 'pass') {
    items.push(item(smokeReq, true, `${env} smoke passed at entry ${smoke.seq}`, smoke));
  } else {
    items.push(
      item(
        smokeReq,
        false,
        `${env} smoke (entry ${smoke.seq}) has status "${String(smokeStatus)}", expected "pass"`,
        smoke,
      ),
    );
  }
  return items;
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

function approvalItems(input: GateInput, plan: Evidence | undefined): GateItem[] {
  if (!plan)
    return [
      { requirement: 'prod approval', ok: false, detail: 'no prod plan receipt to approve' },
      { requirement: 'change record', ok: false, detail: 'no approval, so no change record' },
    ];
  // The change's author (author.principal, recorded by --author); unknown blocks: independence
  // cannot be judged. The CI actor (actor.principal) is whoever ran the job, not the author.
  const author = str(plan.predicate, 'author', 'principal');
  const approvals = input.evidence.filter(
    (e) =>
      e.predicateType === PREDICATE_TYPES.approval &&
      str(e.predicate, 'plan_receipt', 'digest') === plan.digest &&
      str(e.predicate, 'env') === 'prod',
  );
  if (approvals.length === 0) {
    return [
      {
        requirement: 'prod approval',
        ok: false,
        detail: `no trusted approval of the prod plan receipt ${plan.digest} (kfm approve --env prod --plan-receipt ...)${untrustedHint(input, PREDICATE_TYPES.approval, 'prod')}`,
      },
      { requirement: 'change record', ok: false, detail: 'no approval, so no change record' },
    ];
  }
  const refusal = (a: Evidence): string | undefined => {
    const principal = str(a.predicate, 'principal');
    if (author === undefined)
      return `the prod plan receipt (entry ${plan.seq}) records no change author (author.principal), so no approval can be shown independent; re-plan with kfm receipt plan --author LOGIN`;
    if (isBotPrincipal(principal)) return `principal "${String(principal)}" is a bot account, which never approves`;
    if (samePrincipal(principal, author)) return `principal "${String(principal)}" is the change's author`;
    if (a.signer === plan.signer) return 'signed by the same key as the plan receipt';
    return undefined;
  };
  const best = latest(approvals.filter((a) => refusal(a) === undefined));
  if (!best) {
    const a = latest(approvals)!;
    return [
      {
        requirement: 'prod approval',
        ok: false,
        digest: a.digest,
        seq: a.seq,
        detail: `${samePrincipal(str(a.predicate, 'principal'), author) || a.signer === plan.signer ? 'self-approval refused' : 'approval refused'}: approval entry ${a.seq}: ${refusal(a)}; a different principal with their own key must approve`,
      },
      { requirement: 'change record', ok: false, detail: 'no independent approval, so no change record' },
    ];
  }
  const cr = str(best.predicate, 'change_record');
  return [
    {
      requirement: 'prod approval',
      ok: true,
      digest: best.digest,
      seq: best.seq,
      detail: `approved by "${String(str(best.predicate, 'principal'))}" at entry ${best.seq}`,
    },
    cr
      ? { requirement: 'change record', ok: true, digest: best.digest, seq: best.seq, detail: `change record ${cr}` }
      : {
          requirement: 'change record',
          ok: false,
          digest: best.digest,
          seq: best.seq,
          detail: `approval entry ${best.seq} names no change record (kfm approve --change-record ID)`,
        },
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
