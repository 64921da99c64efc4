import { bad, defineRule, ok, Outcome, scalar, WHOLE_CONFIGURATION } from '../engine/rule';
import { CredentialScan, credentialKinds, decodeBase64, SECRET_NAME, sharedCredentialKinds } from '../engine/secrets';
import { addStringsOutside, plainAt, ResourceView, ValueSource } from '../engine/view';

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
      if (!s.sensitive) return `a variable not marked sensitive (var.${s.name})`;
      return s.literalDefault ? `a sensitive variable with a literal default (var.${s.name})` : undefined;
    case 'iteration':
      return `an iteration value (${s.name})`;
    case 'other':
      return `${s.name}`;
    default:
      return undefined;
  }
}

/**
 * A literal inside a function call (`coalesce(var.x, "...")`) leaves no constant in the plan's
 * configuration, only the reference. When a known secret comes from sensitive variables alone and
 * holds none of their planned values, the expression put something else there: a literal.
 */
function addedLiteral(r: ResourceView, path: string, sources: readonly ValueSource[]): string | undefined {
  if (sources.length === 0 || !sources.every((s) => s.kind === 'variable')) return undefined;
  const values = sources.map((s) => (s.kind === 'variable' ? s.value : undefined));
  if (values.some((v) => v !== null && typeof v !== 'string')) return undefined;
  const leaf = r.leaves(path)[0];
  if (!leaf || leaf.unknown || typeof leaf.value !== 'string' || leaf.value === '') return undefined;
  const secret = leaf.value;
  if (values.some((v) => typeof v === 'string' && v !== '' && secret.includes(v))) return undefined;
  const names = sources.map((s) => (s.kind === 'variable' ? `var.${s.name}` : '')).join(', ');
  return `secret ${path} holds none of the values of ${names}: the expression adds a literal (e.g. a fallback in coalesce); pass the sensitive variable alone`;
}

function provenanceProblems(r: ResourceView, path: string): string[] {
  const sources = r.sources(path);
  const bads = [...new Set(sources.map(badSource).filter((x): x is string => !!x))];
  if (bads.length) return [`secret ${path} comes from ${bads.join(' and ')}`];
  const added = addedLiteral(r, path, sources);
  return added ? [added] : [];
}

const NO_PATHS: readonly string[] = [];
/** What a check of another type finds: nothing (one list for every resource). */
const NO_PROBLEMS: readonly string[] = [];

/** Which paths of a resource hold secrets: the schema's (plan), the synth list, and rule-named ones. */
function secretPaths(r: ResourceView): readonly string[] {
  if (r.type === 'aws_ssm_parameter') {
    const t = scalar(r, 'type');
    if (t.kind === 'value' && t.value !== 'SecureString') return NO_PATHS;
  }
  // Most resources have no sensitive path and configure no secret argument: nothing to list.
  if (r.sensitivePaths.length === 0 && !configuresSecret(r)) return NO_PATHS;
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

/** Whether a resource configures an argument this rule names a secret (a loop: asked of every resource). */
function configuresSecret(r: ResourceView): boolean {
  for (let i = 0; i < SYNTH_SECRETS.length; i++) if (r.isConfigured(SYNTH_SECRETS[i]!)) return true;
  return r.type === 'aws_ssm_parameter' && r.isConfigured('value');
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

/**
 * A secret in a plaintext parameter: a `String` / `StringList` SSM parameter whose name says secret, or
 * whose value comes from a sensitive variable, an ephemeral value or a secret manager (CKV2_AWS_34-like).
 */
function plaintextParameterProblems(r: ResourceView): readonly string[] {
  if (r.type !== 'aws_ssm_parameter') return NO_PROBLEMS;
  const t = scalar(r, 'type');
  if (t.kind !== 'value' || t.value === 'SecureString') return [];
  const name = scalar(r, 'name');
  const named = name.kind === 'value' && typeof name.value === 'string' && SECRET_NAME.test(name.value);
  const fed = ['value', 'insecure_value'].some((a) =>
    r.sources(a).some((s) => (s.kind === 'variable' && s.sensitive) || s.kind === 'ephemeral'),
  );
  return named || fed
    ? [
        `a ${String(t.value)} parameter holds a secret (${named ? 'its name says so' : 'its value is sensitive'}); use type SecureString`,
      ]
    : [];
}

/**
 * Scan known values' strings for credential shapes, without the paths Terraform marks sensitive:
 * those come from sensitive variables or are generated at apply (a random password), and a literal
 * among them is judged by its provenance and by the configuration constants, which are always scanned.
 */
const scanKnownValues = (r: ResourceView, scan: CredentialScan): void =>
  addStringsOutside(r.values, r.sensitivePaths, scan);

/** Lambda environment variables whose names say secret must not be literals (CKV_AWS_45). */
function lambdaEnvProblems(r: ResourceView): readonly string[] {
  if (r.type !== 'aws_lambda_function') return NO_PROBLEMS;
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
function ecsEnvProblems(r: ResourceView): readonly string[] {
  if (r.type !== 'aws_ecs_task_definition') return NO_PROBLEMS;
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
      // Through a local or a variable: the value still sits in the configuration (or a tfvars file).
      for (const a of PROVIDER_SECRETS.filter((x) => !attrs.includes(x))) {
        const bads = [...new Set((p.sources?.(a) ?? []).map(badSource).filter((x): x is string => !!x))];
        if (bads.length) problems.push(`provider argument ${a} comes from ${bads.join(' and ')}`);
      }
      for (const k of credentialKinds(p.literalStrings)) problems.push(`provider block contains ${k}`);
      out.push(problems.length ? bad(p.address, problems.join('; ')) : ok(p.address));
    }
    for (const r of ctx.input.resources) {
      if (r.mode !== 'managed') continue;
      const problems: string[] = [];
      for (const path of secretPaths(r)) problems.push(...provenanceProblems(r, path));
      problems.push(...lambdaEnvProblems(r), ...ecsEnvProblems(r), ...plaintextParameterProblems(r));
      const scan = new CredentialScan();
      scanKnownValues(r, scan);
      if (USER_DATA_TYPES.includes(r.type)) {
        const ud = userDataText(r);
        if (ud === 'unreadable')
          problems.push(
            'user_data cannot be read at this stage (the plan holds only a hash), so it cannot be checked for credentials',
          );
        else for (const text of ud) scan.add(text);
      }
      // The configuration's constants are scanned once for all instances of a configuration resource.
      for (const k of sharedCredentialKinds(r.configStrings)) scan.kinds.add(k);
      if (scan.kinds.size > 0) for (const k of [...scan.kinds].sort()) problems.push(`an argument contains ${k}`);
      out.push(problems.length ? bad(r.address, [...new Set(problems)].join('; ')) : ok(r.address));
    }
    const loose = credentialKinds(ctx.input.literalStrings);
    if (loose.length)
      out.push(bad(WHOLE_CONFIGURATION, `a variable default, module argument or output contains ${loose.join(', ')}`));
    return out;
  },
});
