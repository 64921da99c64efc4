import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApplyStatement } from '../../receipts/apply/build-apply-receipt';
import { parseApplyStream } from '../../terraform/apply-stream';
import { buildDriftStatement } from '../../receipts/drift/build-drift-receipt';
import { IN_TOTO_PAYLOAD_TYPE, serializeEnvelope, signEnvelope } from '../../attest/dsse/envelope';
import { assignRoles, classifyEntries, LedgerEntry } from '../../gates/evidence';
import { sha256Tagged } from '../../core/digest';
import { buildPlanStatement, ReceiptContext } from '../../receipts/plan/build-plan-receipt';
import { parsePlanDocument } from '../../terraform/plan';
import { deriveCommitmentKey } from '../../receipts/redact/commitment';
import { readVerifiedStatement, signStatement } from '../../attest/statement';
import { evaluatePromotion, GateInput } from '../../gates/promote';
import { PREDICATE_TYPES } from '../../attest/predicate-types';
import { signPipelineStatement } from '../../attest/pipeline-statement';
import {
  generateKeyPairPem,
  parseSigningKey,
  parseTrustedKey,
  SigningKey,
  TrustedKey,
} from '../../attest/sign/ed25519';

const COMMIT = 'a'.repeat(40);
const OTHER = 'b'.repeat(40);
const PIN = `sha256:${'1'.repeat(64)}`;

function keyPair(name: string): { signing: SigningKey; trusted: TrustedKey } {
  const { privatePem, publicPem } = generateKeyPairPem();
  return { signing: parseSigningKey(privatePem, name), trusted: parseTrustedKey(publicPem, `${name}.pub`) };
}

const ci = keyPair('ci');
const reviewer = keyPair('reviewer');
const stranger = keyPair('stranger');
/** The change's author also holds an approver key: the gate must still refuse self-approval. */
const author = keyPair('author');

/**
 * Schema-valid predicates made once by the real receipt builders from a real Terraform run
 * (fixtures/receipts/generated/partial-failure); each test overrides only what it is about.
 */
