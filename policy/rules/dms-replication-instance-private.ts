import { boolProblem, defineRule, judged } from '../engine/rule';

/** Trust membrane: a DMS replication instance reads databases; it is never on the internet. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'Every DMS replication instance sets publicly_accessible = false.',
  remediation:
    'Set publicly_accessible = false explicitly (AWS defaults it to true in a VPC with an internet gateway).',
  covers: [
    'aws_dms_replication_instance',
    'aws_dms_replication_subnet_group',
    'aws_dms_endpoint',
    'aws_dms_replication_task',
  ],
  checkov: ['CKV_AWS_89'],
  evaluate(ctx) {
    return ctx
      .ofType('aws_dms_replication_instance')
      .map((d) => judged(d.address, [boolProblem(d, 'publicly_accessible', false, undefined, 'the trust membrane')]));
  },
});
