import { CommitmentKey, commit } from '../redact/commitment';
import { changedLeaves, oneSidedLeaves, PathStep } from '../redact/diff';
import { ActionLabel, classifyActions, RawChange, RawResourceChange } from '../../terraform/plan';
import { isObject } from '../../core/json';
import { markCanonical } from '../../core/canonical-json';

/** The commitment placeholder for a value known only after apply. */
export const UNKNOWN = 'unknown';

export type { ActionLabel } from '../../terraform/plan';
/** Re-exported: the one classification receipts and policy share lives with the plan model. */
export { classifyActions } from '../../terraform/plan';

/**
 * A resource change as recorded in a receipt: identity, actions and changed attribute paths.
 * Never a value: `before`/`after` are HMAC commitments to the whole object, and each changed
 * sensitive leaf carries its own commitments, so two receipts can show "changed / unchanged".
 * Absent optional fields mean "none" (root module, no reason, not moved, ...), keeping 10k-change
 * receipts small.
 */
export interface ChangeRecord {
  readonly address: string;
  readonly module?: string;
  readonly type: string;
  readonly provider?: string;
  readonly deposed?: string;
  readonly actions: string[];
  readonly action: ActionLabel;
  readonly action_reason?: string;
  readonly replace_paths?: PathStep[][];
  /** Address before a `moved` block applied. */
  readonly moved_from?: string;
  /** Present when the change imports an object: the import id is committed, never shown. */
  readonly importing?: { readonly id?: string; readonly unknown?: true };
  /** Changed leaf paths (display form, e.g. `tags.Name`, `rule[0]["odd key"]`). */
  readonly changed?: string[];
  /** Changed leaves Terraform marks sensitive: commitments only. */
  readonly sensitive?: { path: string; before: string | null; after: string | null }[];
  /** Changed leaves known only after apply. */
  readonly unknown?: string[];
  /** Changed leaves beyond the per-change limit, counted only. */
  readonly changed_omitted?: number;
  readonly before?: string;
  readonly after?: string;
}

export interface OutputChangeRecord {
  readonly name: string;
  readonly actions: string[];
  readonly action: ActionLabel;
  readonly sensitive: boolean;
  readonly before: string | null;
  readonly after: string | null;
}

function replacePaths(rp: unknown): PathStep[][] {
  if (!Array.isArray(rp)) return [];
  return rp
    .filter((p): p is unknown[] => Array.isArray(p))
    .map((p) => p.filter((s): s is PathStep => typeof s === 'string' || typeof s === 'number'));
}

const present = (v: unknown): boolean => v !== undefined && v !== null;

/** `at` names the change in an error (`resource_changes[3]`); a function, so that it is built only then. */
export function toChangeRecord(
  rc: RawResourceChange,
  at: string | (() => string),
  source: string,
  key: CommitmentKey,
): ChangeRecord {
  const c: RawChange = rc.change;
  const action =
    rc.action ?? classifyActions(c.actions, `${typeof at === 'string' ? at : at()}.change.actions`, rc.address, source);
  const scope = rc.deposed ? `${rc.address} deposed ${rc.deposed}` : rc.address;
  // Paths are listed when both sides exist (update, replace, import, drift); for a create or a
  // delete every attribute changes, so the whole-object commitment says it all.
  const bothSides = present(c.before) && (present(c.after) || c.after_unknown === true);
  const d = bothSides
    ? changedLeaves(c.before, c.after, c.before_sensitive, c.after_sensitive, c.after_unknown)
    : present(c.after) || c.after_unknown !== undefined
      ? oneSidedLeaves(c.after, c.after_sensitive, c.after_unknown, 'after')
      : oneSidedLeaves(c.before, c.before_sensitive, undefined, 'before');
  // Keys are added in sorted order so the canonical payload is cheap to produce.
  const r: Record<string, unknown> = {};
  r.action = action;
  if (rc.action_reason !== undefined) r.action_reason = rc.action_reason;
  r.actions = c.actions as string[];
  r.address = rc.address;
  // Whole-object commitments only when both sides exist: they tell whether an updated object
  // changed between two receipts. One-sided changes commit their sensitive leaves only.
  if (bothSides) {
    r.after = c.after_unknown === true ? UNKNOWN : commit(key, scope, [], c.after);
    r.before = commit(key, scope, [], c.before);
  }
  if (d.changed.length) r.changed = d.changed;
  if (d.omitted) r.changed_omitted = d.omitted;
  if (rc.deposed !== undefined) r.deposed = rc.deposed;
  if (isObject(c.importing)) {
    const id = c.importing.id;
    const imp: { id?: string; unknown?: true } = {};
    if (typeof id === 'string' && id !== '') imp.id = commit(key, scope, ['importing', 'id'], id);
    if (c.importing.unknown === true) imp.unknown = true;
    r.importing = imp;
  }
  if (rc.module_address !== undefined) r.module = rc.module_address;
  if (rc.previous_address !== undefined && rc.previous_address !== rc.address) r.moved_from = rc.previous_address;
  if (rc.provider_name !== undefined) r.provider = rc.provider_name;
  if (Array.isArray(c.replace_paths)) {
    const rp = replacePaths(c.replace_paths);
    if (rp.length) r.replace_paths = rp;
  }
  if (d.sensitive.length) {
    r.sensitive = d.sensitive.map((x) => ({
      after: x.unknown ? UNKNOWN : present(x.after) ? commit(key, scope, [x.path], x.after) : null,
      before: present(x.before) ? commit(key, scope, [x.path], x.before) : null,
      path: x.path,
    }));
  }
  r.type = rc.type;
  if (d.unknown.length) r.unknown = d.unknown;
  // Members in string order, nested objects too; strings (checked by the plan model), arrays of
  // strings and of finite numbers (replace_paths): canonical as built.
  return markCanonical(r) as unknown as ChangeRecord;
}

/** Output changes: one commitment per side, never a value (sensitive or not). */
export function toOutputChangeRecord(
  name: string,
  c: RawChange,
  source: string,
  key: CommitmentKey,
): OutputChangeRecord {
  const action = classifyActions(c.actions, `output_changes.${name}.actions`, `output.${name}`, source);
  const scope = `output.${name}`;
  const sensitive = c.before_sensitive === true || c.after_sensitive === true;
  const unknown =
    c.after_unknown === true ||
    (isObject(c.after_unknown) && Object.keys(c.after_unknown).length > 0) ||
    Array.isArray(c.after_unknown);
  const val = (v: unknown): string | null => (present(v) ? commit(key, scope, [], v) : null);
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

type Counter = Exclude<keyof PlanSummary, 'errored'>;

/** The summary counters each action adds one to (a replace is an add, a remove and a replace). */
const COUNTED_AS: Readonly<Record<ActionLabel, readonly Counter[]>> = {
  create: ['add'],
  update: ['change'],
  delete: ['remove'],
  replace: ['add', 'remove', 'replace'],
  forget: ['forget'],
  'create-forget': ['add', 'forget'],
  read: ['read'],
  'no-op': ['noop'],
};

export function summarize(
  changes: readonly { action: ActionLabel; moved_from?: string; importing?: unknown }[],
  errored: boolean,
): PlanSummary {
  const s: PlanSummary = {
    add: 0,
    change: 0,
    remove: 0,
    import: 0,
    replace: 0,
    forget: 0,
    move: 0,
    read: 0,
    noop: 0,
    errored,
  };
  for (const c of changes) {
    for (const k of COUNTED_AS[c.action]) s[k]++;
    if (c.importing) s.import++;
    if (c.moved_from !== undefined) s.move++;
  }
  return s;
}
