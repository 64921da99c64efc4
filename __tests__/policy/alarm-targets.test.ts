/**
 * No alarm target outside the plan is trusted (issue 26, round 5): a CloudWatch alarm notifies a
 * resource of the plan (by reference), AWS's own EC2 actions, or an SNS topic declared by ARN under
 * "topics"; anything else fails in prod (a warning elsewhere) and names what to declare. Judged on
 * synthesized JSON here (the corpus pair 124 judges a real plan).
 */
import { checkPolicy } from '../../policy/check';
import committed from '../../policy/config/external-resources.json';
import { PolicyEnv } from '../../policy/engine/rule';

const NOW = new Date('2025-06-01T00:00:00Z');
const DECLARED = 'arn:aws:sns:us-east-1:111122223333:kfm-oncall-shared';
const declarations = {
  doc: { ...committed, topics: { [DECLARED]: { reason: 'the shared on-call topic of operations' } } },
  origin: 'decl.json',
};

function stack(actions: Record<string, unknown>): unknown {
  return {
    provider: { aws: [{ region: 'us-east-1' }] },
    resource: {
      aws_sns_topic: { oncall: { name: 'kfm-oncall' } },
      aws_cloudwatch_metric_alarm: {
        a: {
          alarm_name: 'kfm-errors',
          comparison_operator: 'GreaterThanThreshold',
          evaluation_periods: 1,
          metric_name: 'Errors',
          namespace: 'AWS/Lambda',
          period: 60,
          statistic: 'Sum',
          threshold: 1,
          ...actions,
        },
      },
    },
  };
}

const targetFindings = (actions: Record<string, unknown>, env: PolicyEnv = 'prod') =>
  checkPolicy({ kind: 'synth', doc: stack(actions), origin: 'stack', env, now: NOW, declarations })
    .findings.filter((f) => f.rule === 'targets-in-plan-or-declared')
    .map((f) => `${f.severity} ${f.message}`);

describe('alarm targets outside the plan', () => {
  it('accepts a topic of the plan, a declared topic and an EC2 action', () => {
    expect(
      targetFindings({
        alarm_actions: ['${aws_sns_topic.oncall.arn}', DECLARED],
        ok_actions: ['arn:aws:automate:us-east-1:ec2:recover'],
        insufficient_data_actions: ['${aws_sns_topic.oncall.id}'],
      }),
    ).toEqual([]);
  });

  it('fails an undeclared SNS topic in prod, naming the list to declare it in', () => {
    expect(targetFindings({ alarm_actions: ['arn:aws:sns:us-east-1:444455556666:elsewhere'] })).toEqual([
      'error alarm_actions names an SNS topic that is not in this plan and not declared: manage it in this configuration, or declare its ARN under "topics" in policy/config/external-resources.json with a reason',
    ]);
  });

  it('warns outside prod, so dev and stage keep moving', () => {
    expect(targetFindings({ ok_actions: ['arn:aws:sns:us-east-1:444455556666:elsewhere'] }, 'dev')).toEqual([
      expect.stringMatching(/^warning ok_actions names an SNS topic that is not in this plan/),
    ]);
  });

  it('fails any other target outside the plan and an unknown value that names none of the plan', () => {
    expect(targetFindings({ alarm_actions: ['arn:aws:lambda:us-east-1:444455556666:function:pager'] })).toEqual([
      expect.stringMatching(/^error alarm_actions names a target outside this plan that is not an SNS topic/),
    ]);
    expect(targetFindings({ alarm_actions: ['${var.pager_arn}'] })).toEqual([
      'error alarm_actions is unknown at this stage and names no SNS topic or other alarm target of this plan',
    ]);
    expect(targetFindings({ alarm_actions: ['${aws_sns_topic.oncall.name}'] })).toEqual([
      'error alarm_actions is unknown at this stage and names no SNS topic or other alarm target of this plan',
    ]);
  });
});
