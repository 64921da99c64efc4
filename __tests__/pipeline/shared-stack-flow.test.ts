/**
 * The shared stacks (`audit`, `bootstrap`) change through the same governed path as the tiers:
 * plan.sh → policy → signed plan receipt → ledger → independent approval → apply.sh, here with
 * real Terraform offline on a terraform_data stack named `audit`, the real CLI and scripts.
 */
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { createFlow, Flow, ok } from './flow';

let flow: Flow;
let planReceipt: string;

beforeAll(() => {
  flow = createFlow('kfm-shared-stack-', 'a'.repeat(40));
  ok(flow.kfm('keygen', '--out-dir', join(flow.dir, 'keys')));
  ok(flow.kfm('keygen', '--out-dir', join(flow.dir, 'reviewer')));
  mkdirSync(join(flow.dir, 'approvers'));
  copyFileSync(join(flow.dir, 'reviewer', 'kfm-signing.pub'), join(flow.dir, 'approvers', 'reviewer.pub'));
  flow.stack('audit', { ledger_bucket: { input: 'v1' } });
  planReceipt = flow.planAndRecord('audit', (status) => expect(status).toBe(0));
}, 300_000);

const applyAudit = () => flow.script('apply', 'audit');
/** The reviewer's key signs an approval of the audit plan receipt naming `principal`; it is appended. */
function approveAndAppend(principal: string, changeRecord: string): void {
  const out = join(flow.dir, 'receipts', `${principal}.approval.json`);
  const key = join(flow.dir, 'reviewer', 'kfm-signing.key');
  const args = ['--env', 'audit', '--plan-receipt', planReceipt, '--principal', principal, '--key', key];
  ok(flow.kfm('approve', ...args, '--change-record', changeRecord, '--pub', flow.env.KFM_PUB!, '--out', out));
  ok(flow.kfm('audit', 'append', '--init', out, '--store', flow.env.KFM_AUDIT_STORE!));
}

const applies = () => readdirSync(join(flow.dir, 'receipts')).filter((f) => f.startsWith('audit.apply.'));

describe('audit through the governed path', () => {
  it('refuses to apply the receipted audit plan before an independent approval', () => {
    const r = applyAudit();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/audit approval.*no trusted approval of the audit plan receipt/);
    expect(applies()).toEqual([]);
  }, 300_000);

  it('ignores an approval naming a principal other than its key’s login', () => {
    approveAndAppend('author', 'CR-1');
    const r = applyAudit();
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/approval names principal "author" but is signed by reviewer's key/);
  }, 300_000);

  it('applies the approved audit plan and records the apply in the ledger', () => {
    approveAndAppend('reviewer', 'CR-2');
    ok(applyAudit());
    expect(applies()).toHaveLength(1);
    const evidence = flow.kfm(
      'gate',
      'evidence',
      '--kind',
      'apply',
      '--env',
      'audit',
      '--store',
      flow.env.KFM_AUDIT_STORE!,
      '--pub',
      flow.env.KFM_PUB!,
      '--pub',
      join(flow.dir, 'approvers', 'reviewer.pub'),
      '--out',
      join(flow.dir, 'newest-audit-apply.json'),
    );
    expect(evidence.status).toBe(0);
  }, 300_000);

  it('keeps audit out of the promotion order and refuses its rollback', () => {
    const promote = flow.kfm(
      'gate',
      'promote',
      '--to',
      'audit',
      '--store',
      flow.env.KFM_AUDIT_STORE!,
      '--pub',
      flow.env.KFM_PUB!,
      '--commit',
      'a'.repeat(40),
    );
    expect(promote.status).toBe(2);
    expect(promote.stderr).toMatch(/outside the promotion order; its apply is judged by kfm gate apply --env audit/);
    const rollback = flow.script('apply', 'audit', '--rollback');
    expect(rollback.status).toBe(2);
    expect(rollback.stderr).toMatch(/audit has no rollback/);
  }, 300_000);

  it('lets drift and smoke refuse a shared stack, which is not a tier', () => {
    const r = flow.script('smoke', 'bootstrap');
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/ENV must be one of dev, stage, prod \(got 'bootstrap': a shared stack, not a tier\)/);
  });
});
