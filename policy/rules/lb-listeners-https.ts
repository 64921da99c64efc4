import { defineRule, judged, knownValues, RuleContext, scalar, scalarProblem } from '../engine/rule';
import { ResourceView } from '../engine/view';

/** TLS in transit at the load balancer: HTTPS/TLS listeners, or HTTP that only redirects to HTTPS. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every load balancer listener (ALB, NLB, classic ELB) uses HTTPS/TLS/SSL with a TLS 1.2+ security policy, passes TCP 443 through to targets on 443, or only redirects HTTP to HTTPS (its listener rules too).',
  remediation:
    'Set protocol = "HTTPS" with a certificate and a TLS 1.2+ ssl_policy, or make the HTTP listener a redirect to HTTPS.',
  covers: [
    'aws_lb_listener',
    'aws_alb_listener',
    'aws_lb_listener_rule',
    'aws_alb_listener_rule',
    'aws_lb_listener_certificate',
    'aws_elb',
  ],
  checkov: ['CKV_AWS_2', 'CKV_AWS_103'],
  evaluate(ctx) {
    const classic = ctx.ofType('aws_elb').map((e) => judged(e.address, classicListenerProblems(e)));
    return [
      ...classic,
      ...ctx.ofType('aws_lb_listener', 'aws_alb_listener').map((l) => {
        const p = scalar(l, 'protocol');
        if (p.kind === 'unknown') return judged(l.address, ['protocol is unknown at this stage']);
        const protocol = p.kind === 'value' ? String(p.value).toUpperCase() : 'HTTP';
        if (['HTTPS', 'TLS'].includes(protocol)) return judged(l.address, [tlsPolicyProblem(l)]);
        if (protocol === 'TCP' && passthrough(ctx, l)) return judged(l.address, []);
        if (protocol !== 'HTTP') return judged(l.address, [`protocol ${protocol} is not encrypted`]);
        const types = knownValues(l, 'default_action.type');
        const protos = knownValues(l, 'default_action.redirect.protocol');
        if (types === 'unknown' || protos === 'unknown')
          return judged(l.address, ['default_action is unknown at this stage']);
        const redirects =
          types.length > 0 &&
          types.every((t) => t === 'redirect') &&
          protos.length > 0 &&
          protos.every((x) => String(x).toUpperCase() === 'HTTPS');
        return judged(l.address, [
          redirects ? undefined : 'an HTTP listener that does not only redirect to HTTPS',
          ...httpRuleProblems(ctx, l),
        ]);
      }),
    ];
  },
});

/** Rules on an HTTP listener that redirects must redirect to HTTPS too: a forward rule bypasses it. */
function httpRuleProblems(ctx: RuleContext, l: ResourceView): string[] {
  const rules = [
    ...ctx.linked(l, 'aws_lb_listener_rule', 'listener_arn'),
    ...ctx.linked(l, 'aws_alb_listener_rule', 'listener_arn'),
  ];
  return rules.flatMap((r) => {
    const types = knownValues(r, 'action.type');
    const protos = knownValues(r, 'action.redirect.protocol');
    if (types === 'unknown' || protos === 'unknown') return [`${r.address} action is unknown at this stage`];
    const ok =
      types.every((t) => t === 'redirect') &&
      protos.length > 0 &&
      protos.every((x) => String(x).toUpperCase() === 'HTTPS');
    return ok ? [] : [`listener rule ${r.address} serves HTTP without redirecting to HTTPS`];
  });
}

/** Security policies that allow TLS 1.2 and later only (ALB / NLB predefined policies). */
const MODERN_TLS = /^ELBSecurityPolicy-(TLS13-1-[23]|TLS-1-2|FS-1-2)-/;

/** An HTTPS/TLS listener's ssl_policy allows TLS 1.2+ only; absent means ELBSecurityPolicy-2016-08 (TLS 1.0). */
function tlsPolicyProblem(l: ResourceView): string | undefined {
  return scalarProblem(l, 'ssl_policy', (v) =>
    v === undefined
      ? 'ssl_policy is not set (defaults to ELBSecurityPolicy-2016-08, which allows TLS 1.0)'
      : MODERN_TLS.test(String(v))
        ? undefined
        : 'ssl_policy allows TLS versions older than 1.2',
  );
}

/**
 * TLS passthrough (decided, docs/policy.md): a TCP listener on port 443 whose every forward target
 * group of this configuration listens on 443 hands TLS to targets that terminate it.
 */
function passthrough(ctx: RuleContext, l: ResourceView): boolean {
  const port = scalar(l, 'port');
  if (port.kind !== 'value' || Number(port.value) !== 443) return false;
  const groups = ctx.referenced(l, 'default_action', ['aws_lb_target_group', 'aws_alb_target_group']);
  return (
    groups.length > 0 &&
    groups.every((g) => {
      const gp = scalar(g, 'port');
      return gp.kind === 'value' && Number(gp.value) === 443;
    })
  );
}

/** Classic ELB listeners: lb_protocol HTTPS or SSL, or TCP 443 passed through to instance port 443. */
function classicListenerProblems(e: ResourceView): string[] {
  const protos = knownValues(e, 'listener.lb_protocol');
  if (protos === 'unknown') return ['listener.lb_protocol is unknown at this stage'];
  const ports = knownValues(e, 'listener.lb_port');
  const instancePorts = knownValues(e, 'listener.instance_port');
  return protos.flatMap((p, i) => {
    const proto = String(p).toUpperCase();
    if (proto === 'HTTPS' || proto === 'SSL') return [];
    const through =
      proto === 'TCP' &&
      ports !== 'unknown' &&
      instancePorts !== 'unknown' &&
      Number(ports[i]) === 443 &&
      Number(instancePorts[i]) === 443;
    return through ? [] : [`listener.lb_protocol ${proto} is not encrypted`];
  });
}
