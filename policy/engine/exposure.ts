import { isObject } from '../../core/json';
import { parseCidr } from './cidr';
import { readsSecuritySettings } from './coverage';
import { statementsOfJson } from './iam';
import { mayBeCredential } from './secrets';

/**
 * The exposure view: what a reviewer must see of a change and what is no secret (ports and
 * protocols, CIDR ranges, principals and accounts, public flags, encryption, TLS policy,
 * retention), as short facts before and after. Read with the pack's own readers (CIDRs: cidr.ts;
 * policy documents: iam.ts; credential shapes: secrets.ts) and only for the types a rule of the
 * pack reads settings of (coverage.ts).
 *
 * Read from `resource_changes[].change.before/after` only (never variables, provider
 * configuration, prior_state or planned_values); a path marked sensitive (`before_sensitive`,
 * `after_sensitive`) is never read; every value must have the strict shape of its kind (a port is
 * a number, a CIDR a CIDR, a principal an account id, a service or `*`, a setting a short token
 * that may be no credential), else it is not shown. A fact names attributes and such values only.
 */
export interface ExposureChange {
  /** The resource's Terraform address. */
  readonly address: string;
  readonly type: string;
  /** Facts true before the change and not after, sorted. */
  readonly removed: readonly string[];
  /** Facts true after the change and not before, sorted. */
  readonly added: readonly string[];
}

type Obj = Record<string, unknown>;
type Marks = unknown;

const ACCOUNT = /^\d{12}$/;
const ARN_ACCOUNT = /^arn:aws[a-z-]*:iam::(\d{12}):(root|role\/|user\/|assumed-role\/)/;
const SERVICE = /^[a-z0-9.-]{1,60}\.amazonaws\.com(\.cn)?$/;
/** A setting: a short token that may be no credential. */
const TOKEN = /^[A-Za-z0-9:._/-]{1,48}$/;

/**
 * `token(v)` by value: settings and protocols repeat across a plan ("aws:kms", "tcp", "required"),
 * and the credential check behind each is a dozen regular expressions. Only strings TOKEN accepts
 * (48 characters at most) are kept.
 */
const TOKENS = new Map<string, string | undefined>();
function token(v: unknown): string | undefined {
  if (typeof v !== 'string' || !TOKEN.test(v)) return undefined;
  if (TOKENS.has(v)) return TOKENS.get(v);
  const t = mayBeCredential(v) ? undefined : v;
  TOKENS.set(v, t);
  return t;
}
const port = (v: unknown): string | undefined =>
  typeof v === 'number' && Number.isInteger(v) && v >= -1 && v <= 65535 ? String(v) : undefined;
/** `v` when it is a CIDR (parseCidr keeps each text it parsed: a plan repeats a few ranges on every rule). */
const cidr = (v: unknown): string | undefined =>
  typeof v === 'string' && v.includes('/') && v.trim() === v && parseCidr(v) ? v : undefined;

/*
 * Reading values with their sensitivity marks. These run a few times per attribute of every
 * relevant change (6,200 changes in the bench's 10,000-resource plan, both sides): they allocate
 * nothing, most reads find nothing.
 */

/** The value at `key` unless it (or its parent) is marked sensitive. */
function valueAt(values: unknown, marks: Marks, key: string): unknown {
  if (marks === true || !isObject(values)) return undefined;
  return isObject(marks) && marks[key] === true ? undefined : values[key];
}
/** The marks of the value at `key`. */
function marksAt(marks: Marks, key: string): Marks {
  return isObject(marks) ? marks[key] : undefined;
}
/** The value at `key` unless it is marked sensitive or null (then undefined). */
function presentAt(values: unknown, marks: Marks, key: string): unknown {
  const v = valueAt(values, marks, key);
  return v === null ? undefined : v;
}
/** The marks of item `i` of a list whose marks are `marks`. */
function itemMarks(marks: Marks, i: number): Marks {
  return Array.isArray(marks) ? marks[i] : undefined;
}

