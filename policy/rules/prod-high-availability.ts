import { asBool, bad, defineRule, knownValues, ok, Outcome, scalar } from '../engine/rule';
import { ResourceView } from '../engine/view';

/** How many distinct subnets a list names: known literals plus distinct referenced resources. */
function subnetCount(r: ResourceView, attr: string): number | 'unknown' {
  const vals = knownValues(r, attr);
  const refs = r.references(attr).length;
  if (vals === 'unknown') return refs >= 2 ? refs : 'unknown';
  const literals = new Set(vals.filter((v) => typeof v === 'string')).size;
  return Math.max(literals, refs);
}

function minAtLeast(r: ResourceView, path: string, n: number): string | undefined {
  const s = scalar(r, path);
  if (s.kind === 'unknown') return `${path} is unknown at this stage`;
  if (s.kind !== 'value' || typeof s.value !== 'number' || s.value < n)
    return `${path} is ${s.kind === 'value' ? String(s.value) : 'not set'}, prod needs >= ${n}`;
  return undefined;
}

function spread(r: ResourceView, attr: string): string | undefined {
  const c = subnetCount(r, attr);
  if (c === 'unknown') return `${attr} is unknown at this stage`;
  return c < 2 ? `${attr} names ${c} subnet(s), prod needs >= 2` : undefined;
}

/** Prod is highly available (plan 21.03 Phase C "High-availability backend"). */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'In prod, every auto scaling group and EKS node group keeps >= 2 instances over >= 2 subnets, and databases are Multi-AZ.',
  remediation:
    'In prod set min_size >= 2 with >= 2 subnets (vpc_zone_identifier / subnet_ids) and multi_az = true on DB instances.',
  evaluate(ctx) {
    if (ctx.env !== 'prod') return [];
    const out: Outcome[] = [];
    const judge = (r: ResourceView, problems: Array<string | undefined>): void => {
      const p = problems.filter((x): x is string => !!x);
      out.push(p.length ? bad(r.address, p.join('; ')) : ok(r.address));
    };
    for (const g of ctx.ofType('aws_autoscaling_group')) {
      const azs = knownValues(g, 'availability_zones');
      const spreadOk = azs !== 'unknown' && new Set(azs).size >= 2 ? undefined : spread(g, 'vpc_zone_identifier');
      judge(g, [minAtLeast(g, 'min_size', 2), spreadOk]);
    }
    for (const n of ctx.ofType('aws_eks_node_group'))
      judge(n, [minAtLeast(n, 'scaling_config.min_size', 2), spread(n, 'subnet_ids')]);
    for (const d of ctx.ofType('aws_db_instance')) {
      const s = scalar(d, 'multi_az');
      judge(d, [
        s.kind === 'unknown'
          ? 'multi_az is unknown at this stage'
          : s.kind === 'value' && asBool(s.value) === true
            ? undefined
            : 'multi_az is not true',
      ]);
    }
    return out;
  },
});
