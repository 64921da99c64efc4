import { defineRule, requireBool } from '../engine/rule';

/** Trust membrane: no direct database access from the internet. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'No RDS instance is publicly accessible.',
  remediation: 'Set publicly_accessible = false (the default) and reach the database through the governed API only.',
  covers: ['aws_db_instance', 'aws_rds_cluster_instance'],
  checkov: ['CKV_AWS_17'],
  evaluate(ctx) {
    return ctx
      .ofType('aws_db_instance', 'aws_rds_cluster_instance')
      .map((r) => requireBool(r, 'publicly_accessible', false, false, 'the trust membrane'));
  },
});
