import { IN_TOTO_PAYLOAD_TYPE, serializeEnvelope, signEnvelope } from '../dsse/envelope';
import { canonicalJson } from '../io/canonical-json';
import { sha256Tagged } from '../io/digest';
import { SigningKey } from '../sign/ed25519';
import { IN_TOTO_STATEMENT_V1 } from './predicate-types';

export interface Subject {
  readonly name: string;
  /** in-toto DigestSet: `sha256` (hex) for files, `gitCommit` for a commit. */
  readonly digest: Readonly<Record<string, string>>;
}

/** Sign an in-toto Statement v1 and return the envelope file bytes and their digest. */
export function signPipelineStatement(
  predicateType: string,
  subject: readonly Subject[],
  predicate: Record<string, unknown>,
  key: SigningKey,
): { bytes: string; digest: string } {
  const payload = Buffer.from(
    canonicalJson({ _type: IN_TOTO_STATEMENT_V1, subject, predicateType, predicate }),
    'utf8',
  );
  const bytes = serializeEnvelope(signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, key));
  return { bytes, digest: sha256Tagged(bytes) };
}

/** `sha256:<hex>` → `<hex>` for an in-toto subject digest. */
export function hexOf(tagged: string): string {
  return tagged.replace(/^sha256:/, '');
}
