import { generateKeyPairSync } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../../core/canonical-json';
import { isReceiptError, ReceiptError } from '../../core/errors';
import { writeFileExclusive } from '../../core/files';
import {
  decodeStatementPayload,
  IN_TOTO_PAYLOAD_TYPE,
  parseEnvelope,
  serializeEnvelope,
  signEnvelope,
} from '../../attest/dsse/envelope';
import { PREDICATE_TYPES, STATEMENT_TYPE } from '../../attest/predicate-types';
import { signPipelineStatement } from '../../attest/pipeline-statement';
import { validatePredicate } from '../../attest/validate';
import { keyIdOf } from '../../attest/sign/ed25519';
import { readVerifiedStatement } from '../../attest/statement';
import { classifyEntries } from '../../gates/evidence';
import { REPO, tmp } from '../receipts/helpers';

const LEGACY = join(REPO, '__tests__', 'fixtures', 'legacy', 'main-7c9073a');
const COMMIT = 'c0ffee0000000000000000000000000000000000';
const DIGEST = `sha256:${'b'.repeat(64)}`;

const kp = generateKeyPairSync('ed25519');
const keyid = keyIdOf(kp.publicKey);
const signing = { privateKey: kp.privateKey, publicKey: kp.publicKey, keyid };
const trusted = { publicKey: kp.publicKey, keyid, source: 'ci.pub' };

/** Predicates in the shapes kfm approve, kfm record smoke and kfm gate promote --key write. */
const VALID = {
  [PREDICATE_TYPES.approval]: {
    kind: 'kfm.infra.Approval',
    env: 'prod',
    decision: 'approved',
    principal: 'reviewer',
    change_record: 'CR-42',
    plan_receipt: { digest: DIGEST, commit: COMMIT },
    repo: { commit: COMMIT },
    timestamps: { approved: '2026-12-01T19:47:40.334Z' },
  },
  [PREDICATE_TYPES.validation]: {
    kind: 'kfm.infra.ValidationRecord',
    env: 'dev',
    status: 'pass',
    checks: [{ name: 'deployed', status: 'pass' }],
    repo: { commit: COMMIT, source: 'flag' },
    timestamps: { finished: '2026-12-01T19:47:34.922Z' },
  },
  [PREDICATE_TYPES.promotion]: {
    kind: 'kfm.infra.PromotionManifest',
    env: 'prod',
    repo: { commit: COMMIT },
    evidence: [{ requirement: 'prod plan receipt', digest: DIGEST, seq: 12 }],
    policy: { bundle_digest: DIGEST },
    approvals: [{ digest: DIGEST, principal: 'reviewer', change_record: 'CR-42' }],
    ledger: { size: 14, root: Buffer.alloc(32, 7).toString('base64'), anchored: true, checkpoints: [{ size: 14 }] },
    timestamps: { promoted: '2026-12-01T19:47:41.000Z' },
  },
} as const;
const SUBJECT = [{ name: 'prod.plan.json', digest: { sha256: 'b'.repeat(64) } }];

function errorOf(f: () => unknown): ReceiptError {
  try {
    f();
  } catch (e) {
    if (isReceiptError(e)) return e;
    throw e;
  }
  throw new Error('expected a ReceiptError');
}

/** A validly signed envelope that skips the schema check, as a forger with the key could write. */
function signedRaw(predicateType: string, predicate: unknown): Buffer {
  const st = { _type: STATEMENT_TYPE, subject: SUBJECT, predicateType, predicate };
  return Buffer.from(serializeEnvelope(signEnvelope(IN_TOTO_PAYLOAD_TYPE, Buffer.from(canonicalJson(st)), signing)));
}

describe('pipeline statement schemas', () => {
  it('accept every statement in the ledger and receipts written by the previous version', () => {
    const envelopes: Array<[string, Buffer]> = [];
    for (const f of readdirSync(join(LEGACY, 'receipts')))
      envelopes.push([f, readFileSync(join(LEGACY, 'receipts', f))]);
    for (const f of readdirSync(join(LEGACY, 'audit', 'entries'))) {
      const entry = JSON.parse(readFileSync(join(LEGACY, 'audit', 'entries', f), 'utf8'));
      envelopes.push([f, Buffer.from(entry.envelope, 'base64')]);
    }
    const seen = new Set<string>();
    for (const [name, bytes] of envelopes) {
      const st = decodeStatementPayload(parseEnvelope(bytes.toString('utf8'), name), name);
      validatePredicate(st.predicateType as string, st.predicate, name);
      seen.add(st.predicateType as string);
    }
    expect([...seen].sort()).toEqual(Object.values(PREDICATE_TYPES).sort());
  });

  it.each(Object.keys(VALID))('sign and read back a well-formed %s', (type) => {
    const signed = signPipelineStatement(type, SUBJECT, { ...VALID[type as keyof typeof VALID] }, signing);
    expect(readVerifiedStatement(Buffer.from(signed.bytes), 'x.json', [trusted]).predicateType).toBe(type);
  });

  it.each([
    [
      PREDICATE_TYPES.approval,
      'timestamps',
      /^statement being signed: predicate must have required property 'timestamps'/,
    ],
    [PREDICATE_TYPES.validation, 'checks', /^statement being signed: predicate must have required property 'checks'/],
    [
      PREDICATE_TYPES.promotion,
      'evidence',
      /^statement being signed: predicate must have required property 'evidence'/,
    ],
  ])('refuse a %s missing %s before signing: nothing is written', (type, field, message) => {
    const predicate: Record<string, unknown> = { ...VALID[type as keyof typeof VALID] };
    delete predicate[field];
    const out = join(tmp('kfm-schema-'), 'statement.json');
    const e = errorOf(() => writeFileExclusive(out, signPipelineStatement(type, SUBJECT, predicate, signing).bytes));
    expect([e.code, e.exitCode]).toEqual(['SCHEMA_INVALID', 2]);
    expect(e.message).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('refuse on read a validly signed envelope whose payload breaks its schema, in one line naming the field', () => {
    const bad = { ...VALID[PREDICATE_TYPES.validation], checks: [{ name: 'deployed', status: 'maybe' }] };
    const bytes = signedRaw(PREDICATE_TYPES.validation, bad);
    const e = errorOf(() => readVerifiedStatement(bytes, 'smoke.json', [trusted]));
    expect([e.code, e.exitCode]).toEqual(['SCHEMA_INVALID', 2]);
    expect(e.message).toBe(
      'smoke.json: predicate.checks.0.status must be equal to one of the allowed values (schema https://kfm.dev/receipts/validation/v1)',
    );
    expect(e.message).not.toMatch(/maybe/);
    // The gates never count it as evidence either.
    const { evidence, rejected } = classifyEntries([{ seq: 1, envelopeBytes: bytes }], [trusted]);
    expect(evidence).toEqual([]);
    expect(rejected[0]!.reason).toMatch(/^predicate does not match its schema: predicate\.checks\.0\.status /);
  });

  it('refuse on read an approval whose payload lacks the plan receipt it approves', () => {
    const { plan_receipt: _, ...bad } = VALID[PREDICATE_TYPES.approval];
    const e = errorOf(() => readVerifiedStatement(signedRaw(PREDICATE_TYPES.approval, bad), 'a.json', [trusted]));
    expect(e.message).toMatch(/^a\.json: predicate must have required property 'plan_receipt' \(schema /);
  });
});
