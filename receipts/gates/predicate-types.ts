/** predicateType URIs of every statement kind the pipeline reads or writes. Never rename one. */
export const PREDICATE_TYPES = {
  plan: 'https://kfm.dev/receipts/plan/v1',
  apply: 'https://kfm.dev/receipts/apply/v1',
  drift: 'https://kfm.dev/receipts/drift/v1',
  approval: 'https://kfm.dev/receipts/approval/v1',
  validation: 'https://kfm.dev/receipts/validation/v1',
  promotion: 'https://kfm.dev/receipts/promotion/v1',
} as const;

export const IN_TOTO_STATEMENT_V1 = 'https://in-toto.io/Statement/v1';
