/**
 * KFM controlled vocabularies (seed 000, "Zone vocabulary"). Tags and labels are checked against
 * these at synth time (an unknown value fails synth) and again by the policy pack at plan time.
 */

import { ConstructLike, ValidationError } from './validation-error';

/** `policy_label`: who may see an artifact and under which obligations. */
export const POLICY_LABELS = [
  'public',
  'public_generalized',
  'restricted',
  'restricted_sensitive_location',
  'internal',
  'embargoed',
  'quarantine',
] as const;
export type PolicyLabel = (typeof POLICY_LABELS)[number];

/** `zone`: the truth-path zones (`artifact.zone`) plus `audit`, the append-only ledger zone. */
export const ZONES = ['raw', 'work', 'processed', 'catalog', 'published', 'audit'] as const;
export type Zone = (typeof ZONES)[number];

/** The tier names, in the only order promotion may follow (plan 21.03 §3). */
export const TIER_NAMES = ['dev', 'stage', 'prod'] as const;
export type TierName = (typeof TIER_NAMES)[number];

/**
 * The stacks outside the promotion order that still change only through the governed path (plan →
 * receipt → approval → apply): `audit` (the ledger's bucket) and `bootstrap` (state, OIDC, roles).
 * Their apply needs an independent approval, as prod's does (docs/gates.md).
 */
export const SHARED_STACK_NAMES = ['audit', 'bootstrap'] as const;
export type SharedStackName = (typeof SHARED_STACK_NAMES)[number];

/** What a receipt, gate, approval or policy check may name: the tiers, then the shared stacks. */
export const ENVS = [...TIER_NAMES, ...SHARED_STACK_NAMES] as const;
export type Env = TierName | SharedStackName;

/** Whether `env` is a tier (promotion order) rather than a shared stack. */
export function isTierName(env: string): env is TierName {
  return (TIER_NAMES as readonly string[]).includes(env);
}

/** Thrown at synth time for a value outside a controlled vocabulary. One line, names what to use. */
export class VocabularyError extends ValidationError {}

/** `where` is the construct being labelled (its path leads the message) or a string naming the check. */
export function assertPolicyLabel(value: string, where: ConstructLike | string): PolicyLabel {
  if (!(POLICY_LABELS as readonly string[]).includes(value)) {
    throw new VocabularyError(
      `policy_label "${value}" is not in the controlled vocabulary (${POLICY_LABELS.join(', ')})`,
      where,
    );
  }
  return value as PolicyLabel;
}

export function assertZone(value: string, where: ConstructLike | string): Zone {
  if (!(ZONES as readonly string[]).includes(value)) {
    throw new VocabularyError(`zone "${value}" is not in the controlled vocabulary (${ZONES.join(', ')})`, where);
  }
  return value as Zone;
}
