import { isObject } from '../../core/json';
import { ConstructPaths } from './construct-paths';
import { groupDigits, mdCode, mdEscape } from './escape';
import { nameCell } from './names';

/**
 * What a reviewer must see of a change and what is no secret: ports and protocols, CIDR ranges,
 * principals and accounts, public flags, encryption, TLS policy, retention, as short facts before
 * and after. Read from `resource_changes[].change.before/after` only (never variables, provider
 * configuration, prior_state or planned_values); a path marked sensitive (`before_sensitive`,
 * `after_sensitive`) is never read; every value must have the strict shape of its kind (a port is
 * a number, a CIDR a CIDR, a principal an account id, a service or `*`, a setting a short token
 * that looks like no credential), else it is not shown. A fact names attributes and such values only.
 */
export interface ExposureChange {
  readonly address: string;
  readonly type: string;
  readonly removed: readonly string[];
  readonly added: readonly string[];
}

type Obj = Record<string, unknown>;
type Marks = unknown;

const CIDR4 = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;
const CIDR6 = /^[0-9a-f:]{2,39}\/(12[0-8]|1[01]\d|\d?\d)$/i;
const ACCOUNT = /^\d{12}$/;
const ARN_ACCOUNT = /^arn:aws[a-z-]*:iam::(\d{12}):(root|role\/|user\/|assumed-role\/)/;
const SERVICE = /^[a-z0-9.-]{1,60}\.amazonaws\.com(\.cn)?$/;
/** A setting: a short token. Refused when it looks like a credential (long mixed-case-and-digit runs, AWS key ids). */
const TOKEN = /^[A-Za-z0-9:._/-]{1,48}$/;
const AWS_KEY_ID = /(AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{12,}/;
/** A run of 20+ base64-ish characters mixing upper case, lower case and digits: the shape of a secret. */
const looksSecret = (v: string): boolean =>
  AWS_KEY_ID.test(v) ||
  (v.match(/[A-Za-z0-9+/=]{20,}/g) ?? []).some((run) => /[A-Z]/.test(run) && /[a-z]/.test(run) && /\d/.test(run));

const token = (v: unknown): string | undefined =>
  typeof v === 'string' && TOKEN.test(v) && !looksSecret(v) ? v : undefined;
const port = (v: unknown): string | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= -1 && v <= 65535 ? String(v) : undefined;
const cidr = (v: unknown): string | undefined =>
  typeof v === 'string' && (CIDR4.test(v) || CIDR6.test(v)) ? v : undefined;

/** The value at `key` unless it (or its parent) is marked sensitive. */
function read(values: unknown, marks: Marks, key: string): { value: unknown; marks: Marks } | undefined {
  if (marks === true || !isObject(values)) return undefined;
  const m = isObject(marks) ? marks[key] : undefined;
  if (m === true) return undefined;
  return { value: values[key], marks: m };
}
function list(values: unknown, marks: Marks): { value: unknown; marks: Marks }[] {
  if (marks === true || !Array.isArray(values)) return [];
  return values
    .map((v, i) => ({ value: v, marks: Array.isArray(marks) ? marks[i] : undefined }))
    .filter((x) => x.marks !== true);
}

const PORTS = (from: unknown, to: unknown): string | undefined => {
  const f = port(from);
  const t = port(to);
  if (f === undefined || t === undefined) return undefined;
  return f === t
    ? `port ${f}`
    : f === '0' && t === '65535'
      ? 'all ports'
      : f === '-1'
        ? 'all ports'
        : `ports ${f}-${t}`;
};
const PROTO = (p: unknown): string | undefined => {
  const s = typeof p === 'number' ? String(p) : token(p);
  return s === '-1' || s === 'all' ? 'all protocols' : s;
};

/** Network rules: `ingress tcp port 22 from 10.0.0.0/8`. */
function ruleFacts(dir: string, r: Obj, marks: Marks, out: Set<string>): void {
  const proto = PROTO(read(r, marks, r.ip_protocol !== undefined ? 'ip_protocol' : 'protocol')?.value);
  const ports = PORTS(read(r, marks, 'from_port')?.value, read(r, marks, 'to_port')?.value) ?? 'all ports';
  const where = dir === 'egress' ? 'to' : 'from';
  const cidrs = [
    ...['cidr_blocks', 'ipv6_cidr_blocks'].flatMap((k) => {
      const x = read(r, marks, k);
      return x ? list(x.value, x.marks).map((c) => cidr(c.value)) : [];
    }),
    cidr(read(r, marks, 'cidr_ipv4')?.value),
    cidr(read(r, marks, 'cidr_ipv6')?.value),
  ].filter((c): c is string => c !== undefined);
  for (const c of cidrs) out.add(`${dir} ${proto ?? 'protocol ?'} ${ports} ${where} ${c}`);
}

/** Principals an IAM/resource policy document allows. */
function principalFacts(doc: unknown, out: Set<string>, what: string): void {
  if (typeof doc !== 'string') return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(doc);
  } catch {
    return;
  }
  const statements = isObject(parsed) ? parsed.Statement : undefined;
  for (const s of Array.isArray(statements) ? statements : isObject(statements) ? [statements] : []) {
    if (!isObject(s) || s.Effect !== 'Allow') continue;
    const p = s.Principal;
    const who: unknown[] =
      p === '*' ? ['*'] : isObject(p) ? Object.values(p).flatMap((v) => (Array.isArray(v) ? v : [v])) : [];
    for (const w of who) {
      const arn = typeof w === 'string' ? ARN_ACCOUNT.exec(w) : null;
      const fact =
        w === '*'
          ? 'anyone (*)'
          : typeof w === 'string' && ACCOUNT.test(w)
            ? `account ${w}`
            : arn
              ? `account ${arn[1]} (${arn[2]!.replace(/\/$/, '')})`
              : typeof w === 'string' && SERVICE.test(w)
                ? `service ${w}`
                : undefined;
      if (fact) out.add(`${what} allows ${fact}${isObject(s.Condition) ? ' (with conditions)' : ''}`);
    }
  }
}

