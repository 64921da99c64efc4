import { DeclaredKind, EXTERNAL_FILE, targetOutcome } from '../engine/external';
import { PolicyKind, policyProblems, principalIdProblem } from '../engine/policy-analysis';
import { bad, defineRule, judged, Outcome, RuleContext, scalar } from '../engine/rule';
import { ResourceView } from '../engine/view';
import { zoneWriterOutcomes } from '../engine/zone-writers';

/** Every policy argument the analyser reads, by type, with what the policy governs. */
const POLICIES: ReadonlyArray<readonly [string, string, PolicyKind]> = [
  ['aws_s3_bucket_policy', 'policy', 'resource'],
  ['aws_s3_bucket', 'policy', 'resource'],
  ['aws_sns_topic', 'policy', 'resource'],
  ['aws_sns_topic_policy', 'policy', 'resource'],
  ['aws_sqs_queue', 'policy', 'resource'],
  ['aws_sqs_queue_policy', 'policy', 'resource'],
  ['aws_kms_key', 'policy', 'resource'],
  ['aws_ecr_repository_policy', 'policy', 'resource'],
  ['aws_secretsmanager_secret', 'policy', 'resource'],
  ['aws_secretsmanager_secret_policy', 'policy', 'resource'],
  ['aws_vpc_endpoint', 'policy', 'endpoint'],
  ['aws_iam_role', 'assume_role_policy', 'trust'],
  ['aws_iam_role', 'inline_policy.policy', 'identity'],
  ['aws_iam_policy', 'policy', 'identity'],
  ['aws_iam_role_policy', 'policy', 'identity'],
];

/**
 * Resource policies attached by reference: the argument naming the governed resource, its types and the
 * declared list. A policy on a queue, repository or secret outside the plan is judged like any other
 * unknown target: declared in policy/config/external-resources.json, or a finding (an error in prod).
 */
const POLICY_TARGETS: ReadonlyArray<readonly [string, string, readonly string[], DeclaredKind]> = [
  ['aws_sqs_queue_policy', 'queue_url', ['aws_sqs_queue'], 'queues'],
  ['aws_ecr_repository_policy', 'repository', ['aws_ecr_repository'], 'repositories'],
  ['aws_secretsmanager_secret_policy', 'secret_arn', ['aws_secretsmanager_secret'], 'secrets'],
];

/** AWS-managed policies that are admin on everything (or on IAM itself). */
const ADMIN_MANAGED = /^arn:aws[a-z-]*:iam::aws:policy\/(AdministratorAccess|IAMFullAccess)$/;

/** Groups' world-wide grantees of S3 ACLs. */
const PUBLIC_GROUPS = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;

function aclProblems(r: ResourceView): string[] {
  const out: string[] = [];
  const types = r.leaves('access_control_policy.grant.grantee.type');
  const uris = r.leaves('access_control_policy.grant.grantee.uri');
  const ids = r.leaves('access_control_policy.grant.grantee.id');
  const owner = r.leaves('access_control_policy.owner.id')[0];
  const emails = r.leaves('access_control_policy.grant.grantee.email_address');
  if ([...types, ...uris, ...ids].some((l) => l.unknown)) out.push('ACL grantees are unknown at this stage');
  if (uris.some((u) => !u.unknown && PUBLIC_GROUPS.test(String(u.value))))
    out.push('an ACL grant to a global group (AllUsers / AuthenticatedUsers)');
  // A plan lists the attribute null on every grantee; only a set (or unknown) address is a grant by e-mail.
  if (emails.some((l) => l.unknown || (l.value !== null && l.value !== undefined && l.value !== '')))
    out.push('an ACL grant to an account by e-mail');
  const ownerId = owner && !owner.unknown ? String(owner.value) : undefined;
  if (ids.some((i) => !i.unknown && String(i.value) !== ownerId))
    out.push('an ACL grant to a canonical user other than the owner');
  return out;
}

/** A Lambda permission: who may invoke, narrowed by source_arn / source_account / principal_org_id. */
function lambdaPermissionProblems(ctx: RuleContext, r: ResourceView): string[] {
  const narrowed = ['source_arn', 'source_account', 'principal_org_id'].some((a) => scalar(r, a).kind !== 'absent');
  const p = scalar(r, 'principal');
  if (p.kind === 'absent') return [];
  const id = p.kind === 'value' ? String(p.value) : undefined;
  if (id !== undefined && /\.amazonaws\.com$/.test(id)) return [];
  const problem = principalIdProblem(ctx, { type: 'AWS', id }, r, 'principal');
  return problem && !narrowed ? [`principal ${problem}`] : [];
}

/** An EKS access entry's principal: a role or user of the plan or of a declared account. */
function accessEntryProblems(ctx: RuleContext, r: ResourceView): string[] {
  const p = scalar(r, 'principal_arn');
  const problem = principalIdProblem(
    ctx,
    { type: 'AWS', id: p.kind === 'value' ? String(p.value) : undefined },
    r,
    'principal_arn',
  );
  return problem ? [`principal_arn ${problem}`] : [];
}

