import { SigningKey } from './sign/ed25519';
import { signStatement, Statement } from './statement';
import { IN_TOTO_STATEMENT_V1 } from './predicate-types';

export interface Subject {
  readonly name: string;
  /** in-toto DigestSet: `sha256` (hex) for files, `gitCommit` for a commit. */
  readonly digest: Readonly<Record<string, string>>;
}

/** Sign a pipeline statement (approval, validation record, promotion manifest). */
export function signPipelineStatement(
  predicateType: string,
  subject: readonly Subject[],
  predicate: Record<string, unknown>,
  key: SigningKey,
): { bytes: string; digest: string } {
  const statement = { _type: IN_TOTO_STATEMENT_V1, subject, predicateType, predicate } as unknown as Statement<unknown>;
  const signed = signStatement(statement, key);
  return { bytes: signed.bytes.toString('utf8'), digest: signed.digest };
}

/** `sha256:<hex>` → `<hex>` for an in-toto subject digest. */
export function hexOf(tagged: string): string {
  return tagged.replace(/^sha256:/, '');
}
