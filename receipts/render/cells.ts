import { formatPath, PathStep } from '../redact/diff';
import { groupDigits, mdCode, mdEscape, naturalCompare } from './escape';

/** The cells and tables every rendering of changes shares (markdown.ts, destroys.ts). */

export interface Change {
  address: string;
  module?: string;
  type?: string;
  action: string;
  action_reason?: string;
  replace_paths?: PathStep[][];
  moved_from?: string;
  importing?: unknown;
  changed?: string[];
  sensitive?: { path: string }[];
  unknown?: string[];
  changed_omitted?: number;
  deposed?: string;
}

/**
 * One block of the comment: its full text, and (unless it must always show) its text folded to
 * counts, or cut to the rows a budget holds (`shrink`, tried after every fold).
 */
export interface Section {
  readonly full: string;
  readonly folded?: string;
  /** Changes listed in `full`. */
  readonly changes: number;
  /** The block in at most `budget` characters, and how many listed changes it left out. */
  readonly shrink?: (budget: number) => { text: string; notShown: number };
}

/** Destructive actions, in the order a reviewer reads them. */
export const DESTRUCTIVE = ['delete', 'replace', 'create-forget', 'forget'];
export const ACTION_MARK: Record<string, string> = {
  delete: '**DESTROY**',
  replace: '**REPLACE**',
  'create-forget': '**REPLACE (forget old)**',
  forget: '**FORGET**',
};
/** Terraform's action_reason values in words; an unknown reason is shown as recorded. */
export const REASONS: Record<string, string> = {
  replace_because_tainted: 'tainted',
  replace_because_cannot_update: 'an attribute cannot be updated in place',
  replace_by_request: 'replace requested (-replace)',
  replace_by_triggers: 'replace_triggered_by',
  delete_because_no_resource_config: 'no longer in configuration',
  delete_because_wrong_repetition: 'count/for_each changed shape',
  delete_because_count_index: 'count index beyond count',
  delete_because_each_key: 'for_each key removed',
  delete_because_no_module: 'module removed',
  delete_because_no_move_target: 'moved block has no target',
  read_because_config_unknown: 'configuration known after apply',
  read_because_dependency_pending: 'depends on a pending change',
  read_because_check_nested: 'check block',
};

/** A markdown table with only the columns some row fills (the first column always shows). */
export function table(headers: string[], rows: string[][]): string {
  const keep = headers.map((_, i) => i === 0 || rows.some((r) => (r[i] ?? '') !== ''));
  const pick = <T>(xs: T[]): T[] => xs.filter((_, i) => keep[i]);
  const line = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  return [
    line(pick(headers)),
    line(pick(headers).map(() => '---')),
    ...rows.map((r) => line(pick(headers.map((_, i) => r[i] ?? '')))),
  ].join('\n');
}

export function pathsCell(c: Change): string {
  const sens = new Set((c.sensitive ?? []).map((x) => x.path));
  const unk = new Set(c.unknown ?? []);
  const changed = c.changed ?? [];
  const shown = changed
    .slice(0, 8)
    .map((p) => mdCode(p) + (sens.has(p) ? ' (sensitive)' : unk.has(p) ? ' (known after apply)' : ''));
  const more = changed.length - shown.length + (c.changed_omitted ?? 0);
  return shown.join(', ') + (more > 0 ? ` +${groupDigits(more)} more` : '');
}

export function notesCell(c: Change): string {
  const notes: string[] = [];
  if (c.moved_from) notes.push(`moved from ${mdCode(c.moved_from)}`);
  if (c.importing) notes.push('import');
  if (c.deposed) notes.push(`deposed object ${mdCode(c.deposed)}`);
  return notes.join('; ');
}

export function reasonCell(c: Change): string {
  if (!c.action_reason) return '';
  const words = REASONS[c.action_reason];
  return words ? `${mdEscape(words)} (${mdCode(c.action_reason)})` : mdCode(c.action_reason);
}

export const byAddress = (a: { address: string }, b: { address: string }): number =>
  naturalCompare(a.address, b.address);

/** Module (`module.a.module.b`, or "" for the root) and type of a change. */
export function groupKey(c: Change): { module: string; type: string } {
  const m = /^((?:module\.[^.[]+(?:\[[^\]]*\])?\.)*)(data\.)?([^.[]+)\./.exec(c.address);
  const type = c.type ?? m?.[3] ?? '(unknown type)';
  return { module: c.module ?? '', type: m?.[2] ? `data.${type}` : type };
}

export function where(module: string): string {
  return module ? `in ${mdCode(module)}` : 'in the root module';
}

/** Counts per module and type: what a folded section still says. */
export function countsTable(changes: readonly Change[]): string {
  const counts = new Map<string, { module: string; type: string; n: number }>();
  for (const c of changes) {
    const k = groupKey(c);
    const id = `${k.module}\u0000${k.type}`;
    const e = counts.get(id) ?? { ...k, n: 0 };
    e.n++;
    counts.set(id, e);
  }
  const rows = [...counts.values()]
    .sort((a, b) => naturalCompare(a.module, b.module) || naturalCompare(a.type, b.type))
    .map((e) => [mdCode(e.type), e.module ? mdCode(e.module) : 'root', groupDigits(e.n)]);
  return table(['Type', 'Module', 'Count'], rows);
}

/** Terraform's replace paths of a change, as code. */
export const replacePathsCell = (c: Change): string =>
  (c.replace_paths ?? []).map((rp) => mdCode(formatPath(rp))).join(', ');
