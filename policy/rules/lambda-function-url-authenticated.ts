import { defineRule, judged, Outcome, scalar, scalarProblem } from '../engine/rule';

/** Trust membrane: no Lambda is invocable anonymously from the internet. */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every Lambda function URL has authorization_type = "AWS_IAM"; no permission grants a function URL to principal "*" without auth.',
  remediation: 'Set authorization_type = "AWS_IAM" and call the function through the governed API.',
  covers: ['aws_lambda_function_url', 'aws_lambda_permission'],
  checkov: ['CKV_AWS_258'],
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const u of ctx.ofType('aws_lambda_function_url')) {
      const authorization = scalarProblem(u, 'authorization_type', (v) =>
        v === 'AWS_IAM' ? undefined : 'authorization_type is not AWS_IAM (anyone on the internet may invoke it)',
      );
      out.push(judged(u.address, [authorization]));
    }
    for (const p of ctx.ofType('aws_lambda_permission')) {
      const auth = scalar(p, 'function_url_auth_type');
      const principal = scalar(p, 'principal');
      out.push(
        judged(p.address, [
          auth.kind === 'unknown' || principal.kind === 'unknown'
            ? 'function_url_auth_type or principal is unknown at this stage'
            : auth.kind === 'value' && auth.value === 'NONE' && principal.kind === 'value' && principal.value === '*'
              ? 'grants the function URL to principal "*" with auth NONE'
              : undefined,
        ]),
      );
    }
    return out;
  },
});
