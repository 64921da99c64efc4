import { bad, configuredLeaves, defineRule, ok, Outcome, RuleContext, tag } from '../engine/rule';
import { bucketOfArnOrName, EXTERNAL_FILE, targetOutcome, undeclared } from '../engine/external';
import { S3_ANCILLARY_TYPES } from '../engine/writers';
import { REBUILDABLE_ZONES, bucketName } from '../engine/s3';
import { auditRetentionProblems, settingProblems } from '../engine/settings';
import { modulePathAbove, ResourceView } from '../engine/view';

/** Attachments and controls, the argument naming their target, the target types and the declared list. */
const TARGETS: ReadonlyArray<
  readonly [readonly string[], string, readonly string[], 'securityGroups' | 'networkAcls' | 'roles' | 'topics']
> = [
  [
    ['aws_security_group_rule', 'aws_vpc_security_group_ingress_rule', 'aws_vpc_security_group_egress_rule'],
    'security_group_id',
    ['aws_security_group', 'aws_default_security_group'],
    'securityGroups',
  ],
  [['aws_network_acl_rule', 'aws_network_acl_association'], 'network_acl_id', ['aws_network_acl'], 'networkAcls'],
  [['aws_iam_role_policy', 'aws_iam_role_policy_attachment'], 'role', ['aws_iam_role'], 'roles'],
  [['aws_sns_topic_policy'], 'arn', ['aws_sns_topic'], 'topics'],
];

/**
 * A control on a declared bucket is judged by what the platform declares about it: a canonical zone
 * keeps versioning Enabled, an audit bucket keeps COMPLIANCE retention of at least the platform minimum,
 * and public access stays blocked.
 */
function declaredBucketProblems(r: ResourceView, zone: string | undefined): string[] {
  const canonical = zone !== undefined && !(REBUILDABLE_ZONES as readonly string[]).includes(zone);
  switch (r.type) {
    case 'aws_s3_bucket_versioning':
      return canonical ? settingProblems(r, 'versioning_configuration.status', { oneOf: ['Enabled'] }) : [];
    case 'aws_s3_bucket_public_access_block':
      return ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'].flatMap(
        (a) => settingProblems(r, a, { equals: true, absent: false }),
      );
    case 'aws_s3_bucket_object_lock_configuration':
      return zone === 'audit' ? auditRetentionProblems(r) : [];
    default:
      return [];
  }
}

function s3Outcome(ctx: RuleContext, r: ResourceView): Outcome | undefined {
  const l = ctx.link(r, 'bucket', ['aws_s3_bucket']);
  if (l.kind !== 'external') return undefined;
  const leaf = r.leaves('bucket')[0];
  const name = leaf && !leaf.unknown && typeof leaf.value === 'string' ? leaf.value : undefined;
  const declared = name === undefined ? undefined : ctx.declared.bucket(name);
  if (!declared) return targetOutcome(ctx, r, 'bucket', ['aws_s3_bucket'], 'buckets');
  const problems = declaredBucketProblems(r, declared.zone);
  return problems.length
    ? bad(r.address, `controls declared bucket (${EXTERNAL_FILE}): ${problems.join('; ')}`)
    : ok(r.address);
}

/** A bucket in the plan that has a declared name must carry the declared zone (no relabelling by tag). */
function zoneOutcome(ctx: RuleContext, b: ResourceView): Outcome | undefined {
  const declared = ctx.declared.bucket(bucketName(b));
  if (!declared?.zone) return undefined;
  const t = tag(b, 'zone');
  if (t && !t.unknown && t.value === declared.zone) return ok(b.address);
  return bad(
    b.address,
    `bucket is declared in ${EXTERNAL_FILE} with zone ${declared.zone}; its zone tag is ${t ? (t.unknown ? 'unknown at this stage' : `"${String(t.value)}"`) : 'absent'} (a zone is not relabelled by tag)`,
  );
}

/** Buckets a DMS endpoint moves data into: a bucket of the plan (by reference or name) or a declared one. */
function dmsBucketOutcome(ctx: RuleContext, r: ResourceView): Outcome {
  const problems: string[] = [];
  for (const path of ['s3_settings.bucket_name', 'redshift_settings.bucket_name']) {
    for (const l of configuredLeaves(r, path)) {
      if (l.unknown) {
        if (ctx.referenced(r, path.split('.')[0], ['aws_s3_bucket']).length === 0)
          problems.push(`${path} is unknown at this stage and names no bucket of this plan`);
        continue;
      }
      const name = String(l.value);
      if (ctx.ofType('aws_s3_bucket').some((b) => bucketName(b) === name) || ctx.declared.bucket(name)) continue;
      const u = undeclared(r, ctx.env, `${path} names a bucket that`, 'buckets');
      if (!u.compliant) return u;
    }
  }
  return problems.length ? bad(r.address, problems.join('; ')) : ok(r.address);
}

/** Where a replication configuration copies a bucket: a bucket of the plan or a declared one (by ARN or name). */
function replicationDestinationOutcome(ctx: RuleContext, r: ResourceView): Outcome {
  const path = 'rule.destination.bucket';
  for (const l of configuredLeaves(r, path)) {
    if (l.unknown) {
      if (ctx.referenced(r, 'rule', ['aws_s3_bucket']).length === 0)
        return bad(r.address, `${path} is unknown at this stage and names no bucket of this plan`);
      continue;
    }
    const name = bucketOfArnOrName(String(l.value));
    if (ctx.ofType('aws_s3_bucket').some((b) => bucketName(b) === name) || ctx.declared.bucket(name)) continue;
    const u = undeclared(r, ctx.env, `${path} names a bucket that`, 'buckets');
    if (!u.compliant) return u;
  }
  return ok(r.address);
}

