import { instanceAddress, Leaf, modulePathAbove, ResourceView } from './view';
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
  const resolve = (template: string): string | undefined => {
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
  return Object.assign(resolve, {
    resourceList: (path: string, leaves: readonly Leaf[]) => bucketArnsFromReferences(ctx, from, path, leaves),
  });
}

const BUCKET_REF = /^(aws_s3_bucket\.[A-Za-z_][\w-]*)(\[(?:"(?:[^"\\]|\\.)*"|\d+)\])?(?:\.([A-Za-z_][\w-]*))?$/;
const EACH_VALUE = /^each\.value(?:\.([A-Za-z_][\w-]*))?$/;

/**
 * The address of the ONE bucket instance a reference names (`aws_s3_bucket.b`, `aws_s3_bucket.n[0]`,
 * `each.value` over `for_each = aws_s3_bucket.f`), read in the module instance `modulePath`, with the
 * attribute it reads; undefined when it names something else or several instances (a splat, a `for`).
 */
function bucketOfReference(
  ctx: RuleContext,
  doc: ResourceView,
  modulePath: string,
  ref: string,
): { readonly address: string; readonly attr?: string } | undefined {
  const m = BUCKET_REF.exec(ref);
  if (m) {
    const address = modulePath + m[1] + (m[2] ?? '');
    const b = ctx.byAddress(address);
    return b?.type === 'aws_s3_bucket' ? { address, attr: m[3] } : undefined;
  }
  const e = EACH_VALUE.exec(ref);
  const over = doc.iterationReferences.filter((r) => /^aws_s3_bucket\.[A-Za-z_][\w-]*$/.test(r));
  if (!e || modulePath !== doc.modulePath || over.length !== 1 || doc.instanceKey === undefined) return undefined;
  const address = instanceAddress(modulePath + over[0], doc.instanceKey);
  return ctx.byAddress(address)?.type === 'aws_s3_bucket' ? { address, attr: e[1] } : undefined;
}

/**
 * The usual bucket policy document in a plan that keeps no template (HCL):
 * `resources = [aws_s3_bucket.b.arn, "${aws_s3_bucket.b.arn}/*"]` is unknown at plan, and its
 * references are all the plan keeps. Read as that bucket and every object of it only when the list has
 * exactly two elements, both unknown, and its references are exactly two uses of ONE bucket's `arn`
 * (in this module, or passed in through module variables). Anything else (another attribute, a local,
 * a splat or `for` over several buckets, a third reference) cannot be told: undefined, and the caller
 * fails closed. Whose ARN it is (this bucket's or another's) the caller decides by comparing.
 */
function bucketArnsFromReferences(
  ctx: RuleContext,
  doc: ResourceView,
  path: string,
  leaves: readonly Leaf[],
): string[] | undefined {
  if (leaves.length !== 2 || !leaves.every((l) => l.unknown)) return undefined;
  const arnUses: string[] = [];
  const containers: Array<{ readonly ref: string; readonly up: number }> = [];
  const arnRefs: Array<{ readonly ref: string; readonly up: number }> = [];
  for (const t of doc.traversalsAt(path)) {
    const modulePath = modulePathAbove(doc.modulePath, t.up);
    const b = modulePath === undefined ? undefined : bucketOfReference(ctx, doc, modulePath, t.ref);
    if (!b) return undefined;
    if (b.attr === 'arn') {
      arnUses.push(b.address);
      arnRefs.push(t);
    } else if (b.attr === undefined) containers.push(t);
    else return undefined;
  }
  // Terraform lists `aws_s3_bucket.b` (and `aws_s3_bucket.n` for `n[0]`) beside each use: alone it is a splat.
  const usedWhole = containers.some(
    (c) => !arnRefs.some((a) => a.up === c.up && (a.ref.startsWith(`${c.ref}.`) || a.ref.startsWith(`${c.ref}[`))),
  );
  if (usedWhole || arnUses.length !== 2 || new Set(arnUses).size !== 1) return undefined;
  const bucket = ctx.byAddress(arnUses[0])!;
  return [bucketArn(bucket), `${bucketArn(bucket)}/*`];
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
