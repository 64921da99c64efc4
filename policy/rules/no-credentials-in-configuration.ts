import { bad, defineRule, ok, Outcome, scalar, WHOLE_CONFIGURATION } from '../engine/rule';
import { credentialKinds, decodeBase64, SECRET_NAME } from '../engine/secrets';
import { plainAt, ResourceView, stringsIn, ValueSource } from '../engine/view';

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
/**
 * Resource arguments the aws provider schema marks sensitive, for synth (a cdk.tf.json has no schema;
 * at plan `after_sensitive` decides, so the plan verdict covers what this list misses).
 */
const SYNTH_SECRETS = [
  'password',
  'master_password',
  'secret_string',
  'secret_binary',
  'private_key',
  'secret_key',
  'auth_token',
  'token',
];
const USER_DATA_TYPES = [
  'aws_instance',
  'aws_launch_template',
  'aws_launch_configuration',
  'aws_spot_instance_request',
];

/** A secret must come from a sensitive variable, a data source, an ephemeral value or another resource. */
function badSource(s: ValueSource): string | undefined {
  switch (s.kind) {
    case 'literal':
      return 'a literal';
    case 'local':
      return `a local (local.${s.name})`;
    case 'variable':
      return s.sensitive ? undefined : `a variable not marked sensitive (var.${s.name})`;
    case 'iteration':
      return `an iteration value (${s.name})`;
    case 'other':
      return `${s.name}`;
    default:
      return undefined;
  }
}

function provenanceProblems(r: ResourceView, path: string): string[] {
  const bads = [
    ...new Set(
      r
        .sources(path)
        .map(badSource)
        .filter((x): x is string => !!x),
    ),
  ];
  return bads.length ? [`secret ${path} comes from ${bads.join(' and ')}`] : [];
}

/** Which paths of a resource hold secrets: the schema's (plan), the synth list, and rule-named ones. */
function secretPaths(r: ResourceView): string[] {
  if (r.type === 'aws_ssm_parameter') {
    const t = scalar(r, 'type');
    if (t.kind === 'value' && t.value !== 'SecureString') return [];
  }
  const paths = new Set<string>();
  for (const p of r.sensitivePaths) {
    if (/^tags(_all)?(\.|$)/.test(p)) continue;
    // A whole block marked sensitive (a set of users): its secret-named arguments are the secrets.
    const v = plainAt(r.values, p.split('.'));
    if (v && typeof v === 'object') for (const sub of secretLeaves(v, p)) paths.add(sub);
    else paths.add(p);
  }
  for (const a of SYNTH_SECRETS) if (r.isConfigured(a)) paths.add(a);
  if (r.type === 'aws_ssm_parameter' && r.isConfigured('value')) paths.add('value');
  return [...paths].sort();
}

/** Paths under a value whose last key names a secret (`user.0.password`). */
function secretLeaves(v: unknown, prefix: string): string[] {
  if (Array.isArray(v)) return v.flatMap((x, i) => secretLeaves(x, `${prefix}.${i}`));
  if (!v || typeof v !== 'object') return [];
  return Object.entries(v as Record<string, unknown>).flatMap(([k, x]) =>
    x && typeof x === 'object'
      ? secretLeaves(x, `${prefix}.${k}`)
      : SECRET_NAME.test(k) && x !== null && x !== ''
        ? [`${prefix}.${k}`]
        : [],
  );
}

/** Lambda environment variables whose names say secret must not be literals (CKV_AWS_45). */
function lambdaEnvProblems(r: ResourceView): string[] {
  if (r.type !== 'aws_lambda_function') return [];
  const vars = r.leaves('environment.variables');
  const out: string[] = [];
  for (const v of vars) {
    if (v.unknown || !v.value || typeof v.value !== 'object') continue;
    for (const key of Object.keys(v.value as object)) {
      if (!SECRET_NAME.test(key)) continue;
      const t = r.templateAt(`environment.0.variables.${key}`);
      if (typeof t === 'string' && !t.includes('${')) out.push(`environment variable ${key} is a literal secret`);
      else
        out.push(
          ...provenanceProblems(r, 'environment').map((p) =>
            p.replace('secret environment', `environment variable ${key}`),
          ),
        );
    }
  }
  return out;
}

