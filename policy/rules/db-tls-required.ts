import { bad, configuredLeaves, defineRule, ok, Outcome, RuleContext } from '../engine/rule';
import { ResourceView } from '../engine/view';

/** How each engine's cluster names its parameter group, and what TLS needs there. */
interface TlsEngine {
  readonly cluster: string;
  readonly groupAttr: string;
  readonly groupType: string;
  readonly parameter: string;
  /** Whether a parameter value keeps TLS required. */
  readonly requires: (value: string) => boolean;
  /** What the engine's default parameter group does (an absent parameter keeps the default). */
  readonly byDefault: boolean;
}

const ENGINES: readonly TlsEngine[] = [
  {
    cluster: 'aws_docdb_cluster',
    groupAttr: 'db_cluster_parameter_group_name',
    groupType: 'aws_docdb_cluster_parameter_group',
    parameter: 'tls',
    // enabled, tls1.2+, tls1.3+, fips-140-3 all require TLS; only "disabled" turns it off.
    requires: (v) => v.toLowerCase() !== 'disabled',
    byDefault: true,
  },
  {
    cluster: 'aws_redshift_cluster',
    groupAttr: 'cluster_parameter_group_name',
    groupType: 'aws_redshift_parameter_group',
    parameter: 'require_ssl',
    requires: (v) => v.toLowerCase() === 'true',
    byDefault: false,
  },
];

/** The TLS problem of one parameter group of the plan, or undefined. */
function groupProblem(g: ResourceView, e: TlsEngine): string | undefined {
  const params = configuredLeaves(g, 'parameter');
  if (params.some((p) => p.unknown)) return `${g.address} parameters are unknown at this stage`;
  const mine = params
    .map((p) => (p.unknown ? {} : ((p.value ?? {}) as Record<string, unknown>)))
    .filter((p) => p.name === e.parameter);
  if (mine.length === 0)
    return e.byDefault
      ? undefined
      : `${g.address} does not set ${e.parameter} (the engine default does not require TLS)`;
  const bad = mine.find((p) => typeof p.value !== 'string' || !e.requires(p.value));
  return bad ? `${g.address} sets ${e.parameter} so that TLS is not required` : undefined;
}

function clusterOutcome(ctx: RuleContext, c: ResourceView, e: TlsEngine): Outcome {
  // Not configured: the engine's default group (the provider reports the name as computed).
  const l = c.isConfigured(e.groupAttr)
    ? ctx.link(c, e.groupAttr, [e.groupType], ['name', 'id'])
    : ({ kind: 'absent' } as const);
  if (l.kind === 'target') {
    const p = groupProblem(l.target, e);
    return p ? bad(c.address, `${e.groupAttr}: ${p}`) : ok(c.address);
  }
  if (l.kind === 'absent')
    return e.byDefault
      ? ok(c.address)
      : bad(c.address, `${e.groupAttr} is not set: the default parameter group does not set ${e.parameter} = true`);
  if (l.kind === 'unlinkable') return bad(c.address, `${e.groupAttr}: ${l.why}`);
  const name = c.leaves(e.groupAttr)[0];
  const value = name && !name.unknown ? String(name.value) : '';
  if (e.byDefault && value.startsWith('default.')) return ok(c.address);
  return bad(
    c.address,
    `${e.groupAttr} names a parameter group outside this plan, so ${e.parameter} cannot be verified; manage the group in this configuration`,
  );
}

/** Encryption in transit for DocumentDB and Redshift, which is a parameter of the cluster's group. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every DocumentDB cluster keeps TLS on (its parameter group does not set tls = "disabled") and every Redshift cluster names a parameter group of this plan with require_ssl = "true".',
  remediation:
    'Give the cluster an aws_docdb_cluster_parameter_group / aws_redshift_parameter_group of this configuration with tls = "enabled" (DocumentDB) or require_ssl = "true" (Redshift).',
  covers: ['aws_docdb_cluster_parameter_group', 'aws_redshift_parameter_group'],
  checkov: ['CKV_AWS_90', 'CKV_AWS_105'],
  evaluate(ctx) {
    return ENGINES.flatMap((e) => ctx.ofType(e.cluster).map((c) => clusterOutcome(ctx, c, e)));
  },
});
