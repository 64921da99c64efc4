import { bad, defineRule, ok, Outcome, WHOLE_CONFIGURATION } from '../engine/rule';
import { isExpressionString, stringsIn } from '../engine/view';

/** Provider arguments that are credentials (aws, kubernetes, helm, others). */
const PROVIDER_SECRETS = [
  'access_key',
  'secret_key',
  'token',
  'password',
  'client_key',
  'client_secret',
  'client_certificate',
];
/** Resource arguments that must never be literals in configuration. */
const RESOURCE_SECRETS = ['password', 'master_password', 'secret_string', 'secret_binary', 'private_key', 'secret_key'];
/** Credential shapes: AWS access key ids and PEM private keys. */
const PATTERNS = [/\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/, /-----BEGIN [A-Z ]*PRIVATE KEY-----/];

/** Names the kind of match only; the matched value is never part of a message. */
function looksLikeCredential(strings: readonly string[]): boolean {
  return strings.some((s) => !isExpressionString(s) && PATTERNS.some((p) => p.test(s)));
}

/**
 * Secrets stay in a secret manager: no literal credentials in provider blocks or resources, and
 * no credential-shaped string anywhere. Messages name the attribute, NEVER the value.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'No credentials in configuration: no literal provider credentials, resource passwords or credential-shaped strings.',
  remediation:
    'Remove the literal; use OIDC/instance roles for providers, manage_master_user_password or a secret manager reference for passwords.',
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const p of ctx.input.providers) {
      const attrs = p.literalAttributes.filter((a) => PROVIDER_SECRETS.includes(a));
      const problems = attrs.map((a) => `provider argument ${a} is set to a literal value`);
      if (looksLikeCredential(p.literalStrings)) problems.push('provider block contains a credential-shaped literal');
      out.push(problems.length ? bad(p.address, problems.join('; ')) : ok(p.address));
    }
    for (const r of ctx.input.resources) {
      if (r.mode !== 'managed') continue;
      const problems = RESOURCE_SECRETS.filter((a) => r.isLiteral(a)).map((a) => `${a} is set to a literal value`);
      if (looksLikeCredential(stringsIn(r.values))) problems.push('an attribute contains a credential-shaped literal');
      out.push(problems.length ? bad(r.address, problems.join('; ')) : ok(r.address));
    }
    if (looksLikeCredential(ctx.input.literalStrings)) {
      out.push(bad(WHOLE_CONFIGURATION, 'a variable default or output contains a credential-shaped literal'));
    }
    return out;
  },
});
