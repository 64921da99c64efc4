import { defineRule, requireBool } from '../engine/rule';

/** Trust membrane: no direct warehouse access from the internet. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'No Redshift cluster is publicly accessible.',
  remediation: 'Set publicly_accessible = false (the aws provider 5.x default is true).',
  covers: ['aws_redshift_cluster'],
  checkov: ['CKV_AWS_87'],
  evaluate(ctx) {
    return ctx
      .ofType('aws_redshift_cluster')
      .map((c) => requireBool(c, 'publicly_accessible', false, true, 'the trust membrane'));
  },
});
