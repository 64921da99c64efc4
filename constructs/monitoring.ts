/**
 * Monitoring: one SNS topic per tier and CloudWatch alarms that notify it on alarm and on recovery
 * (health of the backend, database CPU and free storage; prod adds load-balancer target health,
 * 5xx and in-service instance count).
 */
import { CloudwatchMetricAlarm } from '@cdktf/provider-aws/lib/cloudwatch-metric-alarm';
import { SnsTopic } from '@cdktf/provider-aws/lib/sns-topic';
import { Construct } from 'constructs';

export interface AlarmSpec {
  /** PascalCase construct id, also the alarm name suffix. */
  readonly id: string;
  readonly namespace: string;
  readonly metricName: string;
  readonly dimensions: Record<string, string>;
  readonly statistic: 'Average' | 'Maximum' | 'Minimum' | 'Sum';
  readonly comparison: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold';
  readonly threshold: number;
  /**
   * One-minute periods the threshold must be crossed for before the alarm fires.
   * @default 2
   */
  readonly evaluationPeriods?: number;
  /**
   * How missing data counts (a silent backend is unhealthy).
   * @default 'breaching'
   */
  readonly treatMissingData?: 'breaching' | 'notBreaching';
  readonly description: string;
}

export interface MonitoringProps {
  /** Name of the SNS topic alarms go to. */
  readonly topicName: string;
  /** Alarm names are `<alarmPrefix>-<id>`. */
  readonly alarmPrefix: string;
}

export class Monitoring extends Construct {
  readonly topic: SnsTopic;
  readonly alarms: CloudwatchMetricAlarm[] = [];
  private readonly alarmPrefix: string;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    this.alarmPrefix = props.alarmPrefix;
    this.topic = new SnsTopic(this, 'AlarmTopic', { name: props.topicName });
  }

  addAlarm(spec: AlarmSpec): CloudwatchMetricAlarm {
    const alarm = new CloudwatchMetricAlarm(this, spec.id, {
      alarmName: `${this.alarmPrefix}-${spec.id}`,
      alarmDescription: spec.description,
      namespace: spec.namespace,
      metricName: spec.metricName,
      dimensions: spec.dimensions,
      statistic: spec.statistic,
      comparisonOperator: spec.comparison,
      threshold: spec.threshold,
      period: 60,
      evaluationPeriods: spec.evaluationPeriods ?? 2,
      treatMissingData: spec.treatMissingData ?? 'breaching',
      alarmActions: [this.topic.arn],
      okActions: [this.topic.arn],
    });
    this.alarms.push(alarm);
    return alarm;
  }
}
