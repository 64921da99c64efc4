/**
 * Signed gate evidence made by the real receipt builders from a real Terraform run
 * (fixtures/receipts/generated/partial-failure): a ledger under construction whose plan, apply,
 * drift, smoke and approval records each test overrides only where it is about. Used by the
 * promotion rules' tests (in memory) and by the gate-by-proof tests (appended to real stores).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApplyStatement } from '../../../receipts/apply/build-apply-receipt';
import { parseApplyStream } from '../../../terraform/apply-stream';
import { buildDriftStatement } from '../../../receipts/drift/build-drift-receipt';
import { IN_TOTO_PAYLOAD_TYPE, serializeEnvelope, signEnvelope } from '../../../attest/dsse/envelope';
import { sha256Tagged } from '../../../core/digest';
import { buildPlanStatement, ReceiptContext } from '../../../receipts/plan/build-plan-receipt';
import { parsePlanDocument } from '../../../terraform/plan';
import { deriveCommitmentKey } from '../../../receipts/redact/commitment';
import { readVerifiedStatement, signStatement } from '../../../attest/statement';
import { PREDICATE_TYPES } from '../../../attest/predicate-types';
import { LedgerEntry } from '../../../gates/evidence';
import { signPipelineStatement } from '../../../attest/pipeline-statement';
import {
  generateKeyPairPem,
  parseSigningKey,
  parseTrustedKey,
  SigningKey,
  TrustedKey,
} from '../../../attest/sign/ed25519';

export const COMMIT = 'a'.repeat(40);
export const OTHER = 'b'.repeat(40);
export const PIN = `sha256:${'1'.repeat(64)}`;

export function keyPair(name: string): {
  signing: SigningKey;
  trusted: TrustedKey;
  privatePem: string;
  publicPem: string;
} {
  const { privatePem, publicPem } = generateKeyPairPem();
  return {
    signing: parseSigningKey(privatePem, name),
    trusted: parseTrustedKey(publicPem, `${name}.pub`),
    privatePem,
    publicPem,
  };
}

export const ci = keyPair('ci');
export const reviewer = keyPair('reviewer');
export const stranger = keyPair('stranger');
/** The change's author also holds an approver key: the gate must still refuse self-approval. */
export const author = keyPair('author');

/**
 * Schema-valid predicates made once by the real receipt builders from a real Terraform run
 * (fixtures/receipts/generated/partial-failure); each test overrides only what it is about.
 */
const FIX = join(__dirname, '..', '..', 'fixtures', 'receipts', 'generated', 'partial-failure');
export const templates = (() => {
  const ctx = {
    env: 'dev',
    repo: { commit: COMMIT, branch: 'main', source: 'flag', branch_source: 'flag' },
    actor: { principal: 'author', method: 'ci', source: 'flag' },
    commitmentKey: deriveCommitmentKey(ci.signing.privateKey),
  } as unknown as ReceiptContext;
  const planText = readFileSync(join(FIX, '1-create.show-plan.json'));
  const plan = parsePlanDocument(planText, 'plan.json');
  const inputs = { planJsonName: 'plan.json', planJsonDigest: sha256Tagged(planText) };
  const planSt = buildPlanStatement(plan, 'plan.json', inputs, ctx, null);
  const signedPlan = signStatement(planSt, ci.signing);
  const verified = readVerifiedStatement(signedPlan.bytes, 'plan-receipt', [ci.trusted]);
  const stream = readFileSync(join(FIX, '1-create.apply.jsonl'));
  const applySt = buildApplyStatement(
    parseApplyStream(stream, 'apply.jsonl'),
    verified,
    'plan-receipt',
    { streamName: 'apply.jsonl', streamDigest: sha256Tagged(stream), planReceiptName: 'plan-receipt' },
    ctx,
  );
  const driftSt = buildDriftStatement(plan, 'plan.json', inputs, ctx, COMMIT);
  return { plan: planSt.predicate as unknown as Rec, apply: applySt.predicate as Rec, drift: driftSt.predicate as Rec };
})();

export type Rec = Record<string, unknown>;

/** Sign without the writer's schema check: what a buggy or hostile signer could produce. */
export function rawSign(predicateType: string, predicate: Rec, key: SigningKey): { bytes: Buffer } {
  const payload = Buffer.from(
    JSON.stringify({
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: 'x', digest: { sha256: 'f'.repeat(64) } }],
      predicateType,
      predicate,
    }),
  );
  return { bytes: Buffer.from(serializeEnvelope(signEnvelope(IN_TOTO_PAYLOAD_TYPE, payload, key))) };
}
export const POLICY = (over: Rec = {}) => ({
  bundle_digest: PIN,
  rules: 14,
  evaluated: 10,
  verdict: 'pass',
  findings: [],
  suppressed: [],
  input_digest: `sha256:${'3'.repeat(64)}`,
  ...over,
});

