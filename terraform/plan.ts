import { ReceiptError } from '../core/errors';
import { echoSafe, parseJsonNoEcho, isObject } from '../core/json';

/**
 * A plan document (`terraform show -json PLANFILE`), checked just enough to be trusted by the
 * receipt builders. Values (`before`, `after`, `variables`, `configuration`, …) stay `unknown`
 * and are never copied anywhere by this module.
 */
export interface PlanDocument {
  readonly format_version: string;
  readonly terraform_version?: string;
  readonly timestamp?: string;
  readonly errored?: boolean;
  readonly applyable?: boolean;
  readonly complete?: boolean;
  readonly resource_changes: readonly RawResourceChange[];
  readonly resource_drift: readonly RawResourceChange[];
  readonly deferred_changes: readonly unknown[];
  readonly output_changes: Readonly<Record<string, RawChange>>;
  readonly checks: readonly unknown[];
  readonly configuration?: unknown;
}

export interface RawChange {
  readonly actions: readonly string[];
  readonly before?: unknown;
  readonly after?: unknown;
  readonly after_unknown?: unknown;
  readonly before_sensitive?: unknown;
  readonly after_sensitive?: unknown;
  readonly replace_paths?: unknown;
  readonly importing?: unknown;
}

export interface RawResourceChange {
  readonly address: string;
  readonly previous_address?: string;
  readonly module_address?: string;
  readonly mode?: string;
  readonly type: string;
  readonly name: string;
  readonly index?: unknown;
  readonly provider_name?: string;
  readonly deposed?: string;
  readonly action_reason?: string;
  readonly change: RawChange;
}

/** Plan JSON majors we read: 0.x (Terraform 0.12–1.0) and 1.x (1.1 onwards; minors are additive). */
export const SUPPORTED_FORMAT = '>=0.1 <2.0';

const PLAN_KEYS = [
  'planned_values',
  'resource_changes',
  'configuration',
  'output_changes',
  'resource_drift',
  'prior_state',
  'variables',
  'errored',
  'applyable',
];

function looksLikeStreamLine(text: string): boolean {
  const first = text.split('\n', 1)[0]!.trim();
  if (!first.startsWith('{')) return false;
  try {
    const o = JSON.parse(first) as unknown;
    return isObject(o) && typeof o.type === 'string' && ('@level' in o || '@message' in o);
  } catch {
    return false;
  }
}

/** Check `format_version` (string, major 0 or 1). Shared by plan and drift. */
export function checkFormatVersion(doc: Record<string, unknown>, source: string): string {
  const fv = doc.format_version;
  if (fv === undefined) {
    if ('plan_format_version' in doc) {
      throw new ReceiptError(
        'PLAN_FORMAT_UNSUPPORTED',
        `${source}: format_version missing (this is an HCP Terraform redacted renderer payload with plan_format_version); pass the output of "terraform show -json PLANFILE"`,
      );
    }
    throw new ReceiptError(
      'PLAN_FORMAT_UNSUPPORTED',
      `${source}: format_version missing; expected ${SUPPORTED_FORMAT} from "terraform show -json PLANFILE"`,
    );
  }
  if (typeof fv !== 'string' || !/^\d+\.\d+(\.\d+)?$/.test(fv)) {
    throw new ReceiptError(
      'PLAN_FORMAT_UNSUPPORTED',
      `${source}: format_version ${echoSafe(fv)} is not a "MAJOR.MINOR" string; expected ${SUPPORTED_FORMAT}`,
    );
  }
  const major = Number(fv.split('.')[0]);
  if (major !== 0 && major !== 1) {
    throw new ReceiptError(
      'PLAN_FORMAT_UNSUPPORTED',
      `${source}: format_version "${fv}" unsupported; expected ${SUPPORTED_FORMAT} (upgrade kfm for a newer plan format)`,
    );
  }
  return fv;
}

function resourceChanges(
  doc: Record<string, unknown>,
  field: 'resource_changes' | 'resource_drift',
  source: string,
): RawResourceChange[] {
  const v = doc[field];
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${field} is not an array`);
  return v.map((rc, i) => checkResourceChange(rc, `${field}[${i}]`, source));
}

function checkResourceChange(rc: unknown, at: string, source: string): RawResourceChange {
  if (!isObject(rc)) throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${at} is not an object`);
  for (const f of ['address', 'type', 'name'] as const) {
    if (typeof rc[f] !== 'string' || rc[f] === '')
      throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${at}.${f} missing or not a string`);
  }
  for (const f of [
    'previous_address',
    'module_address',
    'mode',
    'provider_name',
    'deposed',
    'action_reason',
  ] as const) {
    if (rc[f] !== undefined && typeof rc[f] !== 'string')
      throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${at}.${f} (${rc.address as string}) is not a string`);
  }
  const ch = rc.change;
  if (!isObject(ch))
    throw new ReceiptError(
      'PLAN_FIELD_INVALID',
      `${source}: ${at}.change (${rc.address as string}) missing or not an object`,
    );
  checkActions(ch.actions, `${at}.change.actions`, rc.address as string, source);
  return rc as unknown as RawResourceChange;
}

