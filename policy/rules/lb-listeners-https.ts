import { defineRule, judged, knownValues, scalar } from '../engine/rule';

/** TLS in transit at the load balancer: HTTPS/TLS listeners, or HTTP that only redirects to HTTPS. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description: 'Every load balancer listener uses HTTPS or TLS, or only redirects HTTP to HTTPS.',
  remediation:
    'Set protocol = "HTTPS" with a certificate and a TLS 1.2+ ssl_policy, or make the HTTP listener a redirect to HTTPS.',
  covers: [
    'aws_lb_listener',
    'aws_alb_listener',
    'aws_lb_listener_rule',
    'aws_alb_listener_rule',
    'aws_lb_listener_certificate',
  ],
  checkov: ['CKV_AWS_2', 'CKV_AWS_103'],
  evaluate(ctx) {
    return ctx.ofType('aws_lb_listener', 'aws_alb_listener').map((l) => {
      const p = scalar(l, 'protocol');
      if (p.kind === 'unknown') return judged(l.address, ['protocol is unknown at this stage']);
      const protocol = p.kind === 'value' ? String(p.value).toUpperCase() : 'HTTP';
      if (['HTTPS', 'TLS'].includes(protocol)) return judged(l.address, []);
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
      return judged(l.address, [redirects ? undefined : 'an HTTP listener that does not only redirect to HTTPS']);
    });
  },
});
