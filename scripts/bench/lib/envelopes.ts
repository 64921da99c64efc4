import { serializeEnvelope, signEnvelope } from '../../../attest/dsse/envelope';
import type { SigningKey } from '../../../attest/sign/ed25519';

/** The ledger benches' record: a small signed in-toto statement, distinct per `i`. */
export function benchEnvelope(i: number, key: SigningKey): Buffer {
  const st = {
    _type: 'https://in-toto.io/Statement/v1',
    subject: [{ name: `bench-${i}`, digest: { sha256: '0'.repeat(64) } }],
    predicateType: 'https://kfm.example/bench/v1',
    predicate: { i, repo: { commit: (i % 97).toString(16).padStart(40, '0') } },
  };
  return Buffer.from(
    serializeEnvelope(signEnvelope('application/vnd.in-toto+json', Buffer.from(JSON.stringify(st)), key)),
  );
}
