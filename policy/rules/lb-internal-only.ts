import { boolProblem, defineRule, judged } from '../engine/rule';

/** Trust membrane: no internet-facing load balancer; the governed API is reached through the edge, not a public LB. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'Every load balancer (aws_lb, aws_alb, aws_elb) is internal.',
  remediation:
    'Set internal = true (the default is internet-facing); publish the governed API through the reviewed edge only.',
  covers: [
    'aws_lb',
    'aws_alb',
    'aws_elb',
    'aws_lb_target_group',
    'aws_alb_target_group',
    'aws_lb_target_group_attachment',
  ],
  checkov: [],
  evaluate(ctx) {
    return ctx
      .ofType('aws_lb', 'aws_alb', 'aws_elb')
      .map((lb) =>
        judged(lb.address, [
          boolProblem(lb, 'internal', true, false, 'the trust membrane (no internet-facing load balancer)'),
        ]),
      );
  },
});
