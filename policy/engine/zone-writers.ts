/**
 * One writer per zone, across every identity policy: inline role policies, a role's inline_policy
 * blocks, and managed policies of the plan attached to roles. A zone is a bucket's first path segment
 * named after a zone (`arn:aws:s3:::kfm-prod-data/raw/*`), or the whole bucket (`.../*`, every zone of
 * it); `*` is every bucket. Two identities that may put or delete objects of one zone are a finding.
 */
import { ZONES } from '../../core/vocabulary';
import { globMatch, Statement } from './iam';
import { statementsOfAttr } from './policy-analysis';
import { bad, ok, Outcome, RuleContext } from './rule';
import { ResourceView } from './view';

const WRITE_ACTIONS = ['s3:PutObject', 's3:DeleteObject', 's3:DeleteObjectVersion', 's3:RestoreObject'];

/** Zone keys (`bucket/zone`, `bucket/*`, `*`) a statement lets its holder write. */
function writtenZones(s: Statement): string[] {
  if (s.effect !== 'Allow' || s.actions === 'unknown' || s.resources === 'unknown') return [];
  const writes = (s.actions ?? []).some((a) => WRITE_ACTIONS.some((w) => globMatch(a, w, true)));
  if (!writes) return [];
  const out: string[] = [];
  for (const res of s.resources ?? []) {
    if (res === '*') {
      out.push('*');
      continue;
    }
    const m = /^arn:aws[a-z-]*:s3:::([^/]+)\/(.*)$/.exec(res);
    if (!m) continue;
    const first = m[2].split('/')[0];
    if ((ZONES as readonly string[]).includes(first) && m[2].startsWith(`${first}/`)) out.push(`${m[1]}/${first}`);
    else if (first.startsWith('*')) out.push(`${m[1]}/*`);
  }
  return out;
}

interface Grant {
  readonly identity: string;
  readonly policy: ResourceView;
  readonly zones: string[];
}

function grantsOf(ctx: RuleContext): Grant[] {
  const grants: Grant[] = [];
  const zonesOf = (r: ResourceView, attr: string): string[] => {
    const st = statementsOfAttr(ctx, r, attr);
    return st === undefined || st === 'unknown' ? [] : st.flatMap(writtenZones);
  };
  for (const p of ctx.ofType('aws_iam_role_policy')) {
    const l = ctx.link(p, 'role', ['aws_iam_role']);
    grants.push({
      identity: l.kind === 'target' ? l.target.address : p.address,
      policy: p,
      zones: zonesOf(p, 'policy'),
    });
  }
  for (const role of ctx.ofType('aws_iam_role'))
    grants.push({ identity: role.address, policy: role, zones: zonesOf(role, 'inline_policy.policy') });
  for (const a of ctx.ofType('aws_iam_role_policy_attachment')) {
    const policy = ctx.referenced(a, 'policy_arn', ['aws_iam_policy'])[0];
    if (!policy) continue;
    const l = ctx.link(a, 'role', ['aws_iam_role']);
    grants.push({
      identity: l.kind === 'target' ? l.target.address : a.address,
      policy: a,
      zones: zonesOf(policy, 'policy'),
    });
  }
  return grants.filter((g) => g.zones.length > 0);
}

function overlaps(a: string, b: string): boolean {
  if (a === '*' || b === '*') return true;
  const [ba, za] = a.split('/');
  const [bb, zb] = b.split('/');
  return ba === bb && (za === '*' || zb === '*' || za === zb);
}

export function zoneWriterOutcomes(ctx: RuleContext): Outcome[] {
  const grants = grantsOf(ctx);
  return grants.map((g) => {
    const others = grants.filter(
      (o) => o.identity !== g.identity && o.zones.some((z) => g.zones.some((mine) => overlaps(z, mine))),
    );
    if (others.length === 0) return ok(g.policy.address);
    const names = [...new Set(others.map((o) => o.identity))].join(', ');
    return bad(
      g.policy.address,
      `a second writer of a zone: ${g.identity} and ${names} may both write objects of ${g.zones.join(', ')}`,
    );
  });
}
