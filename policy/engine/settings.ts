import { Requirement } from './coverage';
import { declarationsFor } from './declarations';
import { asBool, configuredLeaves } from './rule';
import { ResourceView } from './view';

/** Judging one setting against a requirement of policy/config/coverage.json (shared by the rules). */
type Leafy = { unknown: true } | { unknown: false; value: unknown };

/** Where a setting's enclosing block is absent, a `whenBlock` requirement does not apply. */
function blockPresent(r: ResourceView, setting: string): boolean {
  const parts = setting.split('.');
  if (parts.length < 2) return true;
  return r.leaves(parts.slice(0, -1).join('.')).length > 0 || r.leaves(parts[0]).length > 0;
}

function shown(v: unknown): string {
  return typeof v === 'string' ? `"${v}"` : String(v);
}

/** The problem with one known (or defaulted) value, or undefined. */
function valueProblem(req: Requirement, value: unknown): string | undefined {
  if (req.equals !== undefined) {
    const v = typeof req.equals === 'boolean' ? asBool(value) : value;
    return v === req.equals ? undefined : `is ${shown(value)}, must be ${shown(req.equals)}`;
  }
  if (req.oneOf) {
    const v = typeof value === 'string' ? value : String(value);
    return req.oneOf.some((o) => String(o).toLowerCase() === v.toLowerCase())
      ? undefined
      : `is ${shown(value)}, must be one of ${req.oneOf.map(shown).join(', ')}`;
  }
  const n = Number(value);
  if (req.min !== undefined) {
    if (req.zeroMeans === 'forever' && n === 0) return undefined;
    if (!(n >= req.min)) return `is ${shown(value)}, must be at least ${req.min}`;
  }
  if (req.max !== undefined && !(n <= req.max)) return `is ${shown(value)}, must be at most ${req.max}`;
  return undefined;
}

/** Problems of one setting on one resource: unknown fails closed; absent is the provider default. */
export function settingProblems(r: ResourceView, setting: string, req: Requirement): string[] {
  if (req.whenBlock && !blockPresent(r, setting)) return [];
  const leaves = configuredLeaves(r, setting) as Leafy[];
  if (req.absentOnly) return leaves.length ? [`${setting} is set, must be absent`] : [];
  if (req.set) return leaves.length ? [] : [`${setting} is not set`];
  if (leaves.some((l) => l.unknown)) return [`${setting} is unknown at this stage, so it cannot be verified`];
  if (leaves.length === 0) {
    if (req.absent === undefined) return [`${setting} is not set (the default depends on the engine or account)`];
    const p = valueProblem(req, req.absent);
    return p ? [`${setting} is not set (defaults to ${shown(req.absent)}), ${p.replace(/^is [^,]+, /, '')}`] : [];
  }
  return leaves.flatMap((l) => {
    const p = valueProblem(req, (l as { value: unknown }).value);
    return p ? [`${setting} ${p}`] : [];
  });
}

/** The default retention in days (days, or years × 365) is at least the platform's audit minimum. */
export function auditRetentionDaysProblems(r: ResourceView): string[] {
  // The minimum has no placeholder: the same for every installation.
  const min = declarationsFor().platform.auditMinimumRetentionDays;
  const days = r.leaves('rule.default_retention.days');
  const years = r.leaves('rule.default_retention.years');
  if ([...days, ...years].some((l) => l.unknown)) return ['default retention is unknown at this stage'];
  const value = (l: (typeof days)[number] | undefined): number => (l && !l.unknown ? Number(l.value) : 0);
  const total = Math.max(value(days[0]), value(years[0]) * 365);
  return total >= min
    ? []
    : [`default retention is ${total} day(s), below the platform's audit minimum of ${min} days`];
}

/** COMPLIANCE mode, for at least the platform's audit minimum. */
export function auditRetentionProblems(r: ResourceView): string[] {
  return [
    ...settingProblems(r, 'rule.default_retention.mode', { oneOf: ['COMPLIANCE'] }),
    ...auditRetentionDaysProblems(r),
  ];
}
