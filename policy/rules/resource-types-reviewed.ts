import { bad, defineRule, ok, Outcome } from '../engine/rule';
import reviewed from '../config/reviewed-types.json';

const REVIEWED: Readonly<Record<string, string>> = reviewed.types;

/**
 * Default deny for types: every managed resource type is judged by some rule (its `covers`) or
 * listed in config/reviewed-types.json as reviewed and neutral. A type nobody has looked at is a
 * finding: an error in stage and prod (and without --env), a warning in dev.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every resource type is covered by a rule of the pack or listed as reviewed and neutral in policy/config/reviewed-types.json.',
  remediation:
    'Add a rule that judges the type (covers), or review it and list it with a one-line reason in policy/config/reviewed-types.json.',
  checkov: [],
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const r of ctx.input.resources) {
      if (r.mode !== 'managed') continue;
      if (ctx.coveredTypes.has(r.type) || Object.prototype.hasOwnProperty.call(REVIEWED, r.type))
        out.push(ok(r.address));
      else
        out.push(
          bad(
            r.address,
            `type ${r.type} is covered by no rule and not reviewed as neutral`,
            ctx.env === 'dev' ? 'warning' : 'error',
          ),
        );
    }
    return out;
  },
});
