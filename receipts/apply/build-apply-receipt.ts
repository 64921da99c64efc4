import { ReceiptError } from '../../core/errors';
import { canonicalJson } from '../../core/canonical-json';
import { sha256Tagged } from '../../core/digest';
import { commit } from '../redact/commitment';
import { redactDiagnosticText } from '../redact/diagnostic-text';
import { ReceiptContext, Tool } from '../plan/build-plan-receipt';
import { buildStatement, Statement, Subject, subjectOf, VerifiedStatement } from '../../attest/statement';
import { PREDICATE_KINDS, PREDICATE_TYPES } from '../../attest/predicate-types';
import { KFM_VERSION } from '../../core/version';
import { ApplyStreamFacts } from '../../terraform/apply-stream';
import { isObject } from '../../core/json';

/** Plan actions that Terraform performs with apply hooks (a receipt expects an apply_complete for each). */
const APPLIED_ACTIONS = new Set(['create', 'update', 'delete', 'replace', 'create-forget']);

/**
 * `applied` only when the stream carries Terraform's final apply summary and every planned change
 * was applied; `incomplete` when the stream is cut (runner lost, OOM, killed) or planned changes
 * were left unapplied; `failed` when Terraform reported an error. Gates require `applied`.
 */
export type ApplyStatus = 'applied' | 'failed' | 'incomplete';

export interface ApplySummary {
  status: ApplyStatus;
  add: number;
  change: number;
  remove: number;
  errored: string[];
  not_applied: string[];
}

export interface ApplyChange {
  readonly address: string;
  /** The plan receipt's action label, or null when the plan did not list the address. */
  readonly planned: string | null;
  /** UI actions of apply_complete hooks (a replace shows as delete and create). */
  readonly completed: string[];
  readonly status: 'applied' | 'errored' | 'not_applied' | 'in_progress';
}

/** Final summaries Terraform prints after a whole apply (`Apply complete!`, `Destroy complete!`). */
const FINAL_OPERATIONS = new Set(['apply', 'destroy']);

interface PlanChangeLike {
  address: string;
  action: string;
}

export interface ApplyInputs {
  readonly streamName: string;
  readonly streamDigest: string;
  readonly planReceiptName: string;
}

type PlanPredicate = Record<string, unknown>;

/** The plan receipt an apply names: a plan receipt of the same env, else INPUT_INVALID. */
function checkPlanReceipt(planReceipt: VerifiedStatement, source: string, env: string): PlanPredicate {
  if (planReceipt.predicateType !== PREDICATE_TYPES.plan) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: predicateType is "${planReceipt.predicateType}", expected a plan receipt (${PREDICATE_TYPES.plan})`,
    );
  }
  const pp = planReceipt.predicate;
  if (pp.env !== env) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: env is "${String(pp.env)}" but --env is "${env}"; apply receipts must name the plan receipt of the same environment`,
    );
  }
  return pp;
}

/** The planned action per address (an applied action wins over a no-op or read of the same address). */
function plannedActions(pp: PlanPredicate): Map<string, string> {
  const planned = new Map<string, string>();
  for (const c of (pp.changes as PlanChangeLike[]) ?? []) {
    if (!planned.has(c.address) || APPLIED_ACTIONS.has(c.action)) planned.set(c.address, c.action);
  }
  return planned;
}

/** Every address planned to change, completed or errored, with what the stream says became of it. */
function applyChanges(facts: ApplyStreamFacts, planned: Map<string, string>, errored: Set<string>): ApplyChange[] {
  const addresses = new Set<string>([...planned.keys()].filter((a) => APPLIED_ACTIONS.has(planned.get(a)!)));
  for (const a of facts.completed.keys()) addresses.add(a);
  for (const a of facts.erroredAddresses) addresses.add(a);
  return [...addresses].sort().map((address) => {
    const completed = facts.completed.get(address) ?? [];
    const status: ApplyChange['status'] = errored.has(address)
      ? 'errored'
      : completed.length > 0
        ? 'applied'
        : facts.started.has(address)
          ? 'in_progress'
          : 'not_applied';
    return { address, planned: planned.get(address) ?? null, completed, status };
  });
}

/** The summary (counts from the completed hooks, then the status) and whether the stream is whole. */
function summarize(facts: ApplyStreamFacts, changes: readonly ApplyChange[], errored: Set<string>) {
  const summary: ApplySummary = {
    status: 'applied',
    add: 0,
    change: 0,
    remove: 0,
    errored: [...errored].sort(),
    not_applied: [],
  };
  for (const actions of facts.completed.values()) {
    for (const a of actions) {
      if (a === 'create') summary.add++;
      else if (a === 'update') summary.change++;
      else if (a === 'delete') summary.remove++;
    }
  }
  summary.not_applied = changes
    .filter((c) => (c.status === 'not_applied' || c.status === 'in_progress') && c.planned !== null)
    .map((c) => c.address);
  const completion = {
    final_summary: facts.changeSummary !== null && FINAL_OPERATIONS.has(facts.changeSummary.operation ?? ''),
    in_progress: changes.filter((c) => c.status === 'in_progress').map((c) => c.address),
  };
  summary.status =
    errored.size > 0 || facts.diagnostics.error > 0
      ? 'failed'
      : !completion.final_summary || summary.not_applied.length > 0 || completion.in_progress.length > 0
        ? 'incomplete'
        : 'applied';
  return { summary, completion };
}

