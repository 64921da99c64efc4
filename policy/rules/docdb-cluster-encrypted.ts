import { defineRule, requireBool } from '../engine/rule';

/** Encryption at rest for DocumentDB. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'Every DocumentDB cluster has storage_encrypted = true.',
  remediation: 'Set storage_encrypted = true (and kms_key_id to a customer-managed key) on the aws_docdb_cluster.',
  covers: [
    'aws_docdb_cluster',
    'aws_docdb_cluster_instance',
    'aws_docdb_subnet_group',
    'aws_docdb_cluster_parameter_group',
  ],
  checkov: ['CKV_AWS_74'],
  evaluate(ctx) {
    return ctx
      .ofType('aws_docdb_cluster')
      .map((c) => requireBool(c, 'storage_encrypted', true, false, 'encryption at rest'));
  },
});
