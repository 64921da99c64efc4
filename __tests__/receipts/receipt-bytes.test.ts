/**
 * The same plan JSON, key and context give the same receipt bytes, release after release: a
 * receipt's digest is what the ledger, approvals and gates bind to. Every plan file in the
 * fixtures is receipted (plan and drift) under a fixed test key, and the envelope digests must
 * equal the ones recorded in `__tests__/fixtures/receipts/receipt-digests.json`.
 *
 * A change that alters receipt bytes on purpose (a new predicate field) rewrites that file with
 * `KFM_WRITE_RECEIPT_DIGESTS=1 npx jest __tests__/receipts/receipt-bytes.test.ts` and says why in
 * its commit; a speed-up never does.
 */
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Tagged } from '../../core/digest';
import { signStatement, Statement, writeSignedStatement } from '../../attest/statement';
import { keyIdOf, SigningKey } from '../../attest/sign/ed25519';
import { buildPlanStatement, ReceiptContext } from '../../receipts/plan/build-plan-receipt';
import { buildDriftStatement } from '../../receipts/drift/build-drift-receipt';
import { deriveCommitmentKey } from '../../receipts/redact/commitment';
import { guardNesting, parsePlanDocument } from '../../terraform/plan';
import { exposureChanges } from '../../policy/engine/exposure';
import { REPO, walk } from './helpers';

const FIXTURES = join(REPO, '__tests__', 'fixtures');
const DIGESTS = join(FIXTURES, 'receipts', 'receipt-digests.json');

// A public test key: an Ed25519 seed everyone can compute, so nothing secret is stored.
const seed = createHash('sha256').update('kfm receipt-bytes test key (public, test only)').digest();
const privateKey = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
  format: 'der',
  type: 'pkcs8',
});
const publicKey = createPublicKey(privateKey);
const signing: SigningKey = { privateKey, publicKey, keyid: keyIdOf(publicKey) };
const ctx: ReceiptContext = {
  env: 'dev',
  repo: { commit: 'abcdef1', branch: 'main', source: 'flag', branch_source: 'flag' },
  actor: { principal: 'test', method: 'ci', source: 'flag' },
  commitmentKey: deriveCommitmentKey(privateKey),
  author: { principal: 'someone', source: 'flag' },
};

const OUT = mkdtempSync(join(tmpdir(), 'kfm-receipt-bytes-'));
let written = 0;

/**
 * The digest of the receipt file `kfm receipt plan|drift` writes for `st` (written in pieces,
 * attest/statement.ts `writeSignedStatement`), checked against the bytes `signStatement` makes whole.
 */
function receiptDigest(st: Statement<unknown>): string {
  const out = join(OUT, `${written++}.json`);
  const { digest } = writeSignedStatement(st, signing, out);
  const whole = signStatement(st, signing);
  if (digest !== whole.digest || !readFileSync(out).equals(whole.bytes))
    throw new Error(`${out}: the receipt written in pieces differs from signStatement's bytes`);
  return digest;
}

/** Every fixture JSON file that is a plan, with its plan and drift receipt digests. */
function receiptDigests(): Record<string, [string, string]> {
  const out: Record<string, [string, string]> = {};
  for (const rel of walk(FIXTURES).filter((f) => f.endsWith('.json') && !f.startsWith('legacy/'))) {
    const bytes = readFileSync(join(FIXTURES, rel));
    let doc;
    try {
      doc = parsePlanDocument(bytes, rel);
    } catch {
      continue; // not a plan (states, streams, refused inputs): other tests cover those
    }
    const inputs = { planJsonName: 'plan.json', planJsonDigest: sha256Tagged(bytes) };
    // As `kfm receipt plan` makes it: with the exposure facts of the policy pack's view.
    const exposure = exposureChanges(doc.resource_changes);
    const plan = guardNesting(rel, 'plan JSON', () => buildPlanStatement(doc, rel, inputs, ctx, null, exposure));
    const drift = guardNesting(rel, 'plan JSON', () => buildDriftStatement(doc, rel, inputs, ctx, 'abcdef1'));
    out[rel] = [receiptDigest(plan), receiptDigest(drift)];
  }
  return out;
}

describe('receipt bytes', () => {
  const now = receiptDigests();
  if (process.env.KFM_WRITE_RECEIPT_DIGESTS === '1') writeFileSync(DIGESTS, JSON.stringify(now, null, 1) + '\n');

  it('receipts every fixture plan (the recorded set, no more, no fewer)', () => {
    expect(existsSync(DIGESTS)).toBe(true);
    const recorded = JSON.parse(readFileSync(DIGESTS, 'utf8')) as Record<string, [string, string]>;
    expect(Object.keys(now).sort()).toEqual(Object.keys(recorded).sort());
    expect(Object.keys(now).length).toBeGreaterThan(250);
  });

  it('gives every fixture plan the same plan and drift receipt bytes as recorded', () => {
    const recorded = JSON.parse(readFileSync(DIGESTS, 'utf8')) as Record<string, [string, string]>;
    const differ = Object.keys(now).filter((f) => recorded[f]?.join() !== now[f]!.join());
    expect(differ).toEqual([]);
  });
});
