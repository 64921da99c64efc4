import { bad, defineRule, ok, WHOLE_CONFIGURATION } from '../engine/rule';

/** Prod failures page someone: at least one metric alarm with an action. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'In prod, a configuration with AWS resources has at least one CloudWatch metric alarm with alarm_actions.',
  remediation: 'Add an aws_cloudwatch_metric_alarm with alarm_actions pointing at the on-call SNS topic.',
  evaluate(ctx) {
    if (ctx.env !== 'prod') return [];
    // CloudWatch alarms watch AWS resources: a configuration with none (a Kubernetes-only stack) is not judged.
    if (!ctx.input.resources.some((r) => r.mode === 'managed' && r.type.startsWith('aws_'))) return [];
    const alarms = ctx.ofType('aws_cloudwatch_metric_alarm');
    // A list of references has a known length even when its elements are unknown at plan time.
    const withActions = alarms.filter(
      (a) => a.leaves('alarm_actions').length > 0 || a.references('alarm_actions').length > 0,
    );
    if (withActions.length > 0) return [ok(WHOLE_CONFIGURATION)];
    return [
      bad(
        WHOLE_CONFIGURATION,
        alarms.length === 0
          ? 'prod has no aws_cloudwatch_metric_alarm'
          : `none of ${alarms.length} aws_cloudwatch_metric_alarm(s) has alarm_actions`,
      ),
    ];
  },
});
