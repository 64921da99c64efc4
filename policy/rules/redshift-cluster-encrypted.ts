import { defineRule, requireBool } from '../engine/rule';

/** Encryption at rest for Redshift. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'Every Redshift cluster has encrypted = true.',
  remediation: 'Set encrypted = true (and kms_key_id) on the aws_redshift_cluster.',
  covers: ['aws_redshift_cluster', 'aws_redshift_subnet_group', 'aws_redshift_parameter_group'],
  checkov: ['CKV_AWS_64'],
  evaluate(ctx) {
    return ctx
      .ofType('aws_redshift_cluster')
      .map((c) => requireBool(c, 'encrypted', true, false, 'encryption at rest'));
  },
});
