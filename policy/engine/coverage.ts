import table from '../config/coverage.json';

/**
 * Coverage by setting (policy/config/coverage.json): a type is covered only when every one of its
 * security-relevant settings is read by a named rule or reviewed irrelevant with a reason. A rule's
 * `covers` alone no longer takes a type out of default deny.
 */

/** What security-settings-required enforces for one setting (absent = the provider default). */
export interface Requirement {
  /** The value must equal this. */
  readonly equals?: unknown;
  /** The value must be one of these. */
  readonly oneOf?: readonly unknown[];
  /** Numeric lower / upper bound. */
  readonly min?: number;
  readonly max?: number;
  /** For `min`: 0 means "keep forever" (CloudWatch Logs retention), which satisfies any minimum. */
  readonly zeroMeans?: 'forever';
  /** The setting must be configured (any value). */
  readonly set?: boolean;
  /** The setting must not be configured at all. */
  readonly absentOnly?: boolean;
  /** The provider default when absent; without it an absent setting fails ("not set"). */
  readonly absent?: unknown;
  /** Judge only resources where the setting's enclosing block is present. */
  readonly whenBlock?: boolean;
}

export interface SettingEntry {
  /** The rule that reads the setting. */
  readonly rule?: string;
  readonly require?: Requirement;
  /** Only in this env (prod-only requirements). */
  readonly env?: string;
  /** Why the requirement holds (used in findings of security-settings-required). */
  readonly why?: string;
  /** The provider schema marks it sensitive: no-credentials-in-configuration judges every sensitive path. */
  readonly sensitive?: boolean;
  /** The rule reads the whole top-level block (any content makes it a writer); the test checks the block name. */
  readonly whole?: boolean;
  /** Why the reading is what it is (for reviewers). */
  readonly note?: string;
  readonly irrelevant?: string;
  readonly unread?: string;
  readonly checkov?: readonly string[];
  readonly securityHub?: readonly string[];
}

export const COVERAGE: Readonly<Record<string, Readonly<Record<string, SettingEntry>>>> = table.types as Record<
  string,
  Record<string, SettingEntry>
>;

/** Settings of a known type that no rule reads yet (empty when all are read or irrelevant); `table` for tests. */
export function unreadSettings(type: string, table: typeof COVERAGE = COVERAGE): string[] {
  const settings = table[type];
  if (!settings) return [];
  return Object.entries(settings)
    .filter(([, s]) => s.unread !== undefined || (s.rule === undefined && s.irrelevant === undefined))
    .map(([k]) => k);
}

/** Whether the table lists the type at all. */
export function isKnownType(type: string): boolean {
  return Object.prototype.hasOwnProperty.call(COVERAGE, type);
}

/** readsSecuritySettings by type: the table is fixed, and a plan asks once per change. */
const READS_SETTINGS = new Map<string, boolean>();

/**
 * Whether changes to a type can change exposure: a rule of the pack reads at least one of its
 * settings. The exposure view (exposure.ts) reads only these types' changes.
 */
export function readsSecuritySettings(type: string): boolean {
  let reads = READS_SETTINGS.get(type);
  if (reads === undefined) {
    reads = isKnownType(type) && Object.values(COVERAGE[type]!).some((s) => s.rule !== undefined);
    READS_SETTINGS.set(type, reads);
  }
  return reads;
}

/** Every (type, setting, requirement) security-settings-required enforces. */
export function requirements(): Array<{
  type: string;
  setting: string;
  entry: SettingEntry & { require: Requirement };
}> {
  const out: Array<{ type: string; setting: string; entry: SettingEntry & { require: Requirement } }> = [];
  for (const [type, settings] of Object.entries(COVERAGE))
    for (const [setting, entry] of Object.entries(settings))
      if (entry.require) out.push({ type, setting, entry: entry as SettingEntry & { require: Requirement } });
  return out;
}
