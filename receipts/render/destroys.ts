import { ConstructPaths } from './construct-paths';
import {
  ACTION_MARK,
  byAddress,
  Change,
  DESTRUCTIVE,
  groupKey,
  notesCell,
  REASONS,
  replacePathsCell,
  Section,
  table,
} from './cells';
import { groupDigits, mdCode, mdEscape, naturalCompare } from './escape';
import { nameCell } from './names';

/** Actions that replace or forget an object: always listed one by one. */
const KEEP = ['replace', 'create-forget', 'forget'];

/**
 * Destructive changes for a reviewer: the counts by action, type and reason first (always);
 * every replacement and forget one by one (always); then the destroys one by one, as many as the
 * budget holds (a section `fit` may cut, never fold away).
 */
export function destructiveSections(changes: readonly Change[], paths: ConstructPaths | undefined): Section[] {
  const destructive = changes.filter((c) => DESTRUCTIVE.includes(c.action));
  if (!destructive.length) return [];
  const out: Section[] = [{ full: groupedHead(destructive), changes: 0 }];
  const kept = destructive
    .filter((c) => KEEP.includes(c.action))
    .sort((a, b) => DESTRUCTIVE.indexOf(a.action) - DESTRUCTIVE.indexOf(b.action) || byAddress(a, b));
  if (kept.length) {
    const rows = kept.map((c) => [
      ACTION_MARK[c.action] ?? mdEscape(c.action),
      nameCell(paths, c.address),
      reasonWords(c.action_reason),
      replacePathsCell(c),
      notesCell(c),
    ]);
    out.push({
      full: `\n##### Replacements and forgets (${groupDigits(kept.length)})\n\n${table(['Action', 'Resource', 'Reason', 'Replace paths', 'Notes'], rows)}\n`,
      changes: kept.length,
    });
  }
  const deletes = destructive.filter((c) => c.action === 'delete').sort(byAddress);
  if (deletes.length) out.push(deleteRows(deletes, paths));
  return out;
}

/** The heading with counts per action and a table of counts by action, type and reason. */
function groupedHead(destructive: readonly Change[]): string {
  const counts = DESTRUCTIVE.map((a) => [a, destructive.filter((c) => c.action === a).length] as const)
    .filter(([, n]) => n > 0)
    .map(([a, n]) => `${a} ${groupDigits(n)}`)
    .join(' · ');
  const groups = new Map<string, { action: string; type: string; reason: string; n: number }>();
  for (const c of destructive) {
    const type = groupKey(c).type;
    const reason = c.action_reason ?? '';
    const id = `${c.action}\u0000${type}\u0000${reason}`;
    const g = groups.get(id) ?? { action: c.action, type, reason, n: 0 };
    g.n++;
    groups.set(id, g);
  }
  const rows = [...groups.values()]
    .sort(
      (a, b) =>
        DESTRUCTIVE.indexOf(a.action) - DESTRUCTIVE.indexOf(b.action) ||
        b.n - a.n ||
        naturalCompare(a.type, b.type) ||
        naturalCompare(a.reason, b.reason),
    )
    .map((g) => [
      ACTION_MARK[g.action] ?? mdEscape(g.action),
      mdCode(g.type),
      reasonWords(g.reason) || '_none recorded_',
      groupDigits(g.n),
    ]);
  return (
    `\n#### ⚠️ Destructive changes (${groupDigits(destructive.length)}): ${counts}\n\n` +
    table(['Action', 'Type', 'Reason', 'Count'], rows) +
    '\n'
  );
}

/** Destroys one by one; cut to the rows a budget holds, saying how many are only counted above. */
function deleteRows(deletes: readonly Change[], paths: ConstructPaths | undefined): Section {
  const head = `\n##### Destroyed resources (${groupDigits(deletes.length)})\n\n`;
  const headers = ['Resource', 'Reason', 'Notes'];
  const row = (c: Change): string[] => [nameCell(paths, c.address), reasonWords(c.action_reason), notesCell(c)];
  const render = (n: number): string => {
    const rest = deletes.length - n;
    const note = rest
      ? `\n\n_${groupDigits(rest)} more destroy(s) not listed one by one: they are counted by type and reason above._`
      : '';
    return n ? head + table(headers, deletes.slice(0, n).map(row)) + note + '\n' : head + note.trimStart() + '\n';
  };
  return {
    full: render(deletes.length),
    changes: deletes.length,
    shrink: (budget) => {
      let lo = 0;
      let hi = deletes.length;
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (render(mid).length <= budget) lo = mid;
        else hi = mid - 1;
      }
      return { text: render(lo), notShown: deletes.length - lo };
    },
  };
}

/** Terraform's reason in words (its code when it has none): the table above names the codes' groups. */
function reasonWords(reason: string | undefined): string {
  if (!reason) return '';
  return REASONS[reason] ? mdEscape(REASONS[reason]!) : mdCode(reason);
}