function ports(from: unknown, to: unknown): string | undefined {
  const f = port(from);
  const t = port(to);
  if (f === undefined || t === undefined) return undefined;
  if (f === t) return `port ${f}`;
  return (f === '0' && t === '65535') || f === '-1' ? 'all ports' : `ports ${f}-${t}`;
}
function protocol(p: unknown): string | undefined {
  const s = typeof p === 'number' ? String(p) : token(p);
  return s === '-1' || s === 'all' ? 'all protocols' : s;
}

/** Network rules: `ingress tcp port 22 from 10.0.0.0/8`. */
function ruleFacts(dir: string, r: Obj, marks: Marks, out: Set<string>): void {
  const proto = protocol(valueAt(r, marks, r.ip_protocol !== undefined ? 'ip_protocol' : 'protocol'));
  const range = ports(valueAt(r, marks, 'from_port'), valueAt(r, marks, 'to_port')) ?? 'all ports';
  const head = `${dir} ${proto ?? 'protocol ?'} ${range} ${dir === 'egress' ? 'to' : 'from'} `;
  const add = (c: string | undefined): void => {
    if (c !== undefined) out.add(head + c);
  };
  for (const k of CIDR_LISTS) {
    const cs = presentAt(r, marks, k);
    if (!Array.isArray(cs)) continue;
    const ms = marksAt(marks, k);
    for (let i = 0; i < cs.length; i++) if (itemMarks(ms, i) !== true) add(cidr(cs[i]));
  }
  add(cidr(valueAt(r, marks, 'cidr_ipv4')));
  add(cidr(valueAt(r, marks, 'cidr_ipv6')));
}
const CIDR_LISTS = ['cidr_blocks', 'ipv6_cidr_blocks'];

/** A principal as a fact: anyone, an account (and the kind of identity), a service; else nothing. */
function principalFact(id: string): string | undefined {
  if (id === '*') return 'anyone (*)';
  if (ACCOUNT.test(id)) return `account ${id}`;
  const arn = ARN_ACCOUNT.exec(id);
  if (arn) return `account ${arn[1]} (${arn[2]!.replace(/\/$/, '')})`;
  return SERVICE.test(id) ? `service ${id}` : undefined;
}

