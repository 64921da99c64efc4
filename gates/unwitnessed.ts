/**
 * Records a quorum of witnesses has not cosigned yet are never evidence FOR a decision (an
 * appender's unwitnessed history could say anything), but a trusted record among them can deny:
 * ignoring data never turns DENY into ALLOW. Without this, a prod gate run between the CI's
 * append of a failing stage record and its cosign would promote over it.
 *
 * The gate judges twice: the witnessed tree, then the witnessed tree with the verified entries
 * after it. An item that fails only the second way fails, saying why; the decision is the
 * conjunction, which is exactly what the gate will decide once those entries are cosigned.
 */
import { Evidence, Rejected } from './evidence';
import type { GatheredEvidence } from './gather';
import { GateItem } from './promote';

/** What a gate's items are, judged from some evidence. */
export type JudgeItems = (evidence: Evidence[], rejected: Rejected[]) => readonly GateItem[];

const WHY =
  ' (found in entries appended after the newest witnessed checkpoint, not yet cosigned: records not yet witnessed can deny, never allow)';

/** The gate's items on the witnessed evidence, with every denial the unwitnessed entries add. */
export function judgeWithUnwitnessed(judge: JudgeItems, gathered: GatheredEvidence): GateItem[] {
  const items = [...judge(gathered.evidence, gathered.rejected)];
  const tail = gathered.withUnwitnessed;
  if (tail === undefined) return items;
  const failing = judge(tail.evidence, tail.rejected).filter((i) => !i.ok);
  const byRequirement = new Map(items.map((i, n) => [i.requirement, n]));
  for (const f of failing) {
    const n = byRequirement.get(f.requirement);
    const denial: GateItem = { ...f, detail: `${f.detail}${WHY}` };
    if (n === undefined) items.push(denial);
    else if (items[n]!.ok) items[n] = denial;
  }
  return items;
}
