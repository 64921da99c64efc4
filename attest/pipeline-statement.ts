import { SigningKey } from './sign/ed25519';
import { signStatement, Subject } from './statement';
import { STATEMENT_TYPE } from './predicate-types';

/**
 * Sign a pipeline statement (approval, validation record, promotion manifest). Subjects stay in
 * the order given (callers order and dedupe them), so the bytes are what they always were.
 */
export function signPipelineStatement(
  predicateType: string,
  subject: readonly Subject[],
  predicate: Record<string, unknown>,
  key: SigningKey,
): { bytes: string; digest: string } {
  const signed = signStatement({ _type: STATEMENT_TYPE, subject, predicateType, predicate }, key);
  return { bytes: signed.bytes.toString('utf8'), digest: signed.digest };
}

/** `sha256:<hex>` → `<hex>` for an in-toto subject digest. */
export function hexOf(tagged: string): string {
  return tagged.replace(/^sha256:/, '');
}
