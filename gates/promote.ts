import { Env } from '../core/vocabulary';
import { Evidence, Rejected, str } from './evidence';
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

function of(input: GateInput, type: string, env: Env): Evidence[] {
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

/** Evidence that a lower tier was applied, is stable (zero drift since) and validated (smoke). */
function tierProven(input: GateInput, env: Env): GateItem[] {
  const [applyReq, driftReq, smokeReq] = [`${env} apply receipt`, `${env} drift report`, `${env} validation record`];
  const apply = latest(of(input, PREDICATE_TYPES.apply, env));
  if (!apply) {
    const hint = untrustedHint(input, PREDICATE_TYPES.apply, env);
    return [
      item(
        applyReq,
        false,
        `no trusted ${env} apply receipt for commit ${input.commit} (apply with scripts/apply.sh ${env})${hint}`,
      ),
      item(driftReq, false, `no ${env} apply to check drift against`),
      item(smokeReq, false, `no ${env} apply to validate`),
    ];
  }
  const items: GateItem[] = [];
  const status = str(apply.predicate, 'summary', 'status');
  const planRef = str(apply.predicate, 'plan_receipt', 'digest');
  const appliedPlan = planRef ? input.evidence.find((e) => e.digest === planRef) : undefined;
  if (status !== 'applied') {
    items.push(
      item(
        applyReq,
        false,
        `latest ${env} apply (entry ${apply.seq}) has status "${String(status)}", expected "applied"`,
        apply,
      ),
    );
  } else if (
    !appliedPlan ||
    appliedPlan.predicateType !== PREDICATE_TYPES.plan ||
    str(appliedPlan.predicate, 'env') !== env ||
    str(appliedPlan.predicate, 'repo', 'commit') !== input.commit
  ) {
    const why = `names plan receipt ${String(planRef)}, which is not a trusted ${env} plan receipt for commit ${input.commit} in the ledger`;
    items.push(item(applyReq, false, `${env} apply (entry ${apply.seq}) ${why}`, apply));
  } else {
    // What was applied must itself have passed (an apply recorded outside apply.sh proves nothing more).
    const problem = planProblem(input, appliedPlan, env);
    items.push(
      problem
        ? item(
            applyReq,
            false,
            `${env} apply (entry ${apply.seq}) applied a plan that may not be applied: ${problem}`,
            apply,
          )
        : item(
            applyReq,
            true,
            `${env} applied at entry ${apply.seq} from plan receipt entry ${appliedPlan.seq}`,
            apply,
          ),
    );
  }

  // A scheduled drift run may execute at a newer commit; it names the deployed one as last_good.
  const drifts = input.evidence.filter(
    (e) =>
      e.predicateType === PREDICATE_TYPES.drift &&
      str(e.predicate, 'env') === env &&
      (str(e.predicate, 'repo', 'commit') === input.commit || str(e.predicate, 'last_good') === input.commit),
  );
  const drift = latest(drifts.filter((d) => d.seq > apply.seq));
  const drifted = drift ? driftCount(drift.predicate.summary) : undefined;
  if (!drift) {
    const hint = untrustedHint(input, PREDICATE_TYPES.drift, env);
    items.push(
      item(
        driftReq,
        false,
        `no trusted ${env} drift report after the apply at entry ${apply.seq} (run scripts/drift.sh ${env})${hint}`,
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

  const smoke = latest(of(input, PREDICATE_TYPES.validation, env).filter((d) => d.seq > apply.seq));
  const smokeStatus = smoke ? str(smoke.predicate, 'status') : undefined;
  if (!smoke) {
    const hint = untrustedHint(input, PREDICATE_TYPES.validation, env);
    items.push(
      item(
        smokeReq,
        false,
        `no trusted ${env} validation (smoke) record after the apply at entry ${apply.seq} (run scripts/smoke.sh ${env})${hint}`,
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
  const author = str(plan.predicate, 'actor', 'principal');
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
  const independent = approvals.filter((a) => str(a.predicate, 'principal') !== author && a.signer !== plan.signer);
  const best = latest(independent);
  if (!best) {
    const a = latest(approvals)!;
    const why =
      str(a.predicate, 'principal') === author
        ? `principal "${String(author)}" is the change's author`
        : 'signed by the same key as the plan receipt';
    return [
      {
        requirement: 'prod approval',
        ok: false,
        digest: a.digest,
        seq: a.seq,
        detail: `self-approval refused: approval entry ${a.seq} ${why}; a different principal with their own key must approve`,
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
