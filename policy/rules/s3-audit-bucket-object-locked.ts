import { bad, defineRule, knownValues, ok, Outcome, requireBool } from '../engine/rule';
import { bucketName, isAccessLogTarget, zoneOf } from '../engine/s3';
import { auditRetentionDaysProblems } from '../engine/settings';

/** The audit ledger is append-only: object lock on, COMPLIANCE default retention. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every audit-zone S3 bucket (except a server access log target) has object lock enabled with a COMPLIANCE-mode default retention.',
  remediation:
    'Set object_lock_enabled = true on the bucket and add an aws_s3_bucket_object_lock_configuration referencing it with rule.default_retention { mode = "COMPLIANCE", days or years > 0 }.',
  covers: ['aws_s3_bucket_object_lock_configuration', 'aws_s3_bucket_logging', 'aws_s3_bucket_lifecycle_configuration'],
  checkov: ['CKV_AWS_143'],
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const b of ctx.ofType('aws_s3_bucket')) {
      const zone = zoneOf(b);
      if (zone === undefined || (zone !== 'unknown' && zone !== 'audit')) continue;
      // AWS refuses server access log delivery into a bucket with default retention, so the
      // audit zone's access-log target is exempt; its other controls still apply. Only a log store
      // the platform declares (external-resources.json, logs: true) is: a decoy logging
      // configuration pointing at an audit bucket does not buy an exemption.
      if (isAccessLogTarget(ctx, b) && ctx.declared.bucket(bucketName(b))?.logs === true) continue;
      if (zone === 'unknown') {
        out.push(bad(b.address, 'zone tag is unknown at this stage, so the audit object lock cannot be verified'));
        continue;
      }
      const problems: string[] = [];
      const enabled = requireBool(b, 'object_lock_enabled', true, false, 'the audit zone');
      if (!enabled.compliant) problems.push(enabled.message);
      const locks = ctx.linked(b, 'aws_s3_bucket_object_lock_configuration');
      if (locks.length === 0) problems.push('no aws_s3_bucket_object_lock_configuration references this bucket');
      for (const l of locks) {
        const mode = knownValues(l, 'rule.default_retention.mode');
        const days = knownValues(l, 'rule.default_retention.days');
        const years = knownValues(l, 'rule.default_retention.years');
        if (mode === 'unknown' || days === 'unknown' || years === 'unknown') {
          problems.push(`${l.address} default retention is unknown at this stage`);
          continue;
        }
        if (!mode.includes('COMPLIANCE')) problems.push(`${l.address} default retention mode is not COMPLIANCE`);
        if (![...days, ...years].some((n) => typeof n === 'number' && n > 0))
          problems.push(`${l.address} default retention sets no days or years > 0`);
        else problems.push(...auditRetentionDaysProblems(l).map((p) => `${l.address} ${p}`));
      }
      out.push(problems.length ? bad(b.address, problems.join('; ')) : ok(b.address));
    }
    return out;
  },
});