const FIX = join(__dirname, '..', 'fixtures', 'receipts', 'generated', 'partial-failure');
const templates = (() => {
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

type Rec = Record<string, unknown>;

/** Sign without the writer's schema check: what a buggy or hostile signer could produce. */
function rawSign(predicateType: string, predicate: Rec, key: SigningKey): { bytes: Buffer } {
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
const POLICY = (over: Rec = {}) => ({
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
class Ledger {
  readonly entries: LedgerEntry[] = [];
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
                ...POLICY(),
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
  drift(env: string, drifted = 0, apply: string | null = this.lastApply ?? null): string {
    const t = templates.drift;
    return this.add(
      PREDICATE_TYPES.drift,
      { ...t, env, summary: { ...(t.summary as Rec), drifted, update: drifted } },
      ci.signing,
      Ledger.bound(apply),
    );
  }
  smoke(env: string, status = 'pass', apply: string | null = this.lastApply ?? null): string {
    return this.add(
      PREDICATE_TYPES.validation,
      {
        kind: 'kfm.infra.ValidationRecord',
        env,
        status,
        checks: [{ name: 'deployed', status }],
        repo: { commit: COMMIT, source: 'flag' },
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

function judge(ledger: Ledger, to: 'stage' | 'prod', commit = COMMIT, trusted: TrustedKey[] = [ci.trusted]) {
  const approvers = new Map([
    [reviewer.trusted.keyid, 'reviewer'],
    [author.trusted.keyid, 'author'],
  ]);
  const all = [...trusted, reviewer.trusted, author.trusted];
  const classified = classifyEntries(ledger.entries, all);
  const roles = assignRoles(
    classified.evidence,
    { receiptSigners: new Set(trusted.map((k) => k.keyid)), approvers },
    PREDICATE_TYPES.approval,
  );
  const input: GateInput = {
    to,
    commit,
    evidence: roles.evidence,
    rejected: [...classified.rejected, ...roles.rejected],
    pinnedBundle: () => PIN,
  };
  return evaluatePromotion(input);
}

const failing = (r: ReturnType<typeof judge>) => r.items.filter((i) => !i.ok).map((i) => i.requirement);

describe('promotion to stage', () => {
  it('is allowed when dev is applied, drift-free, validated and the stage plan passes policy with the pinned bundle', () => {
    const l = new Ledger();
    l.provenTier('dev');
    l.plan('stage');
    const r = judge(l, 'stage');
    expect(failing(r)).toEqual([]);
    expect(r.allowed).toBe(true);
  });

  it('is blocked on an empty ledger, naming every missing piece', () => {
    const r = judge(new Ledger(), 'stage');
    expect(r.allowed).toBe(false);
    expect(failing(r)).toEqual([
      'dev apply receipt',
      'dev drift report',
      'dev validation record',
      'stage plan receipt',
    ]);
  });

  it('is blocked when the evidence is for another commit', () => {
    const l = new Ledger();
    l.provenTier('dev');
    l.plan('stage');
    const r = judge(l, 'stage', OTHER);
    expect(r.allowed).toBe(false);
    expect(r.items.find((i) => i.requirement === 'dev apply receipt')!.detail).toContain(OTHER);
  });

  it('is blocked when the dev apply failed', () => {
    const l = new Ledger();
    const p = l.plan('dev');
    l.apply('dev', p, 'failed');
    l.drift('dev');
    l.smoke('dev');
    l.plan('stage');
    expect(failing(judge(l, 'stage'))).toEqual(['dev apply receipt']);
  });

  it('is blocked when the apply names a plan receipt that is not in the ledger', () => {
    const l = new Ledger();
    l.plan('dev');
    l.apply('dev', `sha256:${'9'.repeat(64)}`);
    l.drift('dev');
    l.smoke('dev');
    l.plan('stage');
    const r = judge(l, 'stage');
    // Not an attempt of the newest dev plan receipt, so nothing after it counts either.
    expect(failing(r)).toEqual(['dev apply receipt', 'dev drift report', 'dev validation record']);
    expect(r.items[0]!.detail).toMatch(/is of another plan receipt than the newest dev plan receipt/);
  });

  it('is blocked when dev applied a plan that failed policy (an apply made outside apply.sh)', () => {
    const l = new Ledger();
    const p = l.plan('dev', { policy: { verdict: 'fail' } });
    l.apply('dev', p);
    l.drift('dev');
    l.smoke('dev');
    l.plan('stage');
    const r = judge(l, 'stage');
    expect(failing(r)).toEqual(['dev apply receipt']);
    expect(r.items.find((i) => !i.ok)!.detail).toMatch(
      /applied a plan that may not be applied: .*policy verdict "fail"/,
    );
  });

  it('is blocked when dev applied an errored plan', () => {
    const l = new Ledger();
    const p = l.plan('dev', { summary: { errored: true } });
    l.apply('dev', p);
    l.drift('dev');
    l.smoke('dev');
    l.plan('stage');
    expect(failing(judge(l, 'stage'))).toEqual(['dev apply receipt']);
  });

  it('is blocked when dev drifted after the apply', () => {
    const l = new Ledger();
    const p = l.plan('dev');
    l.apply('dev', p);
    l.drift('dev', 2);
    l.smoke('dev');
    l.plan('stage');
    const r = judge(l, 'stage');
    expect(failing(r)).toEqual(['dev drift report']);
    expect(r.items.find((i) => i.requirement === 'dev drift report')!.detail).toMatch(/drifted: 2/);
  });

  it('is blocked by a zero-drift report from an errored refresh (it could not read the resources)', () => {
    const l = new Ledger();
    const p = l.plan('dev');
    l.apply('dev', p);
    const t = templates.drift;
    l.add(
      PREDICATE_TYPES.drift,
      {
        ...t,
        env: 'dev',
        terraform: { ...(t.terraform as Rec), errored: true },
        summary: { ...(t.summary as Rec), drifted: 0 },
      },
      ci.signing,
      Ledger.bound(l.lastApply),
    );
    l.smoke('dev');
    l.plan('stage');
    const r = judge(l, 'stage');
    expect(failing(r)).toEqual(['dev drift report']);
    expect(r.items.find((i) => i.requirement === 'dev drift report')!.detail).toMatch(/errored/);
  });

  it('ignores a drift report older than the apply (dev must be stable after it)', () => {
    const l = new Ledger();
    const p = l.plan('dev');
    l.drift('dev');
    l.apply('dev', p);
    l.smoke('dev');
    l.plan('stage');
    expect(failing(judge(l, 'stage'))).toEqual(['dev drift report']);
  });

  it('is blocked when dev smoke failed', () => {
    const l = new Ledger();
    const p = l.plan('dev');
    l.apply('dev', p);
    l.drift('dev');
    l.smoke('dev', 'fail');
    l.plan('stage');
    expect(failing(judge(l, 'stage'))).toEqual(['dev validation record']);
  });

  it('is blocked by an errored stage plan', () => {
    const l = new Ledger();
    l.provenTier('dev');
    l.plan('stage', { summary: { errored: true } });
    const r = judge(l, 'stage');
    expect(failing(r)).toEqual(['stage plan receipt']);
    expect(r.items.find((i) => !i.ok)!.detail).toMatch(/errored/);
  });

  it('is blocked by a stage plan that failed policy', () => {
    const l = new Ledger();
    l.provenTier('dev');
    l.plan('stage', { policy: POLICY({ verdict: 'fail' }) });
    expect(judge(l, 'stage').items.find((i) => !i.ok)!.detail).toMatch(/policy verdict "fail"/);
  });

  it('is blocked by a stage plan without a policy decision', () => {
    const l = new Ledger();
    l.provenTier('dev');
    l.plan('stage', { policy: null });
    expect(judge(l, 'stage').items.find((i) => !i.ok)!.detail).toMatch(/no policy decision/);
  });

  it('is blocked when the plan was judged by a policy bundle other than the pinned one', () => {
    const l = new Ledger();
    l.provenTier('dev');
    l.plan('stage', { policy: POLICY({ bundle_digest: `sha256:${'2'.repeat(64)}` }) });
    const d = judge(l, 'stage').items.find((i) => !i.ok)!.detail;
    expect(d).toContain('pins');
    expect(d).toContain(PIN);
  });

  it('is blocked by a stage plan receipt carrying the policy decision made for dev', () => {
    const l = new Ledger();
    l.provenTier('dev');
    l.plan('stage', { policy: { input: { kind: 'plan', digest: `sha256:${'f'.repeat(64)}`, env: 'dev' } } });
    expect(judge(l, 'stage').items.find((i) => !i.ok)!.detail).toMatch(/policy decision made for env "dev", not stage/);
  });

  it('is blocked by a plan receipt carrying the policy decision about another plan', () => {
    const l = new Ledger();
    l.provenTier('dev');
    l.plan('stage', { policy: { input: { kind: 'plan', digest: `sha256:${'9'.repeat(64)}`, env: 'stage' } } });
    expect(judge(l, 'stage').items.find((i) => !i.ok)!.detail).toMatch(/policy decision about another plan JSON/);
  });

  it('takes the latest stage plan: a newer errored plan blocks an older good one', () => {
    const l = new Ledger();
    l.provenTier('dev');
    l.plan('stage');
    l.plan('stage', { summary: { errored: true } });
    expect(failing(judge(l, 'stage'))).toEqual(['stage plan receipt']);
  });

  it('does not accept evidence signed by an untrusted key, and says it ignored it', () => {
    const l = new Ledger();
    const p = l.plan('dev', {}, stranger.signing);
    l.apply('dev', p, 'applied', stranger.signing);
    l.drift('dev');
    l.smoke('dev');
    l.plan('stage');
    const r = judge(l, 'stage');
    expect(r.allowed).toBe(false);
    expect(r.items.find((i) => i.requirement === 'dev apply receipt')!.detail).toMatch(
      /ignored entry 2 \(signed by no trusted key\)/,
    );
  });

  it('does not accept a trusted receipt whose predicate breaks its schema', () => {
    const l = new Ledger();
    l.provenTier('dev');
    const t = templates.plan;
    // Signed by the trusted key, but not a plan receipt as the schema defines one.
    const bad = {
      ...t,
      env: 'stage',
      policy: { ...POLICY(), input: { kind: 'plan', digest: PIN, env: 'stage' } },
      summary: { errored: false },
    };
    const { bytes } = rawSign(PREDICATE_TYPES.plan, bad, ci.signing);
    l.entries.push({ seq: l.entries.length + 1, envelopeBytes: bytes });
    const r = judge(l, 'stage');
    expect(failing(r)).toEqual(['stage plan receipt']);
    expect(r.items.find((i) => !i.ok)!.detail).toMatch(/ignored entry 5 \(predicate does not match its schema/);
  });

  it('does not accept a tampered entry (payload changed after signing)', () => {
    const l = new Ledger();
    l.provenTier('dev');
    l.plan('stage', { policy: POLICY({ verdict: 'fail' }) });
    const last = l.entries[l.entries.length - 1];
    const env = JSON.parse(last.envelopeBytes.toString());
    const st = JSON.parse(Buffer.from(env.payload, 'base64').toString());
    st.predicate.policy.verdict = 'pass';
    env.payload = Buffer.from(JSON.stringify(st)).toString('base64');
    l.entries[l.entries.length - 1] = { seq: last.seq, envelopeBytes: Buffer.from(JSON.stringify(env)) };
    expect(failing(judge(l, 'stage'))).toEqual(['stage plan receipt']);
  });
});

describe('promotion to prod', () => {
  function stagedLedger(): { l: Ledger; prodPlan: string } {
    const l = new Ledger();
    l.provenTier('dev');
    l.provenTier('stage');
    const prodPlan = l.plan('prod');
    return { l, prodPlan };
  }

  it('is allowed with dev and stage proven, an independent approval with a change record and a passing prod plan', () => {
    const { l, prodPlan } = stagedLedger();
    l.approve(prodPlan);
    const r = judge(l, 'prod');
    expect(failing(r)).toEqual([]);
    expect(r.allowed).toBe(true);
    expect(r.items.find((i) => i.requirement === 'change record')!.detail).toBe('change record CR-42');
  });

  it('is blocked without stage evidence even when dev is proven (no step skipped)', () => {
    const l = new Ledger();
    l.provenTier('dev');
    const prodPlan = l.plan('prod');
    l.approve(prodPlan);
    expect(failing(judge(l, 'prod'))).toEqual(['stage apply receipt', 'stage drift report', 'stage validation record']);
  });

  it('refuses self-approval by the change author', () => {
    const { l, prodPlan } = stagedLedger();
    l.approve(prodPlan, 'author', author.signing);
    const r = judge(l, 'prod');
    expect(failing(r)).toEqual(['prod approval', 'change record']);
    expect(r.items.find((i) => i.requirement === 'prod approval')!.detail).toMatch(/self-approval refused.*author/);
  });

  it('refuses an approval signed with the CI key that signs receipts (not an approver key)', () => {
    const { l, prodPlan } = stagedLedger();
    l.approve(prodPlan, 'someone-else', ci.signing);
    expect(judge(l, 'prod').items.find((i) => i.requirement === 'prod approval')!.detail).toMatch(
      /ignored entry \d+ \(approval signed by a CI \(--pub\) key, which signs receipts, never approvals\)/,
    );
  });

  it("refuses an approval made under another approver's name", () => {
    const { l, prodPlan } = stagedLedger();
    l.approve(prodPlan, 'reviewer', author.signing);
    expect(judge(l, 'prod').items.find((i) => i.requirement === 'prod approval')!.detail).toMatch(
      /approval names principal "reviewer" but is signed by author's key/,
    );
  });

  it('refuses receipts signed by an approver key (approvers cannot forge an apply)', () => {
    const l = new Ledger();
    const p = l.plan('dev');
    l.apply('dev', p, 'applied', reviewer.signing);
    l.drift('dev');
    l.smoke('dev');
    l.plan('stage');
    expect(judge(l, 'stage').items.find((i) => i.requirement === 'dev apply receipt')!.detail).toMatch(
      /signed by an approver key, which only signs approvals/,
    );
  });

  it('refuses an approval of a different plan receipt', () => {
    const { l } = stagedLedger();
    const other = l.plan('prod', { summary: { add: 9 } });
    l.approve(`sha256:${'7'.repeat(64)}`);
    expect(other).toMatch(/^sha256:/);
    expect(failing(judge(l, 'prod'))).toEqual(['prod approval', 'change record']);
  });

  it('requires a change record on the approval', () => {
    const { l, prodPlan } = stagedLedger();
    l.approve(prodPlan, 'reviewer', reviewer.signing, null);
    expect(failing(judge(l, 'prod'))).toEqual(['change record']);
  });

  it('refuses an approval signed by an untrusted key', () => {
    const { l, prodPlan } = stagedLedger();
    l.approve(prodPlan, 'reviewer', stranger.signing);
    expect(failing(judge(l, 'prod'))).toEqual(['prod approval', 'change record']);
  });
});

/**
 * What someone with append access but no key can do: re-append old, validly signed records.
 * Each test here passes the old gate and must be refused now.
 */
describe('replayed and stale evidence', () => {
  it('a re-appended old zero-drift report does not hide a newer drifted one', () => {
    const l = new Ledger();
    const p = l.plan('dev');
    l.apply('dev', p);
    l.drift('dev', 0);
    const zero = l.entries.length;
    l.smoke('dev');
    l.drift('dev', 2);
    l.replay(zero);
    l.plan('stage');
    const r = judge(l, 'stage');
    expect(failing(r)).toEqual(['dev drift report']);
    expect(r.items.find((i) => i.requirement === 'dev drift report')!.detail).toMatch(/drifted: 2 resource change/);
  });

  it('a re-wrapped copy of an old record (other envelope bytes, same signed statement) is a replay too', () => {
    const l = new Ledger();
    const p = l.plan('dev');
    l.apply('dev', p);
    l.drift('dev', 0);
    const zero = l.entries.length;
    l.smoke('dev');
    l.drift('dev', 1);
    const env = JSON.parse(l.entries[zero - 1]!.envelopeBytes.toString());
    const rewrapped = Buffer.from(
      JSON.stringify({ signatures: env.signatures, payload: env.payload, payloadType: env.payloadType }, null, 1),
    );
    l.entries.push({ seq: l.entries.length + 1, envelopeBytes: rewrapped });
    l.plan('stage');
    const r = judge(l, 'stage');
    expect(failing(r)).toEqual(['dev drift report']);
  });

  it('re-appended old stage apply, drift and smoke records do not unblock prod after a failed stage apply', () => {
    const l = new Ledger();
    l.provenTier('dev');
    const stagePlan = l.plan('stage');
    l.apply('stage', stagePlan);
    const [a, d, s] = [l.entries.length, l.entries.length + 1, l.entries.length + 2];
    l.drift('stage');
    l.smoke('stage');
    l.apply('stage', stagePlan, 'failed');
    l.replay(a);
    l.replay(d);
    l.replay(s);
    l.approve(l.plan('prod'));
    const r = judge(l, 'prod');
    expect(r.allowed).toBe(false);
    const apply = r.items.find((i) => i.requirement === 'stage apply receipt')!;
    expect(apply.ok).toBe(false);
    expect(apply.detail).toMatch(
      /newest stage apply attempt \(entry \d+\) has status "failed".*older successful attempt does not count/,
    );
    expect(apply.detail).not.toMatch(/replay/);
  });

  it('an older successful apply does not count once a newer attempt of the same plan failed or was cut', () => {
    for (const status of ['failed', 'incomplete']) {
      const l = new Ledger();
      const p = l.plan('dev');
      l.apply('dev', p);
      l.drift('dev');
      l.smoke('dev');
      l.apply('dev', p, status);
      l.plan('stage');
      expect(failing(judge(l, 'stage'))).toEqual(['dev apply receipt', 'dev drift report', 'dev validation record']);
    }
  });

  it('blocks on an interrupted (incomplete) apply', () => {
    const l = new Ledger();
    const p = l.plan('dev');
    l.apply('dev', p, 'incomplete');
    l.drift('dev');
    l.smoke('dev');
    l.plan('stage');
    const r = judge(l, 'stage');
    expect(failing(r)).toEqual(['dev apply receipt']);
    expect(r.items[0]!.detail).toMatch(/status "incomplete", expected "applied"/);
  });

  it('counts drift and smoke records only when bound to the newest apply', () => {
    const l = new Ledger();
    const p = l.plan('dev');
    const first = l.apply('dev', p);
    l.apply('dev', p);
    l.drift('dev', 0, first);
    l.smoke('dev', 'pass', null);
    l.plan('stage');
    const r = judge(l, 'stage');
    expect(failing(r)).toEqual(['dev drift report', 'dev validation record']);
    expect(r.items.find((i) => i.requirement === 'dev drift report')!.detail).toMatch(
      /ignored entry 4 \(not bound to apply entry 3/,
    );
  });

  it('refuses an apply receipt written before completion was recorded (legacy "applied")', () => {
    const l = new Ledger();
    const p = l.plan('dev');
    const t = templates.apply;
    const { completion: _, ...legacy } = t;
    l.lastApply = l.add(PREDICATE_TYPES.apply, {
      ...legacy,
      env: 'dev',
      summary: { ...(t.summary as Rec), status: 'applied', errored: [], not_applied: [] },
      plan_receipt: { ...(t.plan_receipt as Rec), digest: p, env: 'dev' },
    });
    l.drift('dev');
    l.smoke('dev');
    l.plan('stage');
    const r = judge(l, 'stage');
    expect(failing(r)).toEqual(['dev apply receipt']);
    expect(r.items[0]!.detail).toMatch(/records no completion/);
  });
});

describe('separation of duties', () => {
  function prodLedger(author: string | null) {
    const l = new Ledger();
    l.provenTier('dev');
    l.provenTier('stage');
    // The CI actor is someone else: only the recorded author can tell who wrote the change.
    const actor = { principal: 'ci-runner', method: 'ci', source: 'flag' };
    return {
      l,
      prodPlan: l.plan('prod', { actor, author: { principal: author, source: author ? 'flag' : 'unknown' } }),
    };
  }
  const approval = (l: Ledger) => judge(l, 'prod').items.find((i) => i.requirement === 'prod approval')!;

  it('refuses prod approval when the plan receipt records no author', () => {
    const { l, prodPlan } = prodLedger(null);
    l.approve(prodPlan);
    expect(approval(l).ok).toBe(false);
    expect(approval(l).detail).toMatch(/records no change author/);
  });

  it('compares principals case-insensitively (Author and author are one person)', () => {
    const { l, prodPlan } = prodLedger('Author');
    l.approve(prodPlan, 'author', author.signing);
    expect(approval(l).ok).toBe(false);
    expect(approval(l).detail).toMatch(/self-approval refused.*is the change's author/);
  });

  it('refuses a [bot] principal', () => {
    const bot = keyPair('bot');
    const l = new Ledger();
    l.provenTier('dev');
    l.provenTier('stage');
    const prodPlan = l.plan('prod');
    l.approve(prodPlan, 'deployer[bot]', bot.signing);
    const approvers = new Map([[bot.trusted.keyid, 'deployer[bot]']]);
    const all = [ci.trusted, bot.trusted];
    const c = classifyEntries(l.entries, all);
    const roles = assignRoles(
      c.evidence,
      { receiptSigners: new Set([ci.trusted.keyid]), approvers },
      PREDICATE_TYPES.approval,
    );
    const r = evaluatePromotion({
      to: 'prod',
      commit: COMMIT,
      evidence: roles.evidence,
      rejected: [...c.rejected, ...roles.rejected],
      pinnedBundle: () => PIN,
    });
    const item = r.items.find((i) => i.requirement === 'prod approval')!;
    expect(item.ok).toBe(false);
    expect(item.detail).toMatch(/is a bot account/);
  });

  it('refuses an approval by the CI key even when it is also listed as an approver', () => {
    const { l, prodPlan } = prodLedger('author');
    l.approve(prodPlan, 'ci', ci.signing);
    const approvers = new Map([[ci.trusted.keyid, 'ci']]);
    const c = classifyEntries(l.entries, [ci.trusted]);
    const roles = assignRoles(
      c.evidence,
      { receiptSigners: new Set([ci.trusted.keyid]), approvers },
      PREDICATE_TYPES.approval,
    );
    expect(roles.rejected.map((x) => x.reason)).toEqual([
      'approval signed by a CI (--pub) key, which signs receipts, never approvals',
    ]);
  });
});
