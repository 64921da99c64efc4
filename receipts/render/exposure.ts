import type { PlanExposureChange } from '../../attest/predicates';
import { ConstructPaths } from './construct-paths';
import { groupDigits, mdCode, mdEscape } from './escape';
import { nameCell } from './names';

/**
 * One resource's exposure change as the plan receipt records it (`predicate.exposure`): facts, never
 * raw values. The facts are computed by the policy pack's exposure view (policy/engine/exposure.ts)
 * when the receipt is made; this file only renders them.
 */
export type ExposureChange = PlanExposureChange;

/**
 * The comment's "Exposure changes" block: each resource with what it no longer has (−) and newly
 * has (+); resources that lose a fact first; more than 8 with new facts only (creates) fold into a
 * <details>. As many as `budget` characters hold.
 */
export function exposureBlock(
  changes: readonly ExposureChange[],
  paths: ConstructPaths | undefined,
  budget = Infinity,
  deleted: ReadonlySet<string> = new Set(),
): string {
  if (!changes.length) return '';
  // A resource the plan deletes takes its exposure with it: counted per type in one line (its
  // address is listed under the destructive changes), so it never crowds out a change in place.
  const goneWith = (c: ExposureChange): boolean => deleted.has(c.address) && c.added.length === 0;
  const gone = changes.filter(goneWith);
  const kept = changes.filter((c) => !goneWith(c));
  const changed = kept.filter((c) => c.removed.length > 0);
  const onlyNew = kept.filter((c) => c.removed.length === 0);
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
  const goneText = deletedLines(gone);
  for (const c of [...changed, ...onlyNew]) {
    const open =
      fold && !opened && c.removed.length === 0
        ? `${changed.length ? '\n' : ''}<details><summary>${groupDigits(onlyNew.length)} resource(s) with new exposure only (created)</summary>\n\n`
        : '';
    const lines = open + item(c);
    if (text.length + lines.length + close.length + goneText.length + 120 > budget) break;
    if (open) opened = true;
    text += lines;
    shown++;
  }
  if (opened) text += close;
  text += goneText;
  if (shown < kept.length)
    text += `- … ${groupDigits(kept.length - shown)} more resource(s) with exposure changes, in the full rendering.\n`;
  return text;
}

/** Deleted resources' exposure, one line per type (sorted): "N `type` deleted: …". */
function deletedLines(gone: readonly ExposureChange[]): string {
  const byType = new Map<string, number>();
  for (const c of gone) byType.set(c.type, (byType.get(c.type) ?? 0) + 1);
  return [...byType]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(
      ([type, n]) =>
        `- ${groupDigits(n)} ${mdCode(type)} deleted: their exposure goes with them (listed under the destructive changes)\n`,
    )
    .join('');
}
