/**
 * A rollback apply never counts as the tier applied: `kfm receipt plan --rollback` (implied by the
 * ENV.rollback.plan.json name scripts/plan.sh --rollback writes) records purpose "rollback", and
 * the promotion gate refuses an apply of such a plan as proof of the tier. Real Terraform offline,
 * the real CLI and scripts.
 */
import { copyFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createFlow, Flow, ok } from './flow';

const COMMIT = 'b'.repeat(40);
let flow: Flow;

beforeAll(() => {
  flow = createFlow('kfm-rollback-promotion-', COMMIT);
  ok(flow.kfm('keygen', '--out-dir', join(flow.dir, 'keys')));
  flow.stack('dev', { app: { input: 'v1' } });
}, 120_000);

/** The `dev apply receipt` item of a promotion into stage. */
function devApplyItem(): { ok: boolean; detail: string } {
  const store = flow.env.KFM_AUDIT_STORE!;
  const r = flow.kfm(
    'gate',
    'promote',
    '--to',
    'stage',
    '--store',
    store,
    '--pub',
    flow.env.KFM_PUB!,
    '--commit',
    COMMIT,
    '--json',
  );
  return JSON.parse(r.stdout).items.find((i: { requirement: string }) => i.requirement === 'dev apply receipt');
}

/** The predicate of a signed receipt file (DSSE payload). */
const predicateOf = (file: string) =>
  JSON.parse(Buffer.from(JSON.parse(readFileSync(file, 'utf8')).payload, 'base64').toString('utf8')).predicate;

/** Receipt and append the rollback plan as rollback.md says (the file name marks it). */
function recordRollbackPlan(): string {
  const plans = join(flow.dir, 'plans');
  const policy = flow.kfm('policy', 'check', '--plan', join(plans, 'dev.rollback.plan.json'), '--env', 'dev', '--json');
  writeFileSync(join(plans, 'dev.rollback.policy.json'), policy.stdout);
  const out = join(flow.dir, 'receipts', `dev.rollback.plan.receipt.json`);
  ok(
    flow.kfm(
      'receipt',
      'plan',
      join(plans, 'dev.rollback.plan.json'),
      '--env',
      'dev',
      '--key',
      flow.env.KFM_KEY!,
      '--out',
      out,
      '--plan-file',
      join(plans, 'dev.rollback.tfplan'),
      '--policy',
      join(plans, 'dev.rollback.policy.json'),
      '--commit',
      COMMIT,
      '--method',
      'manual',
    ),
  );
  ok(flow.kfm('audit', 'append', '--init', out, '--store', flow.env.KFM_AUDIT_STORE!));
  return out;
}

describe('a rollback apply and promotion', () => {
  it('counts a normal dev apply as dev applied, and its receipt has no purpose field', () => {
    const receipt = flow.planAndRecord('dev');
    expect('purpose' in predicateOf(receipt)).toBe(false);
    ok(flow.script('apply', 'dev'));
    expect(devApplyItem()).toMatchObject({ ok: true });
  }, 300_000);

  it('marks the rollback plan receipt and refuses its apply as dev applied', () => {
    ok(flow.script('plan', 'dev', '--rollback', '--no-synth'));
    const receipt = recordRollbackPlan();
    expect(predicateOf(receipt).purpose).toBe('rollback');
    ok(flow.script('apply', 'dev', '--rollback'));
    const item = devApplyItem();
    expect(item.ok).toBe(false);
    expect(item.detail).toMatch(/applied a rollback plan .*a rolled-back tier is not applied/);
  }, 300_000);

  it('marks a rollback plan receipt named otherwise when --rollback is given', () => {
    const plans = join(flow.dir, 'plans');
    const out = join(flow.dir, 'receipts', 'renamed.json');
    copyFileSync(join(plans, 'dev.rollback.plan.json'), join(plans, 'renamed.json'));
    ok(
      flow.kfm(
        'receipt',
        'plan',
        join(plans, 'renamed.json'),
        '--env',
        'dev',
        '--key',
        flow.env.KFM_KEY!,
        '--out',
        out,
        '--commit',
        COMMIT,
        '--rollback',
      ),
    );
    expect(predicateOf(out).purpose).toBe('rollback');
  });
});
