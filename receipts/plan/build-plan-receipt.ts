import { CommitmentKey } from '../redact/commitment';
import { ActorInfo, RepoInfo } from '../provenance';
import { buildStatement, Statement, Subject, subjectOf } from '../../attest/statement';
import { PREDICATE_KINDS, PREDICATE_TYPES } from '../../attest/predicate-types';
import { KFM_VERSION } from '../../core/version';
import {
  ChangeRecord,
  OutputChangeRecord,
  PlanSummary,
  summarize,
  toChangeRecord,
  toOutputChangeRecord,
} from './changes';
import { guardNesting, PlanDocument } from '../../terraform/plan';
import { PolicyDecisions } from './policy-input';
import { isObject } from '../../core/json';
import type { PlanExposureChange } from '../../attest/predicates';

/** What the caller (the CLI) resolved: files, digests, provenance. Nothing here reads the clock. */
export interface ReceiptContext {
  readonly env: string;
  readonly repo: RepoInfo;
  readonly actor: ActorInfo;
  readonly commitmentKey: CommitmentKey;
  /** The change's author (plan receipts): for a pull request its author, never the pusher. */
  readonly author?: AuthorInfo;
  /**
   * Plan receipts: `rollback` for a tier's documented rollback plan (`--rollback`).
   * @default - no purpose field (a normal plan; receipt bytes as before the field existed)
   */
  readonly purpose?: 'rollback';
}

/** Who wrote the change (`--author`): the gate refuses prod approval when it is unknown. */
export interface AuthorInfo {
  readonly principal: string | null;
  readonly source: 'flag' | 'unknown';
}

export interface PlanInputs {
  /** Name recorded for the plan JSON (basename of the file). */
  readonly planJsonName: string;
  readonly planJsonDigest: string;
  readonly planFileName?: string;
  readonly planFileDigest?: string;
}

export interface Tool {
  readonly name: string;
  readonly version: string | null;
}

/** terraform, each provider (with its version constraint when the configuration states one), kfm. */
export function toolingOf(plan: PlanDocument, changes: readonly { provider?: string }[]): Tool[] {
  const providers = new Map<string, string | null>();
  for (const c of changes) if (c.provider) providers.set(c.provider, null);
  for (const p of plan.configuration?.provider_config.values() ?? []) {
    const full = p.full_name ?? p.name ?? null;
    if (full === null) continue;
    const vc = p.version_constraint ?? null;
    if (!providers.has(full) || vc !== null) providers.set(full, vc ?? providers.get(full) ?? null);
  }
  return [
    { name: 'terraform', version: plan.terraform_version ?? null },
    ...[...providers.keys()].sort().map((name) => ({ name: `provider:${name}`, version: providers.get(name) ?? null })),
    { name: 'kfm', version: KFM_VERSION },
  ];
}

export function checkCounts(plan: PlanDocument): { pass: number; fail: number; error: number; unknown: number } {
  const n = { pass: 0, fail: 0, error: 0, unknown: 0 };
  for (const c of plan.checks) {
    if (isObject(c) && typeof c.status === 'string' && Object.hasOwn(n, c.status)) n[c.status as keyof typeof n]++;
  }
  return n;
}

/** Records for every resource change; no-op ones are counted but only kept when they import or move. */
export function planChanges(
  plan: PlanDocument,
  source: string,
  key: CommitmentKey,
  field: 'resource_changes' | 'resource_drift',
): { all: ChangeRecord[]; kept: ChangeRecord[] } {
  const list = plan[field];
  const all = new Array<ChangeRecord>(list.length);
  // One guard for the whole list; the label of the change it stopped at is built only then.
  let i = 0;
  guardNesting(
    source,
    () => `${field}[${i}] (${list[i]!.address})`,
    () => {
      for (; i < list.length; i++) all[i] = toChangeRecord(list[i]!, () => `${field}[${i}]`, source, key);
    },
  );
  const kept = all.filter((c) => c.action !== 'no-op' || c.importing !== undefined || c.moved_from !== undefined);
  return { all, kept };
}

