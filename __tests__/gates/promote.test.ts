import { assignRoles, classifyEntries } from '../../gates/evidence';
import { serializeEnvelope, signEnvelope } from '../../attest/dsse/envelope';
import { evaluatePromotion, GateInput } from '../../gates/promote';
import { PREDICATE_TYPES } from '../../attest/predicate-types';
import { TrustedKey } from '../../attest/sign/ed25519';
import {
  author,
  ci,
  COMMIT,
  keyPair,
  Ledger,
  OTHER,
  PIN,
  POLICY,
  rawSign,
  Rec,
  reviewer,
  stranger,
  templates,
} from './support/evidence';
function judge(ledger: Ledger, to: 'stage' | 'prod', commit = COMMIT, trusted: TrustedKey[] = [ci.trusted]) {
  const approvers = new Map([
    [reviewer.trusted.keyid, 'reviewer'],
    [author.trusted.keyid, 'author'],
  ]);
  const all = [...trusted, reviewer.trusted, author.trusted];
  const roles = { receiptSigners: new Set(trusted.map((k) => k.keyid)), approvers };
  const classified = classifyEntries(ledger.entries, all, { roles, approvalType: PREDICATE_TYPES.approval });
  const input: GateInput = {
    to,
    commit,
    evidence: classified.evidence,
    rejected: classified.rejected,
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

describe('evidence by role first (replays are judged among records signed in their role)', () => {
  /** The payload of entry `seq` signed again by `key` (what an approver with append rights can make). */
  function resignedPayload(l: Ledger, seq: number, key = reviewer.signing): Buffer {
    const env = JSON.parse(l.entries[seq - 1]!.envelopeBytes.toString('utf8')) as {
      payload: string;
      payloadType: string;
    };
    return Buffer.from(serializeEnvelope(signEnvelope(env.payloadType, Buffer.from(env.payload, 'base64'), key)));
  }

  it('a failing stage smoke re-signed by an approver and appended first neither counts nor suppresses the real one', () => {
    const l = new Ledger();
    l.provenTier('dev');
    const p = l.plan('stage');
    l.apply('stage', p);
    l.drift('stage');
    l.smoke('stage', 'pass');
    // A later smoke run fails. The real CI record is written; the approver copies its payload, re-signs it and
    // gets their copy in first (reordering is what an appender racing CI can do).
    l.smoke('stage', 'fail');
    const real = l.entries.pop()!;
    l.entries.push({ seq: real.seq, envelopeBytes: resignedPayload({ entries: [real] } as unknown as Ledger, 1) });
    l.entries.push({ seq: real.seq + 1, envelopeBytes: real.envelopeBytes });
    const prodPlan = l.plan('prod');
    l.approve(prodPlan);
    const r = judge(l, 'prod');
    expect(r.allowed).toBe(false);
    const smoke = r.items.find((i) => i.requirement === 'stage validation record')!;
    expect(smoke).toMatchObject({ ok: false, seq: real.seq + 1 });
    expect(smoke.detail).toMatch(/has status "fail"/);
  });
});
