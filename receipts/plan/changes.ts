import { ReceiptError } from '../errors';
import { CommitmentKey, commit } from '../redact/commitment';
import { changedPaths, ChangedPath, PathStep, UNKNOWN } from '../redact/diff';
import { RawChange, RawResourceChange } from './parse-plan';

/** One label per plan `change.actions` list (Terraform's jsonplan vocabulary, not the UI stream's). */
export type ActionLabel = 'no-op' | 'create' | 'read' | 'update' | 'replace' | 'delete' | 'forget' | 'create-forget';

const ACTIONS: Record<string, ActionLabel> = {
  'no-op': 'no-op',
  create: 'create',
  read: 'read',
  update: 'update',
  'delete,create': 'replace',
  'create,delete': 'replace',
  delete: 'delete',
  forget: 'forget',
  'create,forget': 'create-forget',
};

export function classifyActions(actions: readonly string[], at: string, address: string, source: string): ActionLabel {
  const label = ACTIONS[actions.join(',')];
  if (label === undefined) {
    throw new ReceiptError(
      'PLAN_ACTION_UNKNOWN',
      `${source}: ${at} of ${address} is not a Terraform plan action list (got ${actions.length} value(s), not shown) (no-op, create, read, update, delete, forget, delete+create, create+delete, create+forget); upgrade kfm if Terraform added one`,
    );
  }
  return label;
}

/** A resource change as recorded in a receipt: identity, actions and changed paths; never values. */
export interface ChangeRecord {
  readonly address: string;
  readonly module: string | null;
  readonly mode: string;
  readonly type: string;
  readonly name: string;
  readonly index: string | number | null;
  readonly provider: string | null;
  readonly deposed: string | null;
  readonly actions: string[];
  readonly action: ActionLabel;
  readonly action_reason: string | null;
  readonly replace_paths: PathStep[][];
  /** Address before a `moved` block applied; null when not moved. */
  readonly moved_from: string | null;
  /** Present when the change imports an object: the import id is committed, never shown. */
  readonly importing: { readonly id: string | null; readonly unknown: boolean } | null;
  readonly changed: ChangedPath[];
  /** Changed leaves beyond the per-change limit, counted only. */
  readonly changed_omitted: number;
}

export interface OutputChangeRecord {
  readonly name: string;
  readonly actions: string[];
  readonly action: ActionLabel;
  readonly sensitive: boolean;
  readonly before: string | null;
  readonly after: string | null;
}

function isObj(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function replacePaths(rp: unknown): PathStep[][] {
  if (!Array.isArray(rp)) return [];
  return rp
    .filter((p): p is unknown[] => Array.isArray(p))
    .map((p) => p.filter((s): s is PathStep => typeof s === 'string' || typeof s === 'number'));
}

export function toChangeRecord(
  rc: RawResourceChange,
  at: string,
  source: string,
  key: CommitmentKey,
): ChangeRecord {
  const c: RawChange = rc.change;
  const action = classifyActions(c.actions, `${at}.change.actions`, rc.address, source);
  const scope = rc.deposed ? `${rc.address} deposed ${rc.deposed}` : rc.address;
  const { paths, omitted } = changedPaths(key, scope, c.before, c.after, c.before_sensitive, c.after_sensitive, c.after_unknown);
  let importing: ChangeRecord['importing'] = null;
  if (isObj(c.importing)) {
    const id = c.importing.id;
    importing = {
      id: typeof id === 'string' && id !== '' ? commit(key, scope, ['importing', 'id'], id) : null,
      unknown: c.importing.unknown === true,
    };
  }
  const index = rc.index;
  return {
    address: rc.address,
    module: rc.module_address ?? null,
    mode: rc.mode ?? 'managed',
    type: rc.type,
    name: rc.name,
    index: typeof index === 'string' || typeof index === 'number' ? index : null,
    provider: rc.provider_name ?? null,
    deposed: rc.deposed ?? null,
    actions: [...c.actions],
    action,
    action_reason: rc.action_reason ?? null,
    replace_paths: replacePaths(c.replace_paths),
    moved_from: rc.previous_address !== undefined && rc.previous_address !== rc.address ? rc.previous_address : null,
    importing,
    changed: paths,
    changed_omitted: omitted,
  };
}

/** Output changes: one commitment per side, never a value (sensitive or not). */
export function toOutputChangeRecord(name: string, c: RawChange, source: string, key: CommitmentKey): OutputChangeRecord {
  const action = classifyActions(c.actions, `output_changes.${name}.actions`, `output.${name}`, source);
  const scope = `output.${name}`;
  const sensitive = c.before_sensitive === true || c.after_sensitive === true;
  const unknown = c.after_unknown === true || (isObj(c.after_unknown) && Object.keys(c.after_unknown).length > 0) || Array.isArray(c.after_unknown);
  const val = (v: unknown): string | null => (v === undefined || v === null ? null : commit(key, scope, [], v));
  return {
    name,
    actions: [...c.actions],
    action,
    sensitive,
    before: val(c.before),
    after: unknown ? UNKNOWN : val(c.after),
  };
}

/** Plan summary; `add`/`change`/`remove`/`import` equal Terraform's own change_summary. */
export interface PlanSummary {
  add: number;
  change: number;
  remove: number;
  import: number;
  replace: number;
  forget: number;
  move: number;
  read: number;
  noop: number;
  errored: boolean;
}

export function summarize(changes: readonly { action: ActionLabel; moved_from: string | null; importing: unknown; mode: string }[], errored: boolean): PlanSummary {
  const s: PlanSummary = { add: 0, change: 0, remove: 0, import: 0, replace: 0, forget: 0, move: 0, read: 0, noop: 0, errored };
  for (const c of changes) {
    switch (c.action) {
      case 'create':
        s.add++;
        break;
      case 'update':
        s.change++;
        break;
      case 'delete':
        s.remove++;
        break;
      case 'replace':
        s.add++;
        s.remove++;
        s.replace++;
        break;
      case 'forget':
        s.forget++;
        break;
      case 'create-forget':
        s.add++;
        s.forget++;
        break;
      case 'read':
        s.read++;
        break;
      case 'no-op':
        s.noop++;
        break;
    }
    if (c.importing) s.import++;
    if (c.moved_from !== null) s.move++;
  }
  return s;
}
