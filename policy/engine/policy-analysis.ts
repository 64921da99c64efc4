/**
 * One principal / action analyser for every policy the pack reads (issue 26): S3 bucket policies and
 * ACL grants, SNS, SQS, KMS key policies, Lambda permissions, ECR, Secrets Manager, VPC endpoint
 * policies, EKS access entries, IAM trust and identity policies. It reads JSON strings, jsonencode
 * results and `aws_iam_policy_document` data sources, known or unknown after apply; an unknown
 * principal fails closed only where it could be public (it does not come from a resource in the plan).
 */
import { Declarations, EXTERNAL_FILE } from './declarations';
import { Condition, globMatch, PrincipalId, Resolver, Statement, statementsOfDocument, statementsOfJson } from './iam';
import { RuleContext } from './rule';
import { bucketResolver } from './s3';
import { ResourceView, ValueSource } from './view';

/** What a policy governs: a resource (who may reach it), a role's trust, or an identity's grants. */
export type PolicyKind = 'resource' | 'endpoint' | 'trust' | 'identity';

/**
 * The statements of a policy argument: a known JSON string; else a JSON literal still carrying
 * `${...}` (synth, and plan configuration of JSON configs); else the ONE referenced
 * `data.aws_iam_policy_document`. 'unknown' when none of these can be read; undefined when unset.
 */
export function statementsOfAttr(ctx: RuleContext, r: ResourceView, attr: string): Statement[] | 'unknown' | undefined {
  const resolve = bucketResolver(ctx, r);
  // A policy argument absent from configuration is the provider's computed echo (an inline policy
  // written by another resource, judged there): only configured ones are read here.
  if (!r.isConfigured(attr.split('.')[0])) return undefined;
  const leaf = r.leaves(attr)[0];
  if (leaf && !leaf.unknown && typeof leaf.value === 'string') {
    if (leaf.value.trim() === '') return undefined;
    const known = statementsOfJson(leaf.value, resolve);
    if (known) return known;
  }
  const raw = attr.includes('.') ? r.templateAt(attr.replace(/\.(?=[^.]*$)/, '.0.')) : r.rawConfig(attr);
  if (typeof raw === 'string' && raw.trim().startsWith('{')) {
    const parsed = statementsOfJson(raw, resolve);
    if (parsed) return parsed;
  }
  const top = attr.split('.')[0];
  const docs = ctx.referenced(r, top, ['aws_iam_policy_document']).filter((d) => d.mode === 'data');
  if (docs.length !== 1) return leaf || r.isConfigured(top) ? 'unknown' : undefined;
  return statementsOfDocument(docs[0], bucketResolver(ctx, docs[0]));
}

/** Condition keys that tie a statement to a caller the platform names (not everyone). */
const RESTRICTING_KEYS = [
  'aws:sourcearn',
  'aws:sourceaccount',
  'aws:sourceowner',
  'aws:sourcevpc',
  'aws:sourcevpce',
  'aws:sourceorgid',
  'aws:principalorgid',
  'aws:principalaccount',
  'aws:principalarn',
  'aws:principalorgpaths',
  'aws:userid',
  'kms:calleraccount',
];

/** A condition restricts when it tests a restricting key for equality/like/ARN with no bare wildcard. */
export function restricts(conditions: Statement['conditions']): boolean {
  if (conditions === 'unknown') return false;
  return conditions.some(
    (c: Condition) =>
      RESTRICTING_KEYS.includes(c.variable.toLowerCase()) &&
      /^(String(Equals|Like)(IgnoreCase)?|Arn(Equals|Like))$/.test(c.test) &&
      c.values.length > 0 &&
      c.values.every((v) => typeof v === 'string' && v !== '*' && !/(^|:)\*$/.test(v)),
  );
}

/** The account of an AWS principal id (`123456789012`, `arn:aws:iam::123456789012:role/x`), or '*'. */
function accountOf(id: string): string | undefined {
  if (/^\d{12}$/.test(id)) return id;
  const m = /^arn:aws[a-z-]*:(?:iam|sts)::([^:]*):/.exec(id);
  return m ? m[1] : undefined;
}

/** Types whose ARN names one principal: an unknown value taken from them cannot be "*". */
const PRINCIPAL_TYPES =
  /^(data\.)?aws_(iam_role|iam_user|iam_openid_connect_provider|iam_saml_provider|caller_identity|iam_session_context)\./;

/** Where an unknown value comes from; the ARN of a principal of the plan (a role) cannot be "*". */
function fromPlanPrincipals(r: ResourceView, path: string): boolean {
  const sources: ValueSource[] = r.sources(path);
  return (
    sources.length > 0 &&
    sources.every(
      (s) =>
        (s.kind === 'resource' || s.kind === 'data') &&
        PRINCIPAL_TYPES.test(s.address.replace(/^.*?\b(?=(data\.)?aws_)/, '')),
    )
  );
}

/** Problems of one principal id of an Allow statement. */
export function principalIdProblem(
  ctx: RuleContext,
  p: PrincipalId,
  doc: ResourceView,
  path: string,
): string | undefined {
  if (p.id === undefined) {
    if (
      p.template &&
      /^\$\{(data\.)?aws_(iam_role|iam_user|iam_openid_connect_provider|iam_saml_provider|caller_identity)\.[^}]*\}$/.test(
        p.template,
      )
    )
      return undefined;
    if (!p.template && fromPlanPrincipals(p.doc ?? doc, p.path ?? path)) return undefined;
    return `a ${p.type} principal is unknown at this stage and could be public`;
  }
  if (p.type === 'Service' || p.type === 'Federated') return undefined;
  if (p.id === '*') return 'grants any principal';
  if (p.type === 'CanonicalUser') return 'grants a canonical user of another account';
  const account = accountOf(p.id);
  if (account === '*' || account === '') return 'grants a principal of any account';
  if (account && !ctx.declared.entry('accounts', account))
    return `grants account ${account}, not declared under "accounts" in ${EXTERNAL_FILE}`;
  return undefined;
}