/** Principals an IAM/resource policy document allows, read by the pack's policy reader (iam.ts). */
function principalFacts(doc: unknown, out: Set<string>, what: string): void {
  if (typeof doc !== 'string') return;
  for (const s of statementsOfJson(doc) ?? []) {
    if (s.effect !== 'Allow') continue;
    const conditioned = s.conditions === 'unknown' || s.conditions.length > 0 ? ' (with conditions)' : '';
    if (s.notPrincipal) {
      out.add(`${what} allows anyone but the principals it names (NotPrincipal)${conditioned}`);
      continue;
    }
    for (const p of s.principalIds ?? []) {
      const fact = p.id === undefined ? undefined : principalFact(p.id);
      if (fact) out.add(`${what} allows ${fact}${conditioned}`);
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

const DIRECTIONS = ['ingress', 'egress'];
const RULE_TYPE = /security_group_(ingress|egress)_rule$|security_group_rule$/;

/** Rules written as blocks (`ingress`, `egress`) or as a resource of their own. */
function networkFacts(type: string, values: Obj, marks: Marks, depth: number, out: Set<string>): void {
  for (const dir of DIRECTIONS) {
    const blocks = presentAt(values, marks, dir);
    if (!Array.isArray(blocks)) continue;
    const ms = marksAt(marks, dir);
    for (let i = 0; i < blocks.length; i++) {
      const b: unknown = blocks[i];
      const bm = itemMarks(ms, i);
      if (bm !== true && isObject(b)) ruleFacts(dir, b, bm, out);
    }
  }
  if (depth === 0 && RULE_TYPE.test(type)) {
    const dir = /egress/.test(type) || token(valueAt(values, marks, 'type')) === 'egress' ? 'egress' : 'ingress';
    ruleFacts(dir, values, marks, out);
  }
}

const KMS_KEYS = ['kms_key_id', 'kms_master_key_id'];

/** The fact kind of each attribute FLAGS, SETTINGS and NUMBERS name (no name is in two lists). */
const SETTING_KINDS: ReadonlyMap<string, 'flag' | 'setting' | 'number'> = new Map([
  ...FLAGS.map((k) => [k, 'flag'] as const),
  ...SETTINGS.map((k) => [k, 'setting'] as const),
  ...NUMBERS.map((k) => [k, 'number'] as const),
]);

/**
 * Public flags, encryption, TLS and retention settings, KMS keys (whether set, never which).
 * One pass over the object's attributes, each looked up by name (a change holds a few dozen, and
 * most of the 25 names are absent from most objects); the facts form a set, so order is free.
 */
function settingFacts(type: string, values: Obj, marks: Marks, out: Set<string>): void {
  if (marks === true) return;
  const sensitive = isObject(marks) ? marks : undefined;
  for (const k in values) {
    const kind = SETTING_KINDS.get(k);
    if (kind === undefined || sensitive?.[k] === true) continue;
    const v = values[k];
    if (kind === 'flag') {
      if (typeof v === 'boolean') out.add(`${k} = ${v}`);
    } else if (kind === 'setting') {
      const t = token(v);
      if (t) out.add(`${k} = ${t}`);
    } else if (
      (k !== 'port' || /listener/.test(type)) &&
      typeof v === 'number' &&
      Number.isInteger(v) &&
      v >= 0 &&
      v < 1e7
    )
      out.add(`${k} = ${v}`);
  }
  const kmsKey = KMS_KEYS.find((k) => k in values);
  if (kmsKey === undefined || sensitive?.[kmsKey] === true) return;
  const kms = values[kmsKey];
  out.add(typeof kms === 'string' && kms !== '' ? 'KMS key set' : 'no KMS key');
}

/** Every fact of one object (before or after), by attribute name, nested blocks included (bounded depth). */
function factsOf(type: string, values: unknown, marks: Marks, depth = 0, out = new Set<string>()): Set<string> {
  if (!isObject(values) || depth > 4) return out;
  networkFacts(type, values, marks, depth, out);
  settingFacts(type, values, marks, out);
  for (const k of POLICIES) principalFacts(presentAt(values, marks, k), out, k);
  const principal = valueAt(values, marks, 'principal');
  if (type === 'aws_lambda_permission' && typeof principal === 'string') {
    const fact = principalFact(principal);
    if (fact) out.add(`permission allows ${fact}`);
  }
  for (const k of NESTED) {
    const n = presentAt(values, marks, k);
    if (n === undefined) continue;
    const ms = marksAt(marks, k);
    if (!Array.isArray(n)) factsOf(type, n, ms, depth + 1, out);
    else
      for (let i = 0; i < n.length; i++)
        if (itemMarks(ms, i) !== true) factsOf(type, n[i], itemMarks(ms, i), depth + 1, out);
  }
  return out;
}

/** A resource change worth reading: managed, not a no-op or read, of a type the pack reads settings of. */
function relevant(rc: unknown): rc is Obj & { type: string; change: Obj } {
  if (!isObject(rc) || rc.mode === 'data' || typeof rc.type !== 'string' || !isObject(rc.change)) return false;
  const actions = rc.change.actions;
  if (!Array.isArray(actions) || actions.every((a) => a === 'no-op' || a === 'read')) return false;
  return readsSecuritySettings(rc.type);
}

/**
 * The exposure changes of a plan's `resource_changes` (raw JSON or the plan model's): one entry per
 * resource whose facts differ, by address.
 */
export function exposureChanges(resourceChanges: readonly unknown[]): ExposureChange[] {
  const out: ExposureChange[] = [];
  for (const rc of resourceChanges) {
    if (!relevant(rc)) continue;
    const c = rc.change;
    const before = factsOf(rc.type, c.before, c.before_sensitive);
    const after = factsOf(rc.type, c.after, c.after_sensitive);
    const removed = [...before].filter((f) => !after.has(f)).sort();
    const added = [...after].filter((f) => !before.has(f)).sort();
    // Keys in string order: the receipt's canonical JSON then copies none of these objects.
    if (removed.length || added.length) out.push({ added, address: String(rc.address), removed, type: rc.type });
  }
  return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
}

/** The exposure changes of a plan JSON value (`terraform show -json`). */
export function exposureChangesOfPlan(plan: unknown): ExposureChange[] {
  return exposureChanges(isObject(plan) && Array.isArray(plan.resource_changes) ? plan.resource_changes : []);
}