/** A ledger under construction: each add() signs a statement and appends it. */
export class Ledger {
  readonly entries: LedgerEntry[] = [];
  /** @param pin the policy bundle digest plan receipts name (the CLI gates compare the real pin). */
  constructor(readonly pin: string = PIN) {}
  add(
    type: string,
    predicate: Rec,
    key: SigningKey = ci.signing,
    subject: { name: string; digest: { sha256: string } }[] = [{ name: 'x', digest: { sha256: 'f'.repeat(64) } }],
  ): string {
    const s = signPipelineStatement(type, subject, predicate, key);
    this.entries.push({ seq: this.entries.length + 1, envelopeBytes: Buffer.from(s.bytes) });
    return s.digest;
  }
  plan(env: string, over: Rec = {}, key?: SigningKey): string {
    const t = templates.plan;
    return this.add(
      PREDICATE_TYPES.plan,
      {
        ...t,
        env,
        author: { principal: 'author', source: 'flag' },
        ...over,
        policy:
          over.policy === null
            ? null
            : {
                ...POLICY({ bundle_digest: this.pin }),
                input: { kind: 'plan', digest: `sha256:${'f'.repeat(64)}`, env },
                ...((over.policy as Rec) ?? {}),
              },
        summary: { ...(t.summary as Rec), errored: false, ...((over.summary as Rec) ?? {}) },
      },
      key,
      [{ name: `${env}.tfplan`, digest: { sha256: 'f'.repeat(64) } }],
    );
  }
  apply(env: string, planDigest: string, status = 'applied', key?: SigningKey): string {
    const t = templates.apply;
    const summary = {
      ...(t.summary as Rec),
      status,
      errored: status === 'failed' ? ['terraform_data.bad'] : [],
      not_applied: status === 'incomplete' ? ['terraform_data.after'] : [],
    };
    const completion = { final_summary: status === 'applied', in_progress: [] };
    this.lastApply = this.add(
      PREDICATE_TYPES.apply,
      {
        ...t,
        env,
        summary,
        completion,
        plan_receipt: { ...(t.plan_receipt as Rec), digest: planDigest, env },
        // Each attempt is its own run (two identical statements would be one record, replayed).
        timestamps: {
          ...(t.timestamps as Rec),
          finished: `2026-11-24T12:00:${String(this.entries.length).padStart(2, '0')}Z`,
        },
      },
      key,
    );
    return this.lastApply;
  }
  /** The digest of the last apply added: drift and smoke records bind to it unless told otherwise. */
  lastApply?: string;
  /** In-toto subjects that bind a record to an apply receipt (none: an unbound, old-style record). */
  static bound(apply: string | null | undefined) {
    const s = [{ name: 'x', digest: { sha256: 'f'.repeat(64) } }];
    return apply ? [...s, { name: 'apply-receipt', digest: { sha256: apply.replace('sha256:', '') } }] : s;
  }
  /** @param commit the commit the report was made at (a scheduled drift run: the newest one). */
  drift(env: string, drifted = 0, apply: string | null = this.lastApply ?? null, commit = COMMIT): string {
    const t = templates.drift;
    return this.add(
      PREDICATE_TYPES.drift,
      {
        ...t,
        env,
        repo: { ...(t.repo as Rec), commit },
        summary: { ...(t.summary as Rec), drifted, update: drifted },
      },
      ci.signing,
      Ledger.bound(apply),
    );
  }
  smoke(env: string, status = 'pass', apply: string | null = this.lastApply ?? null, commit = COMMIT): string {
    return this.add(
      PREDICATE_TYPES.validation,
      {
        kind: 'kfm.infra.ValidationRecord',
        env,
        status,
        checks: [{ name: 'deployed', status }],
        repo: { commit, source: 'flag' },
        timestamps: { finished: '2026-01-01T00:00:00.000Z' },
      },
      ci.signing,
      Ledger.bound(apply),
    );
  }
  /** Append the exact bytes of an earlier entry again (what anyone with append access can do). */
  replay(seq: number): void {
    this.entries.push({ seq: this.entries.length + 1, envelopeBytes: this.entries[seq - 1]!.envelopeBytes });
  }
  approve(
    planDigest: string,
    principal = 'reviewer',
    key: SigningKey = reviewer.signing,
    changeRecord: string | null = 'CR-42',
  ): string {
    return this.add(
      PREDICATE_TYPES.approval,
      {
        kind: 'kfm.infra.Approval',
        env: 'prod',
        decision: 'approved',
        principal,
        change_record: changeRecord,
        plan_receipt: { digest: planDigest, commit: COMMIT },
        repo: { commit: COMMIT },
        timestamps: { approved: '2026-01-01T00:00:00.000Z' },
      },
      key,
    );
  }
  /** The tier applied, stable (zero drift after the apply) and validated. */
  provenTier(env: string): void {
    const p = this.plan(env);
    this.apply(env, p);
    this.drift(env);
    this.smoke(env);
  }
}
