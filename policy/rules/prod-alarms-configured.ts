import { asBool, bad, defineRule, ok, scalar, WHOLE_CONFIGURATION } from '../engine/rule';
import { ResourceView } from '../engine/view';

/** Why an alarm would not page anyone, or undefined when it would (enabled, >= 1 alarm action). */
function silent(a: ResourceView): string | undefined {
  const enabled = scalar(a, 'actions_enabled');
  if (enabled.kind === 'unknown') return `${a.address} actions_enabled is unknown at this stage`;
  if (enabled.kind === 'value' && asBool(enabled.value) === false) return `${a.address} has actions_enabled = false`;
  // A list of references has a known length even when its elements are unknown at plan time.
  const actions = a.leaves('alarm_actions');
  if (actions.length === 0 && a.references('alarm_actions').length === 0) return `${a.address} has no alarm_actions`;
  if (actions.length === 1 && actions[0].unknown && a.references('alarm_actions').length === 0)
    return `${a.address} alarm_actions is unknown at this stage`;
  return undefined;
}

/** Prod failures page someone: at least one enabled metric alarm with an action. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'In prod, a configuration with AWS resources has at least one enabled CloudWatch metric alarm with at least one alarm action.',
  remediation:
    'Add an aws_cloudwatch_metric_alarm with actions_enabled = true (the default) and alarm_actions pointing at the on-call SNS topic.',
  covers: ['aws_cloudwatch_metric_alarm', 'aws_sns_topic'],
  checkov: ['CKV_AWS_319'],
  evaluate(ctx) {
    if (ctx.env !== 'prod') return [];
    // CloudWatch alarms watch AWS resources: a configuration with none (a Kubernetes-only stack) is not judged.
    if (!ctx.input.resources.some((r) => r.mode === 'managed' && r.type.startsWith('aws_'))) return [];
    const alarms = ctx.ofType('aws_cloudwatch_metric_alarm');
    const reasons = alarms.map(silent);
    if (reasons.some((r) => r === undefined)) return [ok(WHOLE_CONFIGURATION)];
    return [
      bad(
        WHOLE_CONFIGURATION,
        alarms.length === 0
          ? 'prod has no aws_cloudwatch_metric_alarm'
          : `none of ${alarms.length} aws_cloudwatch_metric_alarm(s) is enabled with alarm_actions: ${reasons.join('; ')}`,
      ),
    ];
  },
});
