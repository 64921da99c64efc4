/**
 * A ledger of many commits, signed in-process with the test keys (no process per entry): per
 * commit a dev plan, its apply, a zero-drift report and a passing smoke test, each made from the
 * real receipt builders' templates (support/evidence.ts). 250 commits are 1,000 entries: the size
 * an auditor's report must stay readable and bounded at.
 */
import { createHash } from 'node:crypto';
import { PREDICATE_TYPES } from '../../../attest/predicate-types';
import { openStore } from '../../../ledger/open-store';
import { pinnedBundleDigest } from '../../../gates/pins';
import { Ledger, Rec, templates } from './evidence';

/** The commit SHA of the i-th commit: deterministic, 40 hex digits. */
export const commitOf = (i: number): string => createHash('sha1').update(`commit-${i}`).digest('hex');

/** A plan of `n` resources created, as the real builder writes each change. */
function planChanges(n: number): Rec[] {
  const t = (templates.plan.changes as Rec[])[0]!;
  return Array.from({ length: n }, (_, j) => ({ ...t, address: `terraform_data.resource_${j}` }));
}
function applyChanges(n: number): Rec[] {
  return Array.from({ length: n }, (_, j) => ({
    address: `terraform_data.resource_${j}`,
    planned: 'create',
    completed: ['create'],
    status: 'applied',
  }));
}

/**
 * The ledger's entries, 4 per commit, oldest commit first; each plan and apply covers `resources`
 * resources (this repository's stacks plan about 60 per tier).
 */
export function manyCommits(commits: number, resources = 60): Ledger {
  const l = new Ledger(pinnedBundleDigest('dev'));
  for (let i = 0; i < commits; i++) {
    const commit = commitOf(i);
    const repo = { ...(templates.plan.repo as Rec), commit };
    const plan = l.plan('dev', {
      repo,
      changes: planChanges(resources),
      summary: { ...(templates.plan.summary as Rec), add: resources },
    });
    const t = templates.apply;
    const apply = l.add(PREDICATE_TYPES.apply, {
      ...t,
      env: 'dev',
      repo: { ...(t.repo as Rec), commit },
      plan_receipt: { ...(t.plan_receipt as Rec), digest: plan, env: 'dev' },
      changes: applyChanges(resources),
      summary: { ...(t.summary as Rec), status: 'applied', add: resources, errored: [], not_applied: [] },
      completion: { final_summary: true, in_progress: [] },
    });
    l.lastApply = apply;
    l.drift('dev', 0, apply, commit);
    l.smoke('dev', 'pass', apply, commit);
  }
  return l;
}

/** Append every entry to a directory store, in-process. */
export async function appendAll(store: string, l: Ledger): Promise<void> {
  const st = openStore(store, { env: process.env });
  for (const e of l.entries) await st.append(e.envelopeBytes);
}
