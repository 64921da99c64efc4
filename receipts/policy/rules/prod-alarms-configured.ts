import { bad, defineRule, ok, WHOLE_CONFIGURATION } from '../rule';

/** Prod failures page someone: at least one metric alarm with an action. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'In prod, at least one CloudWatch metric alarm has alarm_actions.',
  remediation: 'Add an aws_cloudwatch_metric_alarm with alarm_actions pointing at the on-call SNS topic.',
  evaluate(ctx) {
    if (ctx.env !== 'prod') return [];
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