const ADMIN_SERVICES = ['iam', 'sts', 'kms', 'organizations', 'account'];

function anyResource(s: Statement): boolean {
  return s.resources !== 'unknown' && (s.resources ?? []).some((x) => x === '*');
}

/** Wildcards on sensitive actions in an identity policy (resource `*`): admin, PassRole. */
function actionProblems(s: Statement): string[] {
  const out: string[] = [];
  if (s.notActions !== undefined) out.push('Allow with NotAction grants every other action');
  if (s.notResources !== undefined) out.push('Allow with NotResource grants every other resource');
  if (s.actions === 'unknown') return [...out, 'actions are unknown at this stage'];
  const actions = s.actions ?? [];
  if (!anyResource(s)) return out;
  if (actions.some((a) => a === '*' || ADMIN_SERVICES.some((svc) => globMatch(a, `${svc}:*`, true) && a.endsWith('*'))))
    out.push('a wildcard admin action on resource "*"');
  if (actions.some((a) => globMatch(a, 'iam:PassRole', true))) out.push('iam:PassRole on resource "*"');
  return out;
}

/** GitHub's OIDC trust must name this repository and one environment, without wildcards. */
function githubTrustProblem(declared: Declarations, s: Statement): string | undefined {
  if (s.conditions === 'unknown') return 'GitHub OIDC trust conditions are unknown at this stage';
  const subs = s.conditions.filter((c) => c.variable.toLowerCase() === 'token.actions.githubusercontent.com:sub');
  if (subs.length === 0) return 'GitHub OIDC trust has no token.actions.githubusercontent.com:sub condition';
  const repos = declared.platform.githubRepositories;
  const envs = declared.platform.githubEnvironments;
  const other = Object.keys(declared.platform.githubSubjectsWithoutEnvironment);
  const pinned = (v: unknown): boolean => {
    const m = typeof v === 'string' ? /^repo:([^:]+):(?:environment:([^:]+)|([^:]+))$/.exec(v) : null;
    return m !== null && repos.includes(m[1]) && (m[2] !== undefined ? envs.includes(m[2]) : other.includes(m[3]));
  };
  const ok = subs.every(
    (c) => /^StringEquals(IgnoreCase)?$/.test(c.test) || c.values.every((v) => !/[*?]/.test(String(v))),
  );
  if (!ok || !subs.every((c) => c.values.length > 0 && c.values.every(pinned)))
    return `GitHub OIDC trust is not pinned to repo:<repository>:environment:<env> of ${EXTERNAL_FILE} platform.githubRepositories`;
  return undefined;
}

function isGithubProvider(ctx: RuleContext, doc: ResourceView, p: PrincipalId): boolean {
  if (p.id?.includes('token.actions.githubusercontent.com')) return true;
  const m = p.template ? /\$\{(aws_iam_openid_connect_provider\.[\w-]+)\.arn\}/.exec(p.template) : null;
  const fromSources = p.path
    ? (p.doc ?? doc)
        .sources(p.path)
        .find((s) => s.kind === 'resource' && s.address.includes('aws_iam_openid_connect_provider.'))
    : undefined;
  const address = m ? doc.modulePath + m[1] : fromSources?.kind === 'resource' ? fromSources.address : undefined;
  const provider = address ? ctx.byAddress(address) : undefined;
  const url = provider?.leaves('url')[0];
  return !!url && !url.unknown && String(url.value).includes('token.actions.githubusercontent.com');
}

/** Everything wrong with one statement of a policy of `kind`. */
export function statementProblems(ctx: RuleContext, doc: ResourceView, s: Statement, kind: PolicyKind): string[] {
  if (s.effect === 'unknown') return ['a statement effect is unknown at this stage'];
  if (s.effect !== 'Allow') return [];
  const out: string[] = [];
  if (s.notPrincipal) out.push('Allow with NotPrincipal grants everyone but the listed principals');
  if (kind === 'identity') return [...out, ...actionProblems(s)];
  if (s.notActions !== undefined) out.push('Allow with NotAction grants every other action');
  const restricted = restricts(s.conditions);
  for (const p of s.principalIds ?? []) {
    if (p.type === 'Federated' && kind === 'trust' && isGithubProvider(ctx, doc, p)) {
      const g = githubTrustProblem(ctx.declared, s);
      if (g) out.push(g);
      continue;
    }
    const problem = principalIdProblem(ctx, p, doc, 'statement');
    if (!problem || restricted) continue;
    if (kind === 'endpoint' && problem === 'grants any principal') continue;
    out.push(problem);
  }
  if (s.principal === 'unknown' && (s.principalIds ?? []).length === 0 && !restricted)
    out.push('principals are unknown at this stage and could be public');
  return out;
}

/** Problems of a whole policy argument (deduplicated); 'unknown' statements fail closed. */
export function policyProblems(ctx: RuleContext, r: ResourceView, attr: string, kind: PolicyKind): string[] {
  const statements = statementsOfAttr(ctx, r, attr);
  if (statements === undefined) return [];
  if (statements === 'unknown') return [`${attr} cannot be read at this stage`];
  return [...new Set(statements.flatMap((s) => statementProblems(ctx, r, s, kind)))].map((p) => `${attr}: ${p}`);
}

export type { Resolver };