/** ECS container environment entries whose names say secret must use `secrets` (valueFrom). */
function ecsEnvProblems(r: ResourceView): string[] {
  if (r.type !== 'aws_ecs_task_definition') return [];
  const l = r.leaves('container_definitions')[0];
  if (!l || l.unknown || typeof l.value !== 'string') return [];
  let defs: unknown;
  try {
    defs = JSON.parse(l.value);
  } catch {
    return ['container_definitions is not JSON'];
  }
  const out: string[] = [];
  for (const c of Array.isArray(defs) ? defs : []) {
    for (const e of Array.isArray((c as { environment?: unknown }).environment)
      ? (c as { environment: unknown[] }).environment
      : []) {
      const name = String((e as { name?: unknown }).name ?? '');
      if (SECRET_NAME.test(name) && (e as { value?: unknown }).value)
        out.push(`container environment ${name} holds a secret in clear; use secrets with valueFrom`);
    }
  }
  return out;
}

/** user_data text: the configured constant, or the decoded base64; undefined when unreadable. */
function userDataText(r: ResourceView): string[] | 'unreadable' {
  const out: string[] = [];
  for (const attr of ['user_data', 'user_data_base64']) {
    if (!r.isConfigured(attr)) continue;
    const t = r.templateAt(attr);
    if (typeof t === 'string' && !t.includes('${')) {
      out.push(attr === 'user_data' && r.type !== 'aws_launch_template' ? t : (decodeBase64(t) ?? t));
      continue;
    }
    const l = r.leaves(attr)[0];
    const base64 = attr === 'user_data_base64' || r.type === 'aws_launch_template';
    const decoded = l && !l.unknown && typeof l.value === 'string' && base64 ? decodeBase64(l.value) : undefined;
    if (decoded !== undefined) out.push(decoded);
    else return 'unreadable';
  }
  return out;
}

/**
 * Secrets stay in a secret manager. A secret (schema-sensitive at plan, or named by this rule)
 * comes from a sensitive variable, a data source or an ephemeral value, never a literal, a local or
 * a plain variable; credential shapes are searched in every configuration constant and known value.
 * Messages name the attribute and the kind of credential, NEVER the value.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'No credentials in configuration: secrets come from sensitive variables, data sources or ephemeral values, and no credential-shaped string appears anywhere.',
  remediation:
    'Remove the literal; use OIDC/instance roles for providers, manage_master_user_password, a sensitive variable or a secret manager reference (data/ephemeral) for secrets.',
  covers: [
    'aws_secretsmanager_secret_version',
    'aws_ssm_parameter',
    'aws_lambda_function',
    'aws_ecs_task_definition',
    'aws_mq_broker',
    'aws_elasticache_replication_group',
  ],
  checkov: ['CKV_AWS_41', 'CKV_AWS_45', 'CKV_AWS_46', 'CKV_SECRET_2', 'CKV_SECRET_6'],
  evaluate(ctx) {
    const out: Outcome[] = [];
    for (const p of ctx.input.providers) {
      const attrs = p.literalAttributes.filter((a) => PROVIDER_SECRETS.includes(a));
      const problems = attrs.map((a) => `provider argument ${a} is set to a literal value`);
      for (const k of credentialKinds(p.literalStrings)) problems.push(`provider block contains ${k}`);
      out.push(problems.length ? bad(p.address, problems.join('; ')) : ok(p.address));
    }
    for (const r of ctx.input.resources) {
      if (r.mode !== 'managed') continue;
      const problems: string[] = [];
      for (const path of secretPaths(r)) problems.push(...provenanceProblems(r, path));
      problems.push(...lambdaEnvProblems(r), ...ecsEnvProblems(r));
      const scanned = [...r.configStrings, ...stringsIn(r.values)];
      if (USER_DATA_TYPES.includes(r.type)) {
        const ud = userDataText(r);
        if (ud === 'unreadable')
          problems.push(
            'user_data cannot be read at this stage (the plan holds only a hash), so it cannot be checked for credentials',
          );
        else scanned.push(...ud);
      }
      for (const k of credentialKinds(scanned)) problems.push(`an argument contains ${k}`);
      out.push(problems.length ? bad(r.address, [...new Set(problems)].join('; ')) : ok(r.address));
    }
    const loose = credentialKinds(ctx.input.literalStrings);
    if (loose.length)
      out.push(bad(WHOLE_CONFIGURATION, `a variable default, module argument or output contains ${loose.join(', ')}`));
    return out;
  },
});