/** Where a CloudWatch alarm sends its state changes. */
const ALARM_ACTION_PATHS = ['alarm_actions', 'ok_actions', 'insufficient_data_actions'] as const;
/** Managed types of the plan an alarm action may name by reference (their ARN, or an SNS topic's id). */
const ALARM_TARGET_TYPES = [
  'aws_sns_topic',
  'aws_autoscaling_policy',
  'aws_appautoscaling_policy',
  'aws_lambda_function',
  'aws_lambda_alias',
] as const;
/** AWS's own EC2 alarm actions (stop, terminate, reboot, recover the alarm's instance): no target outside. */
const AWS_EC2_ACTION = /^arn:aws[a-z-]*:(automate:[a-z0-9-]+:ec2:|swf:[a-z0-9-]+:\d*:action\/actions\/AWS_EC2\.)/;
const TARGET_REF = /^([a-z][a-z0-9_]*\.[A-Za-z_][\w-]*)(\[(?:"(?:[^"\\]|\\.)*"|\d+|\*)\])?(?:\.([A-Za-z_][\w-]*))?$/;

/** True when a reference names (the ARN of) alarm targets managed in this plan, in the module `up` levels above `a`'s. */
function namesPlanTarget(ctx: RuleContext, a: ResourceView, ref: string, up: number): boolean {
  const m = TARGET_REF.exec(ref);
  const modulePath = modulePathAbove(a.modulePath, up);
  if (!m || modulePath === undefined || (m[3] !== undefined && m[3] !== 'arn' && m[3] !== 'id')) return false;
  const base = modulePath + m[1];
  return ctx
    .ofType(...ALARM_TARGET_TYPES)
    .some((t) => t.mode === 'managed' && (t.address === base || t.address.startsWith(`${base}[`)));
}

/**
 * Where an alarm notifies: resources of this plan (by reference), AWS's EC2 actions, or an SNS topic
 * declared under "topics" (by ARN). A known ARN of any other target, or an unknown value that names no
 * target of this plan, is an error in prod (a warning elsewhere) saying what to declare.
 */
function alarmTargetsOutcome(ctx: RuleContext, a: ResourceView): Outcome {
  const problems: string[] = [];
  for (const path of ALARM_ACTION_PATHS) {
    const leaves = configuredLeaves(a, path);
    if (leaves.some((l) => l.unknown)) {
      const refs = a.traversalsAt(path);
      if (refs.length === 0 || !refs.every((t) => namesPlanTarget(ctx, a, t.ref, t.up)))
        problems.push(`${path} is unknown at this stage and names no SNS topic or other alarm target of this plan`);
    }
    for (const l of leaves) {
      if (l.unknown || typeof l.value !== 'string') continue;
      const arn = l.value;
      if (AWS_EC2_ACTION.test(arn)) continue;
      if (/^arn:aws[a-z-]*:sns:/.test(arn)) {
        if (!ctx.declared.entry('topics', arn))
          problems.push(
            `${path} names an SNS topic that is not in this plan and not declared: manage it in this configuration, or declare its ARN under "topics" in ${EXTERNAL_FILE} with a reason`,
          );
        continue;
      }
      problems.push(
        `${path} names a target outside this plan that is not an SNS topic: manage it in this configuration, or notify an SNS topic declared under "topics" in ${EXTERNAL_FILE}`,
      );
    }
  }
  if (problems.length === 0) return ok(a.address);
  return bad(a.address, [...new Set(problems)].join('; '), ctx.env === 'prod' ? undefined : 'warning');
}

export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every control, rule, policy or attachment (and every replication destination and alarm action) names a target in the plan or one declared in policy/config/external-resources.json, and controls on declared buckets keep what the platform declares (zone, versioning, audit retention).',
  remediation:
    'Manage the target in this configuration, or declare it (with a reason) in policy/config/external-resources.json; never weaken a declared bucket.',
  covers: [
    ...S3_ANCILLARY_TYPES,
    ...TARGETS.flatMap(([types]) => types),
    'aws_dms_endpoint',
    'aws_s3_bucket_replication_configuration',
    'aws_cloudwatch_metric_alarm',
  ],
  checkov: [],
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const r of ctx.ofType(...S3_ANCILLARY_TYPES)) out.push(s3Outcome(ctx, r) ?? ok(r.address));
    for (const [types, attr, targets, kind] of TARGETS)
      for (const r of ctx.ofType(...types)) out.push(targetOutcome(ctx, r, attr, targets, kind) ?? ok(r.address));
    for (const b of ctx.ofType('aws_s3_bucket')) out.push(zoneOutcome(ctx, b) ?? ok(b.address));
    for (const r of ctx.ofType('aws_dms_endpoint')) out.push(dmsBucketOutcome(ctx, r));
    for (const r of ctx.ofType('aws_s3_bucket_replication_configuration'))
      out.push(replicationDestinationOutcome(ctx, r));
    for (const a of ctx.ofType('aws_cloudwatch_metric_alarm')) out.push(alarmTargetsOutcome(ctx, a));
    return out;
  },
});
