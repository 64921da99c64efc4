import { defineRule, requireBool } from '../engine/rule';

/** Prod databases cannot be deleted by one careless apply. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'In prod, every RDS instance and cluster has deletion_protection = true.',
  remediation: 'Set deletion_protection = true on prod DB instances and clusters.',
  covers: ['aws_db_instance', 'aws_rds_cluster'],
  checkov: ['CKV_AWS_293'],
  evaluate(ctx) {
    if (ctx.env !== 'prod') return [];
    return ctx
      .ofType('aws_db_instance', 'aws_rds_cluster')
      .map((r) => requireBool(r, 'deletion_protection', true, false, 'prod deletion protection'));
  },
});