const FLAGS = [
  'publicly_accessible',
  'associate_public_ip_address',
  'map_public_ip_on_launch',
  'block_public_acls',
  'block_public_policy',
  'ignore_public_acls',
  'restrict_public_buckets',
  'internal',
  'endpoint_public_access',
  'storage_encrypted',
  'encrypted',
  'enable_key_rotation',
  'deletion_protection',
  'multi_az',
];
const SETTINGS = [
  'acl',
  'ssl_policy',
  'minimum_protocol_version',
  'sse_algorithm',
  'authorization_type',
  'http_tokens',
];
const NUMBERS = ['retention_in_days', 'backup_retention_period', 'days', 'years', 'port'];
const POLICIES = ['policy', 'assume_role_policy'];
const NESTED = [
  'rule',
  'apply_server_side_encryption_by_default',
  'server_side_encryption_configuration',
  'object_lock_configuration',
  'default_retention',
  'default_action',
  'metadata_options',
  'vpc_config',
];

/** Every fact of one object (before or after), by attribute name, nested blocks included (bounded depth). */
function factsOf(type: string, values: unknown, marks: Marks, depth = 0, out = new Set<string>()): Set<string> {
  if (!isObject(values) || depth > 4) return out;
  for (const dir of ['ingress', 'egress']) {
    const blocks = read(values, marks, dir);
    if (blocks)
      for (const b of list(blocks.value, blocks.marks)) if (isObject(b.value)) ruleFacts(dir, b.value, b.marks, out);
  }
  if (/security_group_(ingress|egress)_rule$|security_group_rule$/.test(type) && depth === 0) {
    const dir = /egress/.test(type)
      ? 'egress'
      : token(read(values, marks, 'type')?.value) === 'egress'
        ? 'egress'
        : 'ingress';
    ruleFacts(dir, values, marks, out);
  }
  for (const k of FLAGS) {
    const v = read(values, marks, k)?.value;
    if (typeof v === 'boolean') out.add(`${k} = ${v}`);
  }
  for (const k of SETTINGS) {
    const t = token(read(values, marks, k)?.value);
    if (t) out.add(`${k} = ${t}`);
  }
  for (const k of NUMBERS) {
    if (k === 'port' && !/listener/.test(type)) continue;
    const v = read(values, marks, k)?.value;
    if (typeof v === 'number' && Number.isInteger(v) && v >= 0 && v < 1e7) out.add(`${k} = ${v}`);
  }
  const kmsKey = ['kms_key_id', 'kms_master_key_id'].find((k) => k in values);
  const kms = kmsKey === undefined ? undefined : read(values, marks, kmsKey);
  if (kms) out.add(typeof kms.value === 'string' && kms.value !== '' ? 'KMS key set' : 'no KMS key');
  for (const k of POLICIES) {
    const p = read(values, marks, k);
    if (p) principalFacts(p.value, out, k);
  }
  const principal = read(values, marks, 'principal')?.value;
  if (type === 'aws_lambda_permission' && typeof principal === 'string')
    principalFacts(
      JSON.stringify({ Statement: [{ Effect: 'Allow', Principal: { X: principal } }] }),
      out,
      'permission',
    );
  for (const k of NESTED) {
    const n = read(values, marks, k);
    if (!n) continue;
    for (const b of Array.isArray(n.value) ? list(n.value, n.marks) : [n])
      factsOf(type, b.value, b.marks, depth + 1, out);
  }
  return out;
}

