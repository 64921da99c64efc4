import { PREDICATE_TYPES as RECEIPT_TYPES, STATEMENT_TYPE } from './statement';

/**
 * predicateType URIs of every statement the pipeline reads or writes: the receipts' own
 * (plan, apply, drift) plus the pipeline's approvals, validation records and promotion
 * manifests. Never rename one.
 */
export const PREDICATE_TYPES = {
  ...RECEIPT_TYPES,
  approval: 'https://kfm.dev/receipts/approval/v1',
  validation: 'https://kfm.dev/receipts/validation/v1',
  promotion: 'https://kfm.dev/receipts/promotion/v1',
} as const;

export const IN_TOTO_STATEMENT_V1 = STATEMENT_TYPE;
