import { formatPath, PathStep } from '../redact/diff';
import { PREDICATE_TYPES, VerifiedStatement } from '../../attest/statement';

/** GitHub's comment limit: the default for `--max-chars`. */
export const DEFAULT_MAX_CHARS = 65536;

type Obj = Record<string, unknown>;
interface Change {
  address: string;
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

const ACTION_ORDER = ['create', 'update', 'replace', 'delete', 'forget', 'create-forget', 'read', 'no-op'];
const ACTION_TITLE: Record<string, string> = {
  create: 'Create',
  update: 'Update in place',
  replace: 'Replace',
  delete: 'Destroy',
  forget: 'Forget (remove from state, keep the object)',
  'create-forget': 'Create, forget the old object',
  read: 'Read (data sources)',
  'no-op': 'Import / move only',
};

/** Markdown table cell: no pipes or newlines, backticks neutralised. */
function cell(s: string): string {
  return s
    .replace(/[\r\n]+/g, ' ')
    .replace(/\|/g, '\\|')
    .replace(/`/g, "'");
}
function code(s: string): string {
  return '`' + s.replace(/`/g, "'").replace(/[\r\n]+/g, ' ') + '`';
}

/**
 * Render a verified receipt for a reviewer, never longer than `maxChars`. When cut, the last
 * lines say how many changes are not shown and name the full signed artifact.
 */
export function renderMarkdown(v: VerifiedStatement, artifact: string, maxChars: number = DEFAULT_MAX_CHARS): string {
  const p = v.predicate as Obj;
  const head: string[] = [];
  const repo = (p.repo ?? {}) as Obj;
  const kind = String(p.kind);
  head.push(`### ${kindTitle(v.predicateType)} — \`${String(p.env)}\``);
  head.push('');
  head.push(
    `- Commit: ${repo.commit ? code(String(repo.commit)) : '_unknown_'}${repo.branch ? ` on ${code(String(repo.branch))}` : ''} (${String(repo.source)})`,
  );
  const actor = (p.actor ?? {}) as Obj;
  head.push(`- Actor: ${actor.principal ? code(String(actor.principal)) : '_unknown_'} (${String(actor.method)})`);
  head.push(`- Receipt: ${code(v.envelopeDigest)} (${kind}, verified with key ${code(v.key.keyid.slice(0, 16))}…)`);
  const summary = (p.summary ?? {}) as Obj;
  const items: { block: string[]; counts: number }[] = [];
  let total = 0;
  if (v.predicateType === PREDICATE_TYPES.plan) {
    head.push('');
    head.push(
      `**Plan: ${summary.add} to add, ${summary.change} to change, ${summary.remove} to destroy.**` +
        (summary.import ? ` ${summary.import} to import.` : '') +
        (summary.forget ? ` ${summary.forget} to forget.` : ''),
    );
    head.push(
      `Replace ${summary.replace} · move ${summary.move} · read ${summary.read} · no-op ${summary.noop}${summary.errored ? ' · **plan errored**' : ''}`,
    );
    const pol = p.policy as Obj | null;
    if (pol)
      head.push(
        `Policy: **${String(pol.verdict)}** (${(pol.findings as unknown[]).length} finding(s), bundle ${code(String(pol.bundle_digest).slice(0, 23))}…)`,
      );
    const changes = (p.changes ?? []) as Change[];
    total = changes.length + ((p.drift ?? []) as unknown[]).length;
    tables(changes, items);
    const replaced = changes.filter((c) => c.action === 'replace' && (c.replace_paths ?? []).length > 0);
    if (replaced.length) {
      items.push({ block: ['', '#### Paths forcing replacement', ''], counts: 0 });
      for (const c of replaced)
        items.push({
          block: [`- ${code(c.address)}: ${(c.replace_paths ?? []).map((rp) => code(formatPath(rp))).join(', ')}`],
          counts: 0,
        });
    }
    const drift = (p.drift ?? []) as Change[];
    if (drift.length) {
      items.push({
        block: [
          '',
          `#### Drift detected outside Terraform (${drift.length})`,
          '',
          '| Resource | Action | Changed paths |',
          '|---|---|---|',
        ],
        counts: 0,
      });
      for (const d of drift)
        items.push({ block: [`| ${code(d.address)} | ${d.action} | ${pathsCell(d)} |`], counts: 1 });
    }
  } else if (v.predicateType === PREDICATE_TYPES.apply) {
    head.push('');
    const errored = (summary.errored ?? []) as string[];
    const notApplied = (summary.not_applied ?? []) as string[];
    head.push(
      `**Apply ${String(summary.status)}: ${summary.add} added, ${summary.change} changed, ${summary.remove} destroyed.** ${errored.length} errored, ${notApplied.length} not applied.`,
    );
    const pr = (p.plan_receipt ?? {}) as Obj;
    head.push(`Plan receipt: ${code(String(pr.digest))}`);
    const changes = (p.changes ?? []) as {
      address: string;
      planned: string | null;
      completed: string[];
      status: string;
    }[];
    total = changes.length;
    items.push({ block: ['', '| Resource | Planned | Completed | Status |', '|---|---|---|---|'], counts: 0 });
    for (const c of changes)
      items.push({
        block: [
          `| ${code(c.address)} | ${c.planned ?? '_not in plan_'} | ${cell(c.completed.join(', ') || '—')} | ${c.status === 'applied' ? c.status : `**${c.status}**`} |`,
        ],
        counts: 1,
      });
  } else if (v.predicateType === PREDICATE_TYPES.drift) {
    head.push('');
    head.push(
      `**Drift: ${summary.drifted} resource(s) changed outside Terraform** (update ${summary.update}, delete ${summary.delete}, create ${summary.create}, move ${summary.move}); failing checks ${summary.checks_failed}.`,
    );
    if (p.last_good) head.push(`Last known good commit: ${code(String(p.last_good))}`);
    const drift = (p.drift ?? []) as Change[];
    total = drift.length;
    tables(drift, items);
  } else {
    head.push('', `Predicate type ${code(v.predicateType)}.`);
  }
  return fit(head, items, total, artifact, v.envelopeDigest, maxChars);
}

function kindTitle(t: string): string {
  if (t === PREDICATE_TYPES.plan) return 'Terraform plan receipt';
  if (t === PREDICATE_TYPES.apply) return 'Terraform apply receipt';
  if (t === PREDICATE_TYPES.drift) return 'Terraform drift receipt';
  return 'Receipt';
}

function pathsCell(c: Change): string {
  const sens = new Set((c.sensitive ?? []).map((x) => x.path));
  const unk = new Set(c.unknown ?? []);
  const changed = c.changed ?? [];
  const shown = changed
    .slice(0, 8)
    .map((p) => code(p) + (sens.has(p) ? ' (sensitive)' : unk.has(p) ? ' (known after apply)' : ''));
  const more = changed.length - shown.length + (c.changed_omitted ?? 0);
  return (shown.join(', ') || '—') + (more > 0 ? ` +${more} more` : '');
}

function tables(changes: Change[], items: { block: string[]; counts: number }[]): void {
  const groups = new Map<string, Change[]>();
  for (const c of changes) {
    const g = groups.get(c.action) ?? [];
    g.push(c);
    groups.set(c.action, g);
  }
  for (const action of ACTION_ORDER) {
    const g = groups.get(action);
    if (!g) continue;
    items.push({
      block: [
        '',
        `#### ${ACTION_TITLE[action]} (${g.length})`,
        '',
        '| Resource | Reason | Changed paths | Notes |',
        '|---|---|---|---|',
      ],
      counts: 0,
    });
    for (const c of g) {
      const notes: string[] = [];
      if (c.moved_from) notes.push(`moved from ${code(c.moved_from)}`);
      if (c.importing) notes.push('import');
      if (c.deposed) notes.push(`deposed ${code(c.deposed)}`);
      items.push({
        block: [`| ${code(c.address)} | ${cell(c.action_reason ?? '')} | ${pathsCell(c)} | ${notes.join('; ')} |`],
        counts: 1,
      });
    }
  }
}

/** Header always; then whole items while they fit, keeping room for the cut notice and footer. */
function fit(
  head: string[],
  items: { block: string[]; counts: number }[],
  total: number,
  artifact: string,
  digest: string,
  maxChars: number,
): string {
  const footer = `\n---\nFull signed receipt: ${code(artifact)} (${code(digest)}); verify with \`kfm receipt verify\`.\n`;
  let out = head.join('\n') + '\n';
  let shown = 0;
  let cut = false;
  const reserve = footer.length + 200;
  for (const it of items) {
    const text = it.block.join('\n') + '\n';
    if (out.length + text.length + reserve > maxChars) {
      cut = true;
      break;
    }
    out += text;
    shown += it.counts;
  }
  if (cut)
    out += `\n> **${total - shown} of ${total} change(s) not shown** (limit ${maxChars} characters). The full list is in the signed receipt below.\n`;
  out += footer;
  if (out.length > maxChars) {
    // Pathological header (tiny --max-chars): hard cut, still naming the artifact.
    const tail = `\n… cut at ${maxChars} chars; ${total - shown} change(s) not shown; full receipt ${artifact}\n`;
    out = out.slice(0, Math.max(0, maxChars - tail.length)) + tail;
    out = out.slice(0, maxChars);
  }
  return out;
}