/** Output changes: names and sensitivity, values only as commitments. */
function outputChanges(facts: ApplyStreamFacts, ctx: ReceiptContext) {
  if (!facts.outputs) return [];
  return [...facts.outputs.keys()].sort().map((name) => {
    const o = facts.outputs!.get(name)!;
    return {
      name,
      sensitive: o.sensitive,
      // Old UI streams (<= 1.0) print sensitive values in clear: commit, never copy.
      value:
        o.hasValue && o.value !== null && o.value !== undefined
          ? commit(ctx.commitmentKey, `output.${name}`, [], o.value)
          : null,
    };
  });
}

/** Terraform (from the stream, else the plan receipt), the plan's providers and kfm. */
function toolingOf(facts: ApplyStreamFacts, pp: PlanPredicate): Tool[] {
  const planTooling = Array.isArray(pp.tooling) ? (pp.tooling as Tool[]) : [];
  const tfFromPlan = planTooling.find((t) => isObject(t) && t.name === 'terraform')?.version ?? null;
  return [
    { name: 'terraform', version: facts.terraformVersion ?? tfFromPlan },
    ...planTooling.filter((t) => isObject(t) && t.name.startsWith('provider:')),
    { name: 'kfm', version: KFM_VERSION },
  ];
}

/** What the apply receipt says of the plan receipt it applied. */
function planReceiptRef(planReceipt: VerifiedStatement, pp: PlanPredicate, planSubjects: readonly Subject[]) {
  return {
    digest: planReceipt.envelopeDigest,
    keyid: planReceipt.key.keyid,
    env: pp.env as string,
    commit: isObject(pp.repo) ? ((pp.repo.commit as string | null) ?? null) : null,
    subjects: planSubjects.map((s) => ({ name: s.name, digest: `sha256:${s.digest.sha256}` })),
    summary: pp.summary as Record<string, unknown>,
  };
}

/** The stream as read: versions, message counts, diagnostics, Terraform's summary and unplanned addresses. */
function streamFacts(facts: ApplyStreamFacts, changes: readonly ApplyChange[]) {
  return {
    ui_version: facts.uiVersion,
    terraform_version: facts.terraformVersion,
    messages: facts.lines,
    types: facts.types,
    unknown_types: facts.unknownTypes,
    diagnostics: facts.diagnostics,
    change_summary: facts.changeSummary,
    unplanned: changes.filter((c) => c.planned === null).map((c) => c.address),
  };
}

/** Terraform's error diagnostics, redacted (receipts/redact/diagnostic-text.ts): what went wrong, never a value. */
function errorTexts(facts: ApplyStreamFacts) {
  return facts.errorDiagnostics.map((d) => ({
    summary: redactDiagnosticText(d.summary),
    detail: redactDiagnosticText(d.detail),
    address: d.address,
  }));
}

/**
 * The apply receipt of an apply stream and the plan receipt it applied, as named steps: check the
 * plan receipt, match the stream's hooks to the planned changes, summarize, then the statement.
 */
export function buildApplyStatement(
  facts: ApplyStreamFacts,
  planReceipt: VerifiedStatement,
  planReceiptSource: string,
  inputs: ApplyInputs,
  ctx: ReceiptContext,
): Statement {
  const pp = checkPlanReceipt(planReceipt, planReceiptSource, ctx.env);
  const errored = new Set<string>([...facts.erroredAddresses, ...facts.diagnosticAddresses]);
  const changes = applyChanges(facts, plannedActions(pp), errored);
  const { summary, completion } = summarize(facts, changes, errored);
  // Subjects: the stream, plus the plan JSON / plan file the plan receipt named (the chain).
  const planSubjects = (planReceipt.statement.subject as Subject[]) ?? [];
  const subject: Subject[] = [subjectOf(inputs.streamName, inputs.streamDigest), ...planSubjects];
  const planInputs = (pp.inputs as { ref: string; digest: string }[]) ?? [];
  const outputs = outputChanges(facts, ctx);
  const result = { summary, changes, outputs };
  const predicate = {
    kind: PREDICATE_KINDS.apply,
    env: ctx.env,
    repo: ctx.repo,
    actor: ctx.actor,
    tooling: toolingOf(facts, pp),
    inputs: [
      { ref: inputs.streamName, digest: inputs.streamDigest },
      { ref: inputs.planReceiptName, digest: planReceipt.envelopeDigest },
      ...planInputs,
    ],
    outputs: [{ ref: 'apply-result', digest: sha256Tagged(canonicalJson(result)) }],
    timestamps: { started: facts.firstTimestamp, finished: facts.lastTimestamp },
    plan_receipt: planReceiptRef(planReceipt, pp, planSubjects),
    summary,
    completion,
    // Added only when Terraform reported errors, so receipts of clean applies keep their bytes.
    ...(facts.errorDiagnostics.length > 0 ? { errors: errorTexts(facts) } : {}),
    changes,
    output_changes: outputs,
    stream: streamFacts(facts, changes),
    commitments: { alg: 'HMAC-SHA256' as const, key_id: ctx.commitmentKey.id, key_source: ctx.commitmentKey.source },
  };
  return buildStatement(subject, PREDICATE_TYPES.apply, predicate);
}
