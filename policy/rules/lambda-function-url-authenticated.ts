import { principalIdProblem } from '../engine/policy-analysis';
import { defineRule, judged, Outcome, RuleContext, scalar, scalarProblem } from '../engine/rule';
import { ResourceView } from '../engine/view';

/**
 * A permission opens a function URL to the internet when its auth is NONE (or unknown) and its
 * principal is "*" or could be: an unknown principal fails closed only where it could be public (the
 * ARN of a role or user of this plan, known after apply, cannot be "*").
 */
function urlPermissionProblem(ctx: RuleContext, p: ResourceView): string | undefined {
  const auth = scalar(p, 'function_url_auth_type');
  if (auth.kind === 'absent' || (auth.kind === 'value' && auth.value !== 'NONE')) return undefined;
  const principal = scalar(p, 'principal');
  const could =
    principal.kind === 'value'
      ? principal.value === '*'
      : principal.kind === 'unknown' &&
        principalIdProblem(ctx, { type: 'AWS', id: undefined }, p, 'principal') !== undefined;
  if (!could) return undefined;
  if (auth.kind === 'unknown') return 'function_url_auth_type is unknown at this stage and the principal could be "*"';
  return principal.kind === 'unknown'
    ? 'grants the function URL with auth NONE to a principal unknown at this stage that could be "*"'
    : 'grants the function URL to principal "*" with auth NONE';
}

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
    for (const p of ctx.ofType('aws_lambda_permission')) out.push(judged(p.address, [urlPermissionProblem(ctx, p)]));
    return out;
  },
});
