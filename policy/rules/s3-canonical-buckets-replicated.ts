import { bad, defineRule, knownValues, ok, Outcome, RuleContext } from '../engine/rule';
import { isAccessLogTarget, REBUILDABLE_ZONES, zoneOf } from '../engine/s3';
import { ResourceView } from '../engine/view';

/**
 * Canonical stores survive a region: the audit ledger bucket everywhere (it cannot be rebuilt),
 * and in prod every canonical zone bucket, replicate to a second region without delete markers.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every audit-zone S3 bucket, and in prod every canonical-zone bucket (server access log targets and replicas aside), has a replication configuration whose rules replicate with delete-marker replication Disabled into a KMS-encrypted replica.',
  remediation:
    'Replicate the bucket to the replica region (constructs/bucket-replica.ts): an aws_s3_bucket_replication_configuration referencing it, delete_marker_replication { status = "Disabled" }, destination.encryption_configuration.replica_kms_key_id set.',
  covers: ['aws_s3_bucket_replication_configuration'],
  checkov: ['CKV_AWS_144'],
  evaluate(ctx) {
    const replicas = replicaAddresses(ctx);
    const out: Outcome[] = [];
    for (const b of ctx.ofType('aws_s3_bucket')) {
      if (replicas.has(b.address) || !mustReplicate(ctx, b)) continue;
      const configs = ctx.linked(b, 'aws_s3_bucket_replication_configuration');
      if (configs.length === 0) {
        out.push(
          bad(
            b.address,
            `zone ${String(zoneOf(b))} is canonical and no aws_s3_bucket_replication_configuration references this bucket`,
          ),
        );
        continue;
      }
      const problems = configs.flatMap((c) => configProblems(c));
      out.push(problems.length ? bad(b.address, problems.join('; ')) : ok(b.address));
    }
    return out;
  },
});

/** Buckets some replication configuration writes to: replicas are judged by their source. */
function replicaAddresses(ctx: RuleContext): Set<string> {
  const out = new Set<string>();
  for (const c of ctx.ofType('aws_s3_bucket_replication_configuration'))
    for (const b of ctx.referenced(c, 'rule', ['aws_s3_bucket'])) out.add(b.address);
  return out;
}

/** The ledger's bucket in any env; in prod every bucket of a canonical zone. Never a log target. */
function mustReplicate(ctx: RuleContext, b: ResourceView): boolean {
  const zone = zoneOf(b);
  if (zone === undefined || isAccessLogTarget(ctx, b)) return false;
  if (zone === 'audit' || zone === 'unknown') return zone === 'audit' || ctx.env === 'prod';
  return ctx.env === 'prod' && !(REBUILDABLE_ZONES as readonly string[]).includes(zone);
}

function configProblems(c: ResourceView): string[] {
  const markers = knownValues(c, 'rule.delete_marker_replication.status');
  const keys = knownValues(c, 'rule.destination.encryption_configuration.replica_kms_key_id');
  const problems: string[] = [];
  if (markers === 'unknown') return [`${c.address} delete-marker replication is unknown at this stage`];
  if (markers.length === 0 || markers.some((m) => m !== 'Disabled'))
    problems.push(`${c.address} replicates delete markers (delete_marker_replication.status must be "Disabled")`);
  // A key created in the same apply is a reference: unknown until then, and present.
  if (keys !== 'unknown' && keys.length === 0)
    problems.push(`${c.address} names no replica KMS key (destination.encryption_configuration)`);
  return problems;
}