/** A VPC endpoint reaches an AWS service, or a service of another account declared by the platform. */
function endpointServiceProblems(ctx: RuleContext, r: ResourceView): string[] {
  const s = scalar(r, 'service_name');
  if (s.kind !== 'value') return s.kind === 'unknown' ? ['service_name is unknown at this stage'] : [];
  const name = String(s.value);
  if (/^com\.amazonaws\.[a-z0-9-]+\.[a-z0-9.-]+$/.test(name) && !name.startsWith('com.amazonaws.vpce.')) return [];
  if (ctx.declared.entry('endpointServices', name)) return [];
  return [
    `service_name is another account's endpoint service, not declared under "endpointServices" in ${EXTERNAL_FILE}`,
  ];
}

function attachmentProblems(r: ResourceView): string[] {
  const arn = scalar(r, 'policy_arn');
  return arn.kind === 'value' && ADMIN_MANAGED.test(String(arn.value))
    ? ['policy_arn attaches an admin managed policy']
    : [];
}

/** The declared key of a target: a queue URL or ARN → the queue name; a secret ARN as given; a repository by name. */
function targetKey(kind: DeclaredKind): (value: string) => string {
  if (kind !== 'queues') return (v) => v;
  return (v) => v.replace(/^arn:aws[a-z-]*:sqs:[^:]*:[^:]*:/, '').replace(/^https:\/\/[^/]+\/[^/]+\//, '');
}

function perResource(ctx: RuleContext): Outcome[] {
  const problems = new Map<string, string[]>();
  const add = (r: ResourceView, ps: string[]): void => {
    problems.set(r.address, [...(problems.get(r.address) ?? []), ...ps]);
  };
  for (const [type, attr, kind] of POLICIES)
    for (const r of ctx.ofType(type)) add(r, policyProblems(ctx, r, attr, kind));
  for (const r of ctx.ofType('aws_s3_bucket_acl')) add(r, aclProblems(r));
  for (const r of ctx.ofType('aws_lambda_permission')) add(r, lambdaPermissionProblems(ctx, r));
  for (const r of ctx.ofType('aws_eks_access_entry')) add(r, accessEntryProblems(ctx, r));
  for (const r of ctx.ofType('aws_vpc_endpoint')) add(r, endpointServiceProblems(ctx, r));
  for (const r of ctx.ofType('aws_iam_role_policy_attachment')) add(r, attachmentProblems(r));
  return [...problems].map(([address, ps]) => judged(address, ps));
}

/** The queue, repository or secret a resource policy governs: in the plan or declared (failures only). */
function policyTargetOutcomes(ctx: RuleContext): Outcome[] {
  const out: Outcome[] = [];
  for (const [type, attr, targetTypes, kind] of POLICY_TARGETS)
    for (const r of ctx.ofType(type)) {
      const l = ctx.link(r, attr, targetTypes);
      const o =
        l.kind === 'unlinkable'
          ? bad(r.address, `${attr}: ${l.why}; name the ${kind.replace(/s$/, '')} directly`)
          : targetOutcome(ctx, r, attr, targetTypes, kind, targetKey(kind));
      if (o && !o.compliant) out.push(o);
    }
  return out;
}

/**
 * Least privilege through one analyser: no policy grants any principal, another account or a
 * NotPrincipal; no Allow with NotAction / NotResource; no wildcard admin action or PassRole on "*";
 * OIDC trust pinned to this repository and an environment; one writer per zone.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'No resource, trust or identity policy (S3 policy and ACL, SNS, SQS, KMS, ECR, Secrets Manager, VPC endpoint, Lambda permission, EKS access entry, IAM) grants any principal, another account or organisation, NotPrincipal / NotAction / NotResource, a wildcard admin action or iam:PassRole on "*"; GitHub OIDC trust is pinned to this repository and an environment; each zone has one writer.',
  remediation:
    'Name the principals (roles of this plan, or accounts declared in policy/config/external-resources.json), add a restricting condition (aws:SourceArn, aws:PrincipalOrgID, ...), list actions and resources explicitly, pin sub to repo:<repo>:environment:<env>, and keep one writer role per zone.',
  covers: [
    ...new Set([
      ...POLICIES.map(([t]) => t),
      'aws_s3_bucket_acl',
      'aws_lambda_permission',
      'aws_eks_access_entry',
      'aws_iam_role_policy_attachment',
    ]),
  ],
  checkov: [
    'CKV_AWS_33',
    'CKV_AWS_60',
    'CKV_AWS_61',
    'CKV_AWS_62',
    'CKV_AWS_63',
    'CKV_AWS_107',
    'CKV_AWS_110',
    'CKV_AWS_286',
    'CKV_AWS_287',
    'CKV_AWS_289',
    'CKV_AWS_301',
    'CKV_AWS_355',
    'CKV_AWS_358',
  ],
  evaluate(ctx) {
    return [...perResource(ctx), ...policyTargetOutcomes(ctx), ...zoneWriterOutcomes(ctx)];
  },
});
