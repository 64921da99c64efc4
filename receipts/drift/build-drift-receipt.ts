import { checkCounts, planChanges, PlanInputs, ReceiptContext, toolingOf } from '../plan/build-plan-receipt';
import { ChangeRecord } from '../plan/changes';
import { PlanDocument } from '../../terraform/plan';
import { buildStatement, Statement, subjectOf } from '../../attest/statement';
import { PREDICATE_KINDS, PREDICATE_TYPES } from '../../attest/predicate-types';

/** Drifted resources by action (from `resource_drift`: what changed outside Terraform). */
export interface DriftSummary {
  drifted: number;
  create: number;
  update: number;
  delete: number;
  replace: number;
  move: number;
  other: number;
  checks_failed: number;
}

export function summarizeDrift(drift: readonly ChangeRecord[], checksFailed: number): DriftSummary {
  const s: DriftSummary = {
    drifted: 0,
    create: 0,
    update: 0,
    delete: 0,
    replace: 0,
    move: 0,
    other: 0,
    checks_failed: checksFailed,
  };
  for (const d of drift) {
    if (d.moved_from !== undefined) s.move++;
    if (d.action === 'no-op') continue;
    s.drifted++;
    if (d.action === 'create' || d.action === 'update' || d.action === 'delete' || d.action === 'replace')
      s[d.action]++;
    else s.other++;
  }
  return s;
}

/**
 * A drift receipt from a `-refresh-only` plan, or from the `resource_drift` of a normal plan.
 * `lastGood` is the commit last known to match the real infrastructure, when given.
 */
export function buildDriftStatement(
  plan: PlanDocument,
  source: string,
  inputs: PlanInputs,
  ctx: ReceiptContext,
  lastGood: string | null,
): Statement {
  const { all, kept } = planChanges(plan, source, ctx.commitmentKey, 'resource_drift');
  const checks = checkCounts(plan);
  const pending = plan.resource_changes.filter(
    (rc) => !(rc.change.actions.length === 1 && (rc.change.actions[0] === 'no-op' || rc.change.actions[0] === 'read')),
  ).length;
  const predicate = {
    kind: PREDICATE_KINDS.drift,
    env: ctx.env,
    repo: ctx.repo,
    actor: ctx.actor,
    tooling: toolingOf(plan, all),
    inputs: [{ ref: inputs.planJsonName, digest: inputs.planJsonDigest }],
    outputs: [],
    timestamps: { planned: plan.timestamp ?? null },
    last_good: lastGood,
    terraform: {
      format_version: plan.format_version,
      errored: plan.errored === true,
      /** Planned (non no-op, non read) resource changes in the same plan: 0 for a refresh-only plan. */
      pending_changes: pending,
      checks,
    },
    summary: summarizeDrift(all, checks.fail),
    drift: kept,
    commitments: { alg: 'HMAC-SHA256' as const, key_id: ctx.commitmentKey.id, key_source: ctx.commitmentKey.source },
  };
  return buildStatement([subjectOf(inputs.planJsonName, inputs.planJsonDigest)], PREDICATE_TYPES.drift, predicate);
}
