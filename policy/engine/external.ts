import declared from '../config/external-resources.json';
import { Outcome, PolicyEnv, RuleContext, bad, ok } from './rule';
import { ResourceView } from './view';

/**
 * What the platform declares about resources outside a plan (policy/config/external-resources.json).
 * A target that is neither in the plan nor declared is never trusted: a finding in prod (an error),
 * a warning elsewhere, naming the list to add it to.
 */
export interface DeclaredBucket {
  readonly zone?: string;
  /** A log store: CloudTrail, flow logs and access logs may be delivered to it. */
  readonly logs?: boolean;
  readonly objectLock?: string;
  readonly reason: string;
}

export type DeclaredKind =
  | 'buckets'
  | 'securityGroups'
  | 'networkAcls'
  | 'roles'
  | 'topics'
  | 'accounts'
  | 'endpointServices'
  | 'queues'
  | 'repositories'
  | 'secrets';

const LISTS = declared as unknown as Record<DeclaredKind, Record<string, { reason: string }>> & {
  platform: {
    auditMinimumRetentionDays: number;
    githubRepositories: string[];
    githubEnvironments: string[];
    githubSubjectsWithoutEnvironment: Record<string, string>;
  };
};

export const PLATFORM = LISTS.platform;
export const EXTERNAL_FILE = 'policy/config/external-resources.json';

/** The declared entry of `kind` named `key` (a bucket name, a group id, a role name, an account id). */
export function declaredEntry(kind: DeclaredKind, key: string): { reason: string } | undefined {
  const list = LISTS[kind] ?? {};
  return Object.prototype.hasOwnProperty.call(list, key) ? list[key] : undefined;
}

export function declaredBucket(name: string): DeclaredBucket | undefined {
  return declaredEntry('buckets', name) as DeclaredBucket | undefined;
}

/** The bucket name of an S3 ARN or a bare name (`arn:aws:s3:::b/prefix/` → `b`). */
export function bucketOfArnOrName(v: string): string {
  return v.replace(/^arn:aws[a-z-]*:s3:::/, '').split('/')[0];
}

/** A finding about an undeclared target: error in prod, warning elsewhere (dev/stage keep moving). */
export function undeclared(r: ResourceView, env: PolicyEnv | undefined, what: string, kind: DeclaredKind): Outcome {
  return bad(
    r.address,
    `${what} is not in this plan and not declared: manage it in this configuration, or declare it under "${kind}" in ${EXTERNAL_FILE} with a reason`,
    env === 'prod' ? undefined : 'warning',
  );
}

/**
 * Judge the target named by `attr`: in the plan (linked per instance) → ok; its known value declared
 * under `kind` → ok; otherwise an `undeclared` finding. `key` turns the value into the declared key.
 */
export function targetOutcome(
  ctx: RuleContext,
  r: ResourceView,
  attr: string,
  targetTypes: readonly string[],
  kind: DeclaredKind,
  key: (value: string) => string = (v) => v,
): Outcome | undefined {
  const l = ctx.link(r, attr, targetTypes);
  if (l.kind !== 'external') return l.kind === 'target' ? ok(r.address) : undefined;
  const leaf = r.leaves(attr)[0];
  const value = leaf && !leaf.unknown && typeof leaf.value === 'string' ? leaf.value : undefined;
  if (value !== undefined && declaredEntry(kind, key(value))) return ok(r.address);
  return undeclared(r, ctx.env, `${attr} names a ${kind.replace(/s$/, '')} that`, kind);
}
