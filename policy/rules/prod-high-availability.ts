import { asBool, bad, defineRule, knownValues, ok, Outcome, RuleContext, scalar, scalarProblem } from '../engine/rule';
import { ResourceView } from '../engine/view';

/** Distinct availability zones of the subnets a list names (resolved per instance), or a problem. */
function zones(ctx: RuleContext, r: ResourceView, attr: string): number | string {
  const ids = knownValues(r, attr);
  const subnets = ctx.referenced(r, attr, ['aws_subnet']);
  const count = ids === 'unknown' ? undefined : ids.length;
  if (subnets.length === 0) {
    if (count === 0) return 0;
    return `${attr} names subnets outside this configuration, so their availability zones are unknown`;
  }
  if (count !== undefined && count > subnets.length)
    return `${attr} names subnets outside this configuration, so their availability zones are unknown`;
  const azs = new Set<string>();
  for (const s of subnets) {
    const az = scalar(s, 'availability_zone');
    const azId = scalar(s, 'availability_zone_id');
    if (az.kind === 'value') azs.add(String(az.value));
    else if (azId.kind === 'value') azs.add(`id:${String(azId.value)}`);
    else return `${s.address} availability_zone is ${az.kind === 'unknown' ? 'unknown at this stage' : 'not set'}`;
  }
  return azs.size;
}

function minAtLeast(r: ResourceView, path: string, n: number): string | undefined {
  const s = scalar(r, path);
  if (s.kind === 'unknown') return `${path} is unknown at this stage`;
  if (s.kind !== 'value' || typeof s.value !== 'number' || s.value < n)
    return `${path} is ${s.kind === 'value' ? String(s.value) : 'not set'}, prod needs >= ${n}`;
  return undefined;
}

function spread(ctx: RuleContext, r: ResourceView, attr: string): string | undefined {
  const z = zones(ctx, r, attr);
  if (typeof z === 'string') return z;
  return z < 2 ? `${attr} spans ${z} availability zone(s), prod needs >= 2` : undefined;
}

/**
 * An RDS cluster is highly available when it is a Multi-AZ DB cluster (db_cluster_instance_class: AWS
 * runs a writer and two readers in three zones) or when at least two aws_rds_cluster_instance of this
 * plan join it by cluster_identifier (Aurora: a writer and a reader AWS can fail over to).
 */
function clusterProblem(ctx: RuleContext, c: ResourceView): string | undefined {
  if (scalar(c, 'db_cluster_instance_class').kind !== 'absent') return undefined;
  const members = ctx.ofType('aws_rds_cluster_instance').filter((i) => {
    const l = ctx.link(i, 'cluster_identifier', ['aws_rds_cluster'], ['cluster_identifier', 'id']);
    return l.kind === 'target' && l.target.address === c.address;
  }).length;
  return members >= 2
    ? undefined
    : `${members} aws_rds_cluster_instance of this plan join the cluster (cluster_identifier), prod needs >= 2 for failover`;
}

/** Prod is highly available (plan 21.03 Phase C "High-availability backend"): counted in distinct AZs. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'In prod, every auto scaling group and EKS node group keeps >= 2 instances over subnets in >= 2 distinct availability zones, DB instances are Multi-AZ and RDS / Aurora clusters have >= 2 instances (or are Multi-AZ DB clusters).',
  remediation:
    'In prod set min_size >= 2 with subnets in >= 2 availability zones (vpc_zone_identifier / subnet_ids) multi_az = true on DB instances, and >= 2 aws_rds_cluster_instance per Aurora cluster.',
  covers: ['aws_autoscaling_group', 'aws_eks_node_group', 'aws_subnet'],
  checkov: ['CKV_AWS_157'],
  evaluate(ctx) {
    if (ctx.env !== 'prod') return [];
    const out: Outcome[] = [];
    const judge = (r: ResourceView, problems: Array<string | undefined>): void => {
      const p = problems.filter((x): x is string => !!x);
      out.push(p.length ? bad(r.address, p.join('; ')) : ok(r.address));
    };
    for (const g of ctx.ofType('aws_autoscaling_group')) {
      const azs = knownValues(g, 'availability_zones');
      const spreadOk = azs !== 'unknown' && new Set(azs).size >= 2 ? undefined : spread(ctx, g, 'vpc_zone_identifier');
      judge(g, [minAtLeast(g, 'min_size', 2), spreadOk]);
    }
    for (const n of ctx.ofType('aws_eks_node_group'))
      judge(n, [minAtLeast(n, 'scaling_config.min_size', 2), spread(ctx, n, 'subnet_ids')]);
    for (const c of ctx.ofType('aws_rds_cluster')) judge(c, [clusterProblem(ctx, c)]);
    for (const d of ctx.ofType('aws_db_instance'))
      judge(d, [scalarProblem(d, 'multi_az', (v) => (asBool(v) === true ? undefined : 'multi_az is not true'))]);
    return out;
  },
});
