/**
 * Every statement the kfm tool reads or writes, named once: the in-toto Statement type, each
 * predicate's type URI, the `kind` its predicate carries and the JSON Schema (in `schemas/`) it
 * is validated against. Never rename one: receipts and ledgers already written carry them.
 */
export const STATEMENT_TYPE = 'https://in-toto.io/Statement/v1';

export const PREDICATE_TYPES = {
  plan: 'https://kfm.dev/receipts/plan/v1',
  apply: 'https://kfm.dev/receipts/apply/v1',
  drift: 'https://kfm.dev/receipts/drift/v1',
  approval: 'https://kfm.dev/receipts/approval/v1',
  validation: 'https://kfm.dev/receipts/validation/v1',
  promotion: 'https://kfm.dev/receipts/promotion/v1',
} as const;

export type PredicateName = keyof typeof PREDICATE_TYPES;

/** The `kind` field of each predicate. */
export const PREDICATE_KINDS = {
  plan: 'kfm.infra.PlanReceipt',
  apply: 'kfm.infra.ApplyReceipt',
  drift: 'kfm.infra.DriftReceipt',
  approval: 'kfm.infra.Approval',
  validation: 'kfm.infra.ValidationRecord',
  promotion: 'kfm.infra.PromotionManifest',
} as const satisfies Record<PredicateName, string>;

/** The `$id` of each predicate's JSON Schema, `schemas/<file name>`: every predicate has one. */
export const PREDICATE_SCHEMA_IDS = {
  plan: 'https://kfm.dev/schemas/plan-receipt.schema.json',
  apply: 'https://kfm.dev/schemas/apply-receipt.schema.json',
  drift: 'https://kfm.dev/schemas/drift-receipt.schema.json',
  approval: 'https://kfm.dev/schemas/approval.schema.json',
  validation: 'https://kfm.dev/schemas/validation-record.schema.json',
  promotion: 'https://kfm.dev/schemas/promotion-manifest.schema.json',
} as const satisfies Record<PredicateName, string>;
