import { encryptedAtRestRule } from '../engine/rule';

/** Encryption at rest for EFS. */
export const rule = encryptedAtRestRule(__filename, {
  noun: 'EFS file system',
  judges: ['aws_efs_file_system'],
  covers: ['aws_efs_file_system', 'aws_efs_mount_target', 'aws_efs_access_point'],
  checkov: ['CKV_AWS_42'],
});
