import { bucketOfArnOrName, EXTERNAL_FILE, undeclared } from '../engine/external';
import { bad, defineRule, ok, Outcome, RuleContext, scalar } from '../engine/rule';
import { bucketName } from '../engine/s3';
import { ResourceView } from '../engine/view';

/** Where each log-producing type names its destination bucket. */
const DESTINATIONS: ReadonlyArray<readonly [string, string]> = [
  ['aws_cloudtrail', 's3_bucket_name'],
  ['aws_flow_log', 'log_destination'],
  ['aws_s3_bucket_logging', 'target_bucket'],
  ['aws_redshift_cluster', 'logging.bucket_name'],
];

/** A bucket of the plan named by reference or by its known name. */
function inPlan(ctx: RuleContext, r: ResourceView, attr: string, name: string | undefined): boolean {
  const top = attr.split('.')[0];
  if (ctx.referenced(r, top, ['aws_s3_bucket', 'aws_cloudwatch_log_group']).length > 0) return true;
  return name !== undefined && ctx.ofType('aws_s3_bucket').some((b) => bucketName(b) === name);
}

function destinationOutcome(ctx: RuleContext, r: ResourceView, attr: string): Outcome {
  const s = scalar(r, attr);
  if (s.kind === 'absent') return ok(r.address);
  const value = s.kind === 'value' ? String(s.value) : undefined;
  if (r.type === 'aws_flow_log' && value !== undefined && !value.startsWith('arn:aws:s3:::')) {
    // CloudWatch Logs destination: a log group of this plan, or not trusted.
    return inPlan(ctx, r, attr, undefined)
      ? ok(r.address)
      : undeclared(r, ctx.env, `${attr} names a log group that`, 'buckets');
  }
  const name = value === undefined ? undefined : bucketOfArnOrName(value);
  if (inPlan(ctx, r, attr, name)) return ok(r.address);
  if (name === undefined) return bad(r.address, `${attr} is unknown at this stage and names no bucket of this plan`);
  const declared = ctx.declared.bucket(name);
  if (!declared) return undeclared(r, ctx.env, `${attr} names a log bucket that`, 'buckets');
  return declared.logs
    ? ok(r.address)
    : bad(r.address, `${attr} names a bucket declared in ${EXTERNAL_FILE} that is not a log store (logs: true)`);
}

/**
 * Audit evidence stays inside the platform: CloudTrail, VPC flow logs, S3 server access logs and
 * Redshift audit logs go to a bucket of the plan or one the platform declares as a log store.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'CloudTrail, VPC flow logs, S3 access logs and Redshift audit logs are delivered to a bucket (or log group) of the plan or to a log store declared in policy/config/external-resources.json.',
  remediation:
    'Deliver logs to the platform log store (kfm-audit-access-logs) or a bucket of this configuration; declare any other log store with logs: true and a reason.',
  covers: ['aws_cloudtrail', 'aws_flow_log', 'aws_s3_bucket_logging'],
  checkov: ['CKV_AWS_67', 'CKV2_AWS_11'],
  evaluate(ctx) {
    return DESTINATIONS.flatMap(([type, attr]) => ctx.ofType(type).map((r) => destinationOutcome(ctx, r, attr)));
  },
});
