import { bad, defineRule, ok, Outcome } from '../engine/rule';
import reviewed from '../config/reviewed-types.json';
import { COVERAGE, isKnownType, unreadSettings } from '../engine/coverage';

const REVIEWED: Readonly<Record<string, string>> = reviewed.types;

const isReviewed = (type: string): boolean => Object.prototype.hasOwnProperty.call(REVIEWED, type);

/**
 * Why a type is not covered, or undefined when it is: covered means some rule lists it (`covers`)
 * or it is reviewed neutral, AND policy/config/coverage.json lists it with every security-relevant
 * setting read by a rule or reviewed irrelevant (coverage by setting, not by type).
 */
export function uncoveredBecause(
  type: string,
  coveredTypes: ReadonlySet<string>,
  table: typeof COVERAGE = COVERAGE,
): string | undefined {
  const known = coveredTypes.has(type) || isReviewed(type);
  if (!known) return `type ${type} is covered by no rule and not reviewed as neutral`;
  if (!isKnownType(type))
    return `type ${type} has no entry in policy/config/coverage.json: list its security-relevant settings and the rule that reads each`;
  const unread = unreadSettings(type, table);
  if (unread.length)
    return `type ${type} is not covered: setting(s) ${unread.join(', ')} are read by no rule (policy/config/coverage.json)`;
  return undefined;
}

/**
 * Default deny for types: every managed resource type is judged by some rule (its `covers`) or
 * listed in config/reviewed-types.json as reviewed and neutral, and every security-relevant setting
 * of it (config/coverage.json) is read by a rule or reviewed irrelevant. A type nobody has looked at
 * is a finding: an error in stage and prod (and without --env), a warning in dev.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every resource type is covered by a rule of the pack or listed as reviewed and neutral in policy/config/reviewed-types.json, and every security-relevant setting of it in policy/config/coverage.json is read by a rule or reviewed irrelevant.',
  remediation:
    'Add a rule that judges the type (covers) and reads each of its settings, or review it and list it with a one-line reason in policy/config/reviewed-types.json; list its settings in policy/config/coverage.json.',
  checkov: [],
  evaluate(ctx) {
    const out: Outcome[] = [];
    // By type: a plan holds thousands of resources of a few types.
    const byType = new Map<string, string | undefined>();
    for (const r of ctx.input.resources) {
      if (r.mode !== 'managed') continue;
      let why = byType.get(r.type);
      if (why === undefined && !byType.has(r.type))
        byType.set(r.type, (why = uncoveredBecause(r.type, ctx.coveredTypes)));
      out.push(why === undefined ? ok(r.address) : bad(r.address, why, ctx.env === 'dev' ? 'warning' : 'error'));
    }
    return out;
  },
});
