import { encryptedAtRestRule } from '../engine/rule';

/** Encryption at rest for Redshift. */
export const rule = encryptedAtRestRule(__filename, {
  noun: 'Redshift cluster',
  judges: ['aws_redshift_cluster'],
  covers: ['aws_redshift_cluster', 'aws_redshift_subnet_group', 'aws_redshift_parameter_group'],
  checkov: ['CKV_AWS_64'],
});