/** The exposure changes of a plan (`terraform show -json`): one entry per resource whose facts differ. */
export function exposureChanges(plan: unknown): ExposureChange[] {
  const rcs = isObject(plan) && Array.isArray(plan.resource_changes) ? plan.resource_changes : [];
  const out: ExposureChange[] = [];
  for (const rc of rcs) {
    if (!isObject(rc) || rc.mode !== 'managed' || !isObject(rc.change) || typeof rc.type !== 'string') continue;
    const c = rc.change;
    const actions = Array.isArray(c.actions) ? c.actions : [];
    if (actions.every((a) => a === 'no-op' || a === 'read')) continue;
    const before = factsOf(rc.type, c.before, c.before_sensitive);
    const after = factsOf(rc.type, c.after, c.after_sensitive);
    const removed = [...before].filter((f) => !after.has(f)).sort();
    const added = [...after].filter((f) => !before.has(f)).sort();
    if (removed.length || added.length) out.push({ address: String(rc.address), type: rc.type, removed, added });
  }
  return out.sort((a, b) => a.address.localeCompare(b.address));
}

/**
 * The comment's "Exposure changes" block: each resource with what it no longer has (−) and newly
 * has (+); resources that lose a fact first; more than 8 with new facts only (creates) fold into a
 * <details>. As many as `budget` characters hold.
 */
export function exposureBlock(
  changes: readonly ExposureChange[],
  paths: ConstructPaths | undefined,
  budget = Infinity,
): string {
  if (!changes.length) return '';
  const changed = changes.filter((c) => c.removed.length > 0);
  const onlyNew = changes.filter((c) => c.removed.length === 0);
  const fold = onlyNew.length > 8;
  const item = (c: ExposureChange): string =>
    [
      `- ${nameCell(paths, c.address)} (${mdCode(c.type)})`,
      ...c.removed.map((f) => `  - − ${mdEscape(f)}`),
      ...c.added.map((f) => `  - ${mdEscape('+')} ${mdEscape(f)}`),
    ].join('\n') + '\n';
  let text = `\n#### Exposure changes (${groupDigits(changes.length)})\n\n`;
  let shown = 0;
  const close = fold ? '\n</details>\n' : '';
  let opened = false;
  for (const c of [...changed, ...onlyNew]) {
    const open =
      fold && !opened && c.removed.length === 0
        ? `${changed.length ? '\n' : ''}<details><summary>${groupDigits(onlyNew.length)} resource(s) with new exposure only (created)</summary>\n\n`
        : '';
    const lines = open + item(c);
    if (text.length + lines.length + close.length + 120 > budget) break;
    if (open) opened = true;
    text += lines;
    shown++;
  }
  if (shown < changes.length)
    text += `- … ${groupDigits(changes.length - shown)} more resource(s) with exposure changes, in the full rendering.\n`;
  return opened ? text + close : text;
}
