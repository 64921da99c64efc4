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
