import { Requirement, requirements, SettingEntry } from '../engine/coverage';
import { defineRule, judged, Outcome } from '../engine/rule';
import { settingProblems } from '../engine/settings';

function ids(e: SettingEntry): string {
  const all = [...(e.checkov ?? []), ...(e.securityHub ?? [])];
  return all.length ? ` (${all.join(', ')})` : '';
}

/**
 * Settings whose compliant value is a plain fact of one resource (key rotation on, log validation on,
 * backups kept, encryption in transit, no public broker, multi-AZ in prod) are data: each is a
 * `require` of policy/config/coverage.json, judged here for every resource of its type.
 */
export const rule = defineRule(__filename, {
  severity: 'error',
  description:
    'Every setting with a requirement in policy/config/coverage.json (key rotation, log validation, backup retention, encryption in transit, no public broker, HA in prod) meets it.',
  remediation:
    'Set the named setting as the finding says (see policy/config/coverage.json for the requirement and its checkov / Security Hub ids).',
  covers: [...new Set(requirements().map((q) => q.type))].sort(),
  checkov: [],
  evaluate(ctx) {
    const byType = new Map<string, Array<{ setting: string; entry: SettingEntry & { require: Requirement } }>>();
    for (const q of requirements()) {
      if (q.entry.env && q.entry.env !== ctx.env) continue;
      byType.set(q.type, [...(byType.get(q.type) ?? []), q]);
    }
    const out: Outcome[] = [];
    for (const [type, reqs] of byType) {
      for (const r of ctx.ofType(type)) {
        const problems = reqs.flatMap((q) =>
          settingProblems(r, q.setting, q.entry.require).map(
            (p) => `${p}${ids(q.entry)}${q.entry.why ? `: ${q.entry.why}` : ''}`,
          ),
        );
        out.push(judged(r.address, problems));
      }
    }
    return out;
  },
});
