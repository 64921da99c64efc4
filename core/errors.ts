/**
 * The one error type of the receipts tooling.
 *
 * Callers branch on `code`, never on the message text. Codes are a closed union:
 * add new ones at the end of their group, never rename one (CI and auditors match them).
 * Messages are ONE line: file, field, what was found, what was expected, what to do.
 */
export type ReceiptErrorCode =
  // usage / bad input -> exit 2
  | 'USAGE'
  | 'FILE_NOT_FOUND'
  | 'FILE_EMPTY'
  | 'FILE_EXISTS'
  | 'JSON_INVALID'
  | 'PLAN_FORMAT_UNSUPPORTED'
  | 'PLAN_FIELD_INVALID'
  | 'PLAN_ACTION_UNKNOWN'
  | 'APPLY_STREAM_INVALID'
  | 'ENV_UNKNOWN'
  | 'KEY_INVALID'
  | 'SCHEMA_INVALID'
  | 'ENVELOPE_INVALID'
  | 'STORE_INVALID'
  | 'INPUT_INVALID'
  // signature / integrity -> exit 3
  | 'SIGNATURE_INVALID'
  | 'KEY_UNTRUSTED'
  | 'LOG_INTEGRITY'
  | 'CHECKPOINT_INVALID'
  // policy / gate denied -> exit 1
  | 'POLICY_FAILED'
  | 'GATE_DENIED'
  // environment / internal -> exit 4 (never a silent pass)
  | 'IO_ERROR'
  | 'STORE_UNAVAILABLE'
  | 'INTERNAL';

const EXIT_CODES: Record<ReceiptErrorCode, number> = {
  USAGE: 2,
  FILE_NOT_FOUND: 2,
  FILE_EMPTY: 2,
  FILE_EXISTS: 2,
  JSON_INVALID: 2,
  PLAN_FORMAT_UNSUPPORTED: 2,
  PLAN_FIELD_INVALID: 2,
  PLAN_ACTION_UNKNOWN: 2,
  APPLY_STREAM_INVALID: 2,
  ENV_UNKNOWN: 2,
  KEY_INVALID: 2,
  SCHEMA_INVALID: 2,
  ENVELOPE_INVALID: 2,
  STORE_INVALID: 2,
  INPUT_INVALID: 2,
  SIGNATURE_INVALID: 3,
  KEY_UNTRUSTED: 3,
  LOG_INTEGRITY: 3,
  CHECKPOINT_INVALID: 3,
  POLICY_FAILED: 1,
  GATE_DENIED: 1,
  IO_ERROR: 4,
  STORE_UNAVAILABLE: 4,
  INTERNAL: 4,
};

export class ReceiptError extends Error {
  public readonly code: ReceiptErrorCode;

  constructor(code: ReceiptErrorCode, message: string, options?: { cause?: unknown }) {
    // One line, always: a multi-line message would break CI log parsers.
    super(message.replace(/[\r\n]+/g, ' '), options);
    this.name = 'ReceiptError';
    this.code = code;
  }

  /** The process exit code this error maps to (0 is never returned). */
  get exitCode(): number {
    return EXIT_CODES[this.code];
  }
}

export function isReceiptError(e: unknown): e is ReceiptError {
  return e instanceof ReceiptError;
}
