import { notPubliclyAccessibleRule } from '../engine/rule';

/** Trust membrane: no direct warehouse access from the internet. */
export const rule = notPubliclyAccessibleRule(__filename, {
  noun: 'Redshift cluster',
  judges: ['aws_redshift_cluster'],
  absentMeans: true,
  remediation: 'Set publicly_accessible = false (the aws provider 5.x default is true).',
  covers: ['aws_redshift_cluster'],
  checkov: ['CKV_AWS_87'],
});
