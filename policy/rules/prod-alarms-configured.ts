import { asBool, bad, defineRule, judged, ok, Outcome, RuleContext, scalar, WHOLE_CONFIGURATION } from '../engine/rule';
import { ResourceView } from '../engine/view';

/** Why an alarm would not page anyone, or undefined when it would (enabled, >= 1 alarm action). */
function silent(a: ResourceView): string | undefined {
  const enabled = scalar(a, 'actions_enabled');
  if (enabled.kind === 'unknown') return 'actions_enabled is unknown at this stage';
  if (enabled.kind === 'value' && asBool(enabled.value) === false) return 'actions_enabled = false';
  // A list of references has a known length even when its elements are unknown at plan time.
  const actions = a.leaves('alarm_actions');
  if (actions.length === 0 && a.references('alarm_actions').length === 0) return 'no alarm_actions';
  if (actions.length === 1 && actions[0].unknown && a.references('alarm_actions').length === 0)
    return 'alarm_actions is unknown at this stage';
  return undefined;
}

/** The longest window an alarm may need before it fires: a day (a longer outage pages nobody in time). */
const MAX_WINDOW_SECONDS = 86_400;
/** Metrics AWS reports in percent (0-100): above 100 nothing is ever reached. */
const PERCENT_METRIC = /(Utilization|Percent(age)?)$/;
const NON_NEGATIVE_STATS = new Set(['SampleCount', 'Sum', 'Minimum', 'Maximum', 'Average']);

const num = (a: ResourceView, path: string): number | undefined => {
  const s = scalar(a, path);
  return s.kind === 'value' && typeof s.value === 'number' ? s.value : undefined;
};
const str = (a: ResourceView, path: string): string | undefined => {
  const s = scalar(a, path);
  return s.kind === 'value' && typeof s.value === 'string' ? s.value : undefined;
};

/**
 * Why an alarm can never fire, or undefined. Judged for a single-metric alarm of an AWS namespace
 * (their values are never negative; percent metrics never exceed 100): a threshold the statistic
 * cannot cross, more datapoints than periods, or a window longer than a day.
 */
function neverFires(a: ResourceView): string | undefined {
  const periods = num(a, 'evaluation_periods');
  const period = num(a, 'period');
  const datapoints = num(a, 'datapoints_to_alarm');
  if (periods !== undefined && datapoints !== undefined && datapoints > periods)
    return `datapoints_to_alarm (${datapoints}) exceeds evaluation_periods (${periods})`;
  if (periods !== undefined && period !== undefined && periods * period > MAX_WINDOW_SECONDS)
    return `evaluation_periods × period is ${periods * period} s, more than a day before it can fire`;
  const threshold = num(a, 'threshold');
  const op = str(a, 'comparison_operator');
  const ns = str(a, 'namespace') ?? '';
  const stat = str(a, 'statistic');
  if (threshold === undefined || op === undefined || !ns.startsWith('AWS/')) return undefined;
  if (stat && NON_NEGATIVE_STATS.has(stat)) {
    if ((op === 'LessThanThreshold' && threshold <= 0) || (op === 'LessThanOrEqualToThreshold' && threshold < 0))
      return `${stat} of an AWS metric is never below ${threshold}`;
  }
  if (PERCENT_METRIC.test(str(a, 'metric_name') ?? '') && stat !== 'SampleCount' && stat !== 'Sum') {
    if (
      (op === 'GreaterThanThreshold' && threshold >= 100) ||
      (op === 'GreaterThanOrEqualToThreshold' && threshold > 100)
    )
      return `a percent metric never exceeds ${threshold}`;
  }
  return undefined;
}

/** Types that hold no running workload an alarm could watch: storage controls, keys, identities, topics. */
const NOT_WORKLOAD = /^aws_(s3_|kms_|iam_|sns_|cloudwatch_metric_alarm$)/;

/** The whole configuration: a prod workload has at least one alarm that pages. */
function configurationOutcome(ctx: RuleContext, paging: number): Outcome[] {
  const workload = ctx.input.resources.some(
    (r) => r.mode === 'managed' && r.type.startsWith('aws_') && !NOT_WORKLOAD.test(r.type),
  );
  if (!workload) return [];
  return [paging > 0 ? ok(WHOLE_CONFIGURATION) : bad(WHOLE_CONFIGURATION, 'prod has no alarm that can fire and page')];
}

/**
 * Prod failures page someone: every metric alarm is enabled, has an action and can fire, and a
 * configuration that runs a workload has at least one. A configuration of storage controls, keys
 * and identities only (the shared audit and bootstrap stacks) runs nothing an alarm could watch.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'In prod, every CloudWatch metric alarm is enabled with at least one alarm action and can fire (a threshold its statistic can cross, at most a day of evaluation), and a configuration that runs a workload (anything but S3 controls, KMS, IAM and SNS) has at least one.',
  remediation:
    'Add or fix an aws_cloudwatch_metric_alarm: actions_enabled = true (the default), alarm_actions pointing at the on-call SNS topic, a reachable threshold and evaluation_periods × period of at most a day.',
  covers: ['aws_cloudwatch_metric_alarm', 'aws_sns_topic'],
  checkov: ['CKV_AWS_319'],
  evaluate(ctx) {
    if (ctx.env !== 'prod') return [];
    // CloudWatch alarms watch AWS resources: a configuration with none (a Kubernetes-only stack) is not judged.
    if (!ctx.input.resources.some((r) => r.mode === 'managed' && r.type.startsWith('aws_'))) return [];
    const alarms = ctx.ofType('aws_cloudwatch_metric_alarm').map((a) => {
      const problems = [silent(a), neverFires(a)].filter((p): p is string => p !== undefined);
      return judged(a.address, problems);
    });
    const paging = alarms.filter((o) => o.compliant).length;
    return [...alarms, ...configurationOutcome(ctx, paging)];
  },
});
