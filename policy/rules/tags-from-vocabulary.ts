import { POLICY_LABELS, ZONES } from '../../core/vocabulary';
import { bad, defineRule, ok, Outcome, tag } from '../engine/rule';
import taggable from '../config/taggable-types.json';

const TAGGABLE = new Set<string>(taggable.types);
const VOCABULARIES: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['policy_label', POLICY_LABELS],
  ['zone', ZONES],
];

/**
 * Every taggable resource carries `policy_label` and `zone` from the controlled vocabularies
 * (seed 000 "Zone vocabulary"). Taggable = the pinned aws provider's schema has a `tags` attribute
 * (policy/config/taggable-types.json); provider default_tags count.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'Every taggable resource has policy_label and zone tags from the controlled vocabularies.',
  remediation: `Tag the resource (or the provider's default_tags) with policy_label (${POLICY_LABELS.join('|')}) and zone (${ZONES.join('|')}).`,
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const r of ctx.input.resources) {
      if (r.mode !== 'managed' || !TAGGABLE.has(r.type)) continue;
      const problems: string[] = [];
      for (const [key, allowed] of VOCABULARIES) {
        const t = tag(r, key);
        if (!t) problems.push(`tag ${key} is missing`);
        else if (t.unknown) problems.push(`tag ${key} is unknown at this stage`);
        // Never quote the value: it may come from a sensitive variable (in clear in planned_values).
        else if (!allowed.includes(String(t.value))) problems.push(`tag ${key} is not one of ${allowed.join(', ')}`);
      }
      out.push(problems.length ? bad(r.address, problems.join('; ')) : ok(r.address));
    }
    return out;
  },
});
