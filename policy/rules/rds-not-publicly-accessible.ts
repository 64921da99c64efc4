import { notPubliclyAccessibleRule } from '../engine/rule';

/** Trust membrane: no direct database access from the internet. */
export const rule = notPubliclyAccessibleRule(__filename, {
  noun: 'RDS instance',
  judges: ['aws_db_instance', 'aws_rds_cluster_instance'],
  absentMeans: false,
  remediation: 'Set publicly_accessible = false (the default) and reach the database through the governed API only.',
  covers: ['aws_db_instance', 'aws_rds_cluster_instance'],
  checkov: ['CKV_AWS_17'],
});
