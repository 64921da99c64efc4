import { ResourceView } from './view';
import { RuleContext, tag } from './rule';
import { Resolver, Statement, statementsOfDocument, statementsOfJson } from './iam';

/** Zones whose buckets are canonical stores (seed 000 "Canonical vs rebuildable"); `work` may be rewritten. */
export const REBUILDABLE_ZONES = ['work'] as const;

/**
 * The bucket's zone: a known string, 'unknown', or undefined when the tag is absent.
 */
export function zoneOf(bucket: ResourceView): string | 'unknown' | undefined {
  const z = tag(bucket, 'zone');
  if (!z) return undefined;
  if (z.unknown) return 'unknown';
  return typeof z.value === 'string' ? z.value : 'unknown';
}

/** A bucket's name when known at this stage, else a symbol naming its address (never equal to a real name). */
export function bucketName(bucket: ResourceView): string {
  const l = bucket.leaves('bucket')[0];
  return l && !l.unknown && typeof l.value === 'string' ? l.value : `<${bucket.address}>`;
}

export function bucketArn(bucket: ResourceView): string {
  return `arn:aws:s3:::${bucketName(bucket)}`;
}

/**
 * Resolves `${aws_s3_bucket.x.arn}`, `${aws_s3_bucket.x.id}` and `${aws_s3_bucket.x.bucket}` in a
 * template written in `from`'s module to the bucket's ARN or name; any other reference is unresolvable.
 */
export function bucketResolver(ctx: RuleContext, from: ResourceView): Resolver {
  return (template) => {
    let failed = false;
    const out = template.replace(/\$\{([^}]*)\}/g, (_, inner: string) => {
      const m = /^\s*(aws_s3_bucket\.[A-Za-z_][\w-]*(?:\[[^\]]*\])?)\.(arn|id|bucket)\s*$/.exec(inner);
      const b = m ? ctx.byAddress(from.modulePath + m[1]) : undefined;
      if (!m || !b || b.type !== 'aws_s3_bucket') {
        failed = true;
        return '';
      }
      return m[2] === 'arn' ? bucketArn(b) : bucketName(b);
    });
    return failed ? undefined : out;
  };
}

/**
 * The statements of an `aws_s3_bucket_policy`'s `policy` (or a bucket's inline `policy`): a known JSON
 * string; else a JSON literal still carrying `${...}` (synth, and plan configuration of JSON configs);
 * else the ONE referenced `data.aws_iam_policy_document`. 'unknown' when none of these can be read.
 */
export function statementsOfBucketPolicy(ctx: RuleContext, policy: ResourceView): Statement[] | 'unknown' {
  const resolve = bucketResolver(ctx, policy);
  const leaf = policy.leaves('policy')[0];
  if (leaf && !leaf.unknown && typeof leaf.value === 'string')
    return statementsOfJson(leaf.value, resolve) ?? 'unknown';
  const raw = policy.rawConfig('policy');
  if (typeof raw === 'string' && raw.trim().startsWith('{')) {
    const parsed = statementsOfJson(raw, resolve);
    if (parsed) return parsed;
  }
  const docs = ctx.referenced(policy, 'policy', ['aws_iam_policy_document']).filter((d) => d.mode === 'data');
  if (docs.length !== 1) return 'unknown';
  return statementsOfDocument(docs[0], bucketResolver(ctx, docs[0]));
}

/** AWS refuses server access log delivery into a bucket with object lock default retention. */
export const LOG_DELIVERY_SERVICE = 'logging.s3.amazonaws.com';

/** True when the bucket is an S3 server access log target (by a logging resource or its policy). */
export function isAccessLogTarget(ctx: RuleContext, bucket: ResourceView): boolean {
  if (ctx.linked(bucket, 'aws_s3_bucket_logging', 'target_bucket').length > 0) return true;
  return ctx.linked(bucket, 'aws_s3_bucket_policy').some((p) => {
    const st = statementsOfBucketPolicy(ctx, p);
    return (
      st !== 'unknown' &&
      st.some((s) => String(s.effect).toLowerCase() === 'allow' && s.services.includes(LOG_DELIVERY_SERVICE))
    );
  });
}
