/**
 * policy-coverage-attributes.ts — help keep policy/config/coverage.json (coverage by setting) honest.
 * Reads the pinned aws provider's schema offline (`terraform providers schema -json` with the local
 * mirror, scripts/lib/tf-env.sh) — a helper, never a runtime dependency of the pack.
 *
 *   npx tsx scripts/policy-coverage-attributes.ts --type aws_lb_listener   every configurable attribute
 *                                                                          of a type, with its table status
 *   npx tsx scripts/policy-coverage-attributes.ts --write                  regenerate the seed the coverage
 *        test reads (__tests__/fixtures/policy/schema-security-settings.json): per known aws type, the
 *        attributes whose names look security-relevant (SEED below)
 *   npx tsx scripts/policy-coverage-attributes.ts --counts                 types, settings, read, irrelevant,
 *                                                                          unread (no Terraform needed)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const TABLE = join(ROOT, 'policy', 'config', 'coverage.json');
export const SEED_FILE = join(ROOT, '__tests__', 'fixtures', 'policy', 'schema-security-settings.json');

/** Attribute names that decide exposure, encryption, identity, retention, availability or secrets. */
export const SEED =
  /(encrypt|kms|public|cidr|ipv6|principal|policy|password|secret|token|tls|ssl|certificate|acl|retention|rotation|validation|deletion_protection|backup_retention|multi_az|ingress|egress|versioning|object_lock|user_data|http_tokens|http_endpoint|command|remote_access|transit|at_rest|s3_bucket|bucket_name|vpc_endpoint_type|service_name|availability_zone|min_size|num_cache|deployment_mode|alarm_actions|actions_enabled|associate_public|enable_key|is_enabled|default_retention|automatic_failover|internal|protocol|scheme|auth)/;

interface Block {
  attributes?: Record<string, { computed?: boolean; optional?: boolean; required?: boolean; sensitive?: boolean }>;
  block_types?: Record<string, { block: Block }>;
}
type Table = { types: Record<string, Record<string, Record<string, unknown>>> };

function schema(): Record<string, { block: Block }> {
  const env = execFileSync('bash', [join(ROOT, 'scripts', 'lib', 'tf-env.sh'), '--print'], {
    env: { ...process.env, KFM_OFFLINE: '1' },
    encoding: 'utf8',
  });
  const vars: NodeJS.ProcessEnv = { ...process.env, KFM_OFFLINE: '1' };
  for (const m of env.matchAll(/^export ([A-Z_]+)=(.*)$/gm)) vars[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  const work = mkdtempSync(join(tmpdir(), 'kfm-coverage-'));
  try {
    writeFileSync(
      join(work, 'main.tf.json'),
      JSON.stringify({ terraform: { required_providers: { aws: { source: 'hashicorp/aws', version: '5.100.0' } } } }),
    );
    execFileSync('terraform', ['init', '-input=false', '-backend=false'], { cwd: work, env: vars, stdio: 'ignore' });
    const out = execFileSync('terraform', ['providers', 'schema', '-json'], {
      cwd: work,
      env: vars,
      maxBuffer: 1 << 28,
    }).toString();
    return JSON.parse(out).provider_schemas['registry.terraform.io/hashicorp/aws'].resource_schemas;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** Configurable attribute paths (nested blocks flattened with dots); computed-only ones are outputs. */
export function attributePaths(block: Block, prefix = ''): Array<{ path: string; sensitive: boolean }> {
  const out: Array<{ path: string; sensitive: boolean }> = [];
  for (const [a, v] of Object.entries(block.attributes ?? {})) {
    if (v.computed && !v.optional && !v.required) continue;
    out.push({ path: prefix + a, sensitive: !!v.sensitive });
  }
  for (const [b, v] of Object.entries(block.block_types ?? {})) out.push(...attributePaths(v.block, `${prefix}${b}.`));
  return out;
}

function status(entry: Record<string, unknown> | undefined): string {
  if (!entry) return '(not in table)';
  if (entry.rule) return `read by ${String(entry.rule)}`;
  if (entry.irrelevant) return `irrelevant: ${String(entry.irrelevant)}`;
  return `UNREAD: ${String(entry.unread)}`;
}

export function counts(table: Table): { types: number; settings: number; read: number; irrelevant: number; unread: number } {
  const all = Object.values(table.types).flatMap((s) => Object.values(s));
  return {
    types: Object.keys(table.types).length,
    settings: all.length,
    read: all.filter((e) => e.rule !== undefined).length,
    irrelevant: all.filter((e) => e.irrelevant !== undefined).length,
    unread: all.filter((e) => e.unread !== undefined).length,
  };
}

function main(): void {
  const args = process.argv.slice(2);
  const table = JSON.parse(readFileSync(TABLE, 'utf8')) as Table;
  if (args[0] === '--counts') {
    console.log(JSON.stringify(counts(table)));
    return;
  }
  const s = schema();
  if (args[0] === '--type' && args[1]) {
    const t = s[args[1]];
    if (!t) throw new Error(`${args[1]}: not a resource type of the aws provider`);
    for (const a of attributePaths(t.block))
      console.log(`${a.path}${a.sensitive ? ' (sensitive)' : ''}  ${status(table.types[args[1]]?.[a.path])}`);
    return;
  }
  if (args[0] === '--write') {
    const seed: Record<string, string[]> = {};
    for (const type of Object.keys(table.types).filter((t) => s[t]))
      seed[type] = attributePaths(s[type].block)
        .map((a) => a.path)
        .filter((p) => SEED.test(p) && !['tags', 'tags_all', 'id', 'region'].includes(p));
    writeFileSync(SEED_FILE, JSON.stringify({ generatedBy: 'scripts/policy-coverage-attributes.ts --write', types: seed }, null, 1) + '\n');
    console.error(`seed: ${Object.keys(seed).length} types, ${Object.values(seed).flat().length} settings`);
    return;
  }
  console.error('usage: policy-coverage-attributes.ts --type TYPE | --write | --counts');
  process.exitCode = 2;
}

if (require.main === module) main();
