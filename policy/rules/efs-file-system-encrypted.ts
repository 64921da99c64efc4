import { defineRule, requireBool } from '../engine/rule';

/** Encryption at rest for EFS. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'Every EFS file system has encrypted = true.',
  remediation: 'Set encrypted = true (and kms_key_id) on the aws_efs_file_system.',
  covers: ['aws_efs_file_system', 'aws_efs_mount_target', 'aws_efs_access_point'],
  checkov: ['CKV_AWS_42'],
  evaluate(ctx) {
    return ctx.ofType('aws_efs_file_system').map((f) => requireBool(f, 'encrypted', true, false, 'encryption at rest'));
  },
});