export function checkActions(actions: unknown, at: string, address: string, source: string): void {
  if (!Array.isArray(actions) || actions.length === 0 || actions.some((a) => typeof a !== 'string')) {
    throw new ReceiptError(
      'PLAN_FIELD_INVALID',
      `${source}: ${at} (${address}) missing or not a non-empty list of strings`,
    );
  }
}

/**
 * Parse and check a plan JSON document. Throws one-line ReceiptErrors naming `source` and the field;
 * never echoes plan values.
 */
export function parsePlanDocument(data: Buffer | string, source: string): PlanDocument {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  if (/^\s*$/.test(text)) throw new ReceiptError('FILE_EMPTY', `${source}: plan JSON is empty`);
  const streamError = (): ReceiptError =>
    new ReceiptError(
      'INPUT_INVALID',
      `${source}: type: this is a Terraform UI stream (plan/apply -json), not a plan JSON; pass the output of "terraform show -json PLANFILE"`,
    );
  let raw: unknown;
  try {
    raw = parseJsonNoEcho(text, source, 'plan JSON');
  } catch (e) {
    // A multi-line stream is not one JSON value; say what it is rather than where it broke.
    if (looksLikeStreamLine(text)) throw streamError();
    throw e;
  }
  if (isObject(raw) && typeof raw.type === 'string' && ('@level' in raw || '@message' in raw)) throw streamError();
  if (Array.isArray(raw)) {
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: top level is a JSON array (an apply log?), expected the plan object from "terraform show -json PLANFILE"`,
    );
  }
  if (!isObject(raw))
    throw new ReceiptError(
      'INPUT_INVALID',
      `${source}: top level is not an object; expected a plan from "terraform show -json PLANFILE"`,
    );
  const format_version = checkFormatVersion(raw, source);
  if (!PLAN_KEYS.some((k) => k in raw)) {
    const hint =
      'values' in raw || Object.keys(raw).every((k) => k === 'format_version' || k === 'terraform_version')
        ? ' (this looks like a state: "terraform show -json" without a plan file)'
        : '';
    throw new ReceiptError(
      'PLAN_FIELD_INVALID',
      `${source}: resource_changes/planned_values/configuration missing${hint}; pass "terraform show -json PLANFILE"`,
    );
  }
  for (const f of ['terraform_version', 'timestamp'] as const) {
    if (raw[f] !== undefined && typeof raw[f] !== 'string')
      throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${f} is not a string`);
  }
  for (const f of ['errored', 'applyable', 'complete'] as const) {
    if (raw[f] !== undefined && typeof raw[f] !== 'boolean')
      throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${f} is not a boolean`);
  }
  const oc = raw.output_changes;
  if (oc !== undefined && oc !== null && !isObject(oc))
    throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: output_changes is not an object`);
  const output_changes: Record<string, RawChange> = {};
  if (isObject(oc)) {
    for (const name of Object.keys(oc)) {
      const c = oc[name];
      if (!isObject(c)) throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: output_changes.${name} is not an object`);
      checkActions(c.actions, `output_changes.${name}.actions`, `output.${name}`, source);
      output_changes[name] = c as unknown as RawChange;
    }
  }
  const arr = (f: string): unknown[] => {
    const v = raw[f];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) throw new ReceiptError('PLAN_FIELD_INVALID', `${source}: ${f} is not an array`);
    return v;
  };
  return {
    format_version,
    terraform_version: raw.terraform_version as string | undefined,
    timestamp: raw.timestamp as string | undefined,
    errored: raw.errored as boolean | undefined,
    applyable: raw.applyable as boolean | undefined,
    complete: raw.complete as boolean | undefined,
    resource_changes: resourceChanges(raw, 'resource_changes', source),
    resource_drift: resourceChanges(raw, 'resource_drift', source),
    deferred_changes: arr('deferred_changes'),
    output_changes,
    checks: arr('checks'),
    configuration: raw.configuration,
  };
}
