import { Env } from '../core/vocabulary';
import type { Predicates } from '../attest/predicates';
import { Evidence, evidenceFor, latest } from './evidence';
import { GateItem } from './promote';

/**
 * Apply exactly what was reviewed: the plan file (by sha256) must be a subject of the newest
 * trusted plan receipt for `env` and the commit. A match with an older plan receipt is a stale
 * plan; no match is an unreviewed one.
 */
export function judgePlanFile(
  evidence: readonly Evidence[],
  env: Env,
  commit: string,
  planFile: string,
  planHex: string,
): { item: GateItem; planReceipt?: Evidence<Predicates['plan']> } {
  const requirement = 'approved plan file';
  const plans = evidenceFor(evidence, 'plan', env, commit);
  const newest = latest(plans);
  const matching = plans.filter((p) => p.subject.some((s) => s.digest?.sha256 === planHex));
  if (matching.length === 0 || !newest) {
    const detail = `${planFile} (sha256:${planHex}) is not the subject of any trusted ${env} plan receipt for commit ${commit}: stale or unreviewed plan; re-run scripts/plan.sh ${env} and get it approved`;
    return { item: { requirement, ok: false, detail } };
  }
  if (!matching.includes(newest)) {
    const detail = `${planFile} matches plan receipt entry ${matching[matching.length - 1]!.seq}, but entry ${newest.seq} is a newer ${env} plan for this commit: apply the newest reviewed plan`;
    return { item: { requirement, ok: false, detail } };
  }
  const detail = `${planFile} is the subject of ${env} plan receipt entry ${newest.seq}`;
  return { planReceipt: newest, item: { requirement, ok: true, digest: newest.digest, seq: newest.seq, detail } };
}

/** The newest trusted apply receipt for `env` (and the commit, when given): what drift and smoke check. */
export function newestApplyReceipt(
  evidence: readonly Evidence[],
  env: Env,
  commit?: string,
): Evidence<Predicates['apply']> | undefined {
  return latest(evidenceFor(evidence, 'apply', env, commit));
}
