import { DeclaredKind, EXTERNAL_FILE } from './declarations';
import { Outcome, PolicyEnv, RuleContext, bad, ok } from './rule';
import { ResourceView } from './view';

export { declarationsFor, EXTERNAL_FILE } from './declarations';
export type { DeclaredBucket, DeclaredKind, Declarations } from './declarations';

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
  if (value !== undefined && ctx.declared.entry(kind, key(value))) return ok(r.address);
  return undeclared(r, ctx.env, `${attr} names a ${kind.replace(/s$/, '')} that`, kind);
}
