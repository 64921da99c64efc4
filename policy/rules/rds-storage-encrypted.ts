import { defineRule, requireBool } from '../engine/rule';

/** Encryption at rest for databases. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'Every RDS instance and cluster has storage_encrypted = true.',
  remediation: 'Set storage_encrypted = true (and kms_key_id to a customer-managed key) on the DB instance or cluster.',
  covers: ['aws_db_instance', 'aws_rds_cluster', 'aws_rds_cluster_instance', 'aws_db_subnet_group'],
  checkov: ['CKV_AWS_16'],
  evaluate(ctx) {
    return ctx
      .ofType('aws_db_instance', 'aws_rds_cluster')
      .map((r) => requireBool(r, 'storage_encrypted', true, false, 'encryption at rest'));
  },
});
