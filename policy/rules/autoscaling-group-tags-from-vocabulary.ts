import { POLICY_LABELS, ZONES } from '../../core/vocabulary';
import { asBool, defineRule, judged } from '../engine/rule';

/**
 * Auto scaling groups take `tag` blocks, not a `tags` map, so tags-from-vocabulary cannot see them:
 * every group carries policy_label and zone from the vocabularies and propagates them to instances.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every auto scaling group has tag blocks policy_label and zone from the vocabularies, with propagate_at_launch = true.',
  remediation:
    'Add tag { key = "policy_label" ... propagate_at_launch = true } and tag { key = "zone" ... } to the aws_autoscaling_group.',
  covers: ['aws_autoscaling_group'],
  checkov: ['CKV_AWS_153'],
  evaluate(ctx) {
    return ctx.ofType('aws_autoscaling_group').map((g) => {
      const tags = g.leaves('tag');
      if (tags.some((t) => t.unknown)) return judged(g.address, ['tag is unknown at this stage']);
      const byKey = new Map<string, Record<string, unknown>>();
      for (const t of tags) {
        const v = (t as { value: Record<string, unknown> }).value ?? {};
        if (typeof v.key === 'string') byKey.set(v.key, v);
      }
      return judged(
        g.address,
        (
          [
            ['policy_label', POLICY_LABELS],
            ['zone', ZONES],
          ] as const
        ).map(([key, allowed]) => {
          const t = byKey.get(key);
          if (!t) return `tag ${key} is missing`;
          if (t.value === null || t.value === undefined) return `tag ${key} is unknown at this stage`;
          if (!(allowed as readonly string[]).includes(String(t.value)))
            return `tag ${key} is not one of ${allowed.join(', ')}`;
          return asBool(t.propagate_at_launch) === true ? undefined : `tag ${key} is not propagated at launch`;
        }),
      );
    });
  },
});