export function outputChanges(plan: PlanDocument, source: string, key: CommitmentKey): OutputChangeRecord[] {
  return [...plan.output_changes.keys()]
    .sort()
    .map((name) =>
      guardNesting(source, `output_changes.${name}`, () =>
        toOutputChangeRecord(name, plan.output_changes.get(name)!, source, key),
      ),
    )
    .filter((o) => o.action !== 'no-op');
}

export interface PlanPredicate {
  readonly kind: typeof PREDICATE_KINDS.plan;
  readonly env: string;
  readonly repo: RepoInfo;
  readonly actor: ActorInfo;
  readonly author: AuthorInfo;
  readonly purpose?: 'rollback';
  readonly tooling: Tool[];
  readonly inputs: { ref: string; digest: string }[];
  readonly outputs: { ref: string; digest: string }[];
  readonly timestamps: { planned: string | null };
  readonly terraform: {
    format_version: string;
    applyable: boolean | null;
    complete: boolean | null;
    errored: boolean;
    deferred: number;
    checks: { pass: number; fail: number; error: number; unknown: number };
  };
  readonly summary: PlanSummary;
  readonly changes: ChangeRecord[];
  readonly output_changes: OutputChangeRecord[];
  readonly drift: ChangeRecord[];
  readonly policy: PolicyDecisions | null;
  /** Present only when the plan has exposure changes (receipts of plans without them keep their bytes). */
  readonly exposure?: readonly PlanExposureChange[];
  readonly commitments: { alg: 'HMAC-SHA256'; key_id: string; key_source: 'derived' | 'file' };
}

export function buildPlanStatement(
  plan: PlanDocument,
  source: string,
  inputs: PlanInputs,
  ctx: ReceiptContext,
  policy: PolicyDecisions | null,
  /**
   * The plan's exposure changes, computed by the caller with the policy pack's exposure view
   * (policy/engine/exposure.ts): receipts record them, as they record the policy decision.
   * @default - none: no `exposure` field
   */
  exposure: readonly PlanExposureChange[] = [],
): Statement<PlanPredicate> {
  const key = ctx.commitmentKey;
  const { all, kept } = planChanges(plan, source, key, 'resource_changes');
  const drift = planChanges(plan, source, key, 'resource_drift').kept;
  const outs = outputChanges(plan, source, key);
  const errored = plan.errored === true;
  const subject: Subject[] = [subjectOf(inputs.planJsonName, inputs.planJsonDigest)];
  const inputRefs = [{ ref: inputs.planJsonName, digest: inputs.planJsonDigest }];
  if (inputs.planFileName && inputs.planFileDigest) {
    subject.push(subjectOf(inputs.planFileName, inputs.planFileDigest));
    inputRefs.push({ ref: inputs.planFileName, digest: inputs.planFileDigest });
  }
  const predicate: PlanPredicate = {
    kind: PREDICATE_KINDS.plan,
    env: ctx.env,
    repo: ctx.repo,
    actor: ctx.actor,
    author: ctx.author ?? { principal: null, source: 'unknown' },
    ...(ctx.purpose ? { purpose: ctx.purpose } : {}),
    tooling: toolingOf(plan, all),
    inputs: inputRefs,
    // A plan produces no artifact of its own: the signed statement is the record.
    outputs: [],
    timestamps: { planned: plan.timestamp ?? null },
    terraform: {
      format_version: plan.format_version,
      applyable: plan.applyable ?? null,
      complete: plan.complete ?? null,
      errored,
      deferred: plan.deferred_changes.length,
      checks: checkCounts(plan),
    },
    summary: summarize(all, errored),
    changes: kept,
    output_changes: outs,
    drift,
    policy,
    ...(exposure.length ? { exposure } : {}),
    commitments: { alg: 'HMAC-SHA256', key_id: key.id, key_source: key.source },
  };
  return buildStatement(subject, PREDICATE_TYPES.plan, predicate);
}
