/**
 * Apply status from real Terraform streams: `applied` only with Terraform's final apply summary and
 * every planned change applied; `incomplete` when the stream is cut or changes were left unapplied;
 * `failed` on errors. The cut stream is a real `terraform apply -json` killed with SIGKILL right after
 * `apply_start` of a slow resource (fixtures/receipts/generated/interrupted-apply).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApplyStatement } from '../../receipts/apply/build-apply-receipt';
import { parseApplyStream } from '../../terraform/apply-stream';
import { buildPlanStatement, ReceiptContext } from '../../receipts/plan/build-plan-receipt';
import { parsePlanDocument } from '../../terraform/plan';
import { deriveCommitmentKey } from '../../receipts/redact/commitment';
import { readVerifiedStatement, signStatement } from '../../attest/statement';
import { generateKeyPairPem, parseSigningKey, parseTrustedKey } from '../../attest/sign/ed25519';
import { sha256Tagged } from '../../core/digest';
import { validatePredicate } from '../../attest/validate';
import { PREDICATE_TYPES } from '../../attest/predicate-types';

const GEN = join(__dirname, '..', 'fixtures', 'receipts', 'generated');
const { privatePem, publicPem } = generateKeyPairPem();
const signing = parseSigningKey(privatePem, 'ci');
const trusted = parseTrustedKey(publicPem, 'ci.pub');
const ctx = {
  env: 'dev',
  repo: { commit: 'a'.repeat(40), branch: 'main', source: 'flag', branch_source: 'flag' },
  actor: { principal: 'author', method: 'ci', source: 'flag' },
  commitmentKey: deriveCommitmentKey(signing.privateKey),
} as unknown as ReceiptContext;

interface Receipt {
  summary: { status: string; not_applied: string[]; errored: string[]; add: number };
  completion: { final_summary: boolean; in_progress: string[] };
  changes: { address: string; status: string }[];
}

function applyReceipt(scenario: string, stream: string | Buffer): Receipt {
  const planText = readFileSync(join(GEN, scenario, '1-create.show-plan.json'));
  const plan = parsePlanDocument(planText, 'plan.json');
  const inputs = { planJsonName: 'plan.json', planJsonDigest: sha256Tagged(planText) };
  const signed = signStatement(buildPlanStatement(plan, 'plan.json', inputs, ctx, null), signing);
  const verified = readVerifiedStatement(signed.bytes, 'plan-receipt', [trusted]);
  const st = buildApplyStatement(
    parseApplyStream(stream, 'apply.jsonl'),
    verified,
    'plan-receipt',
    { streamName: 'apply.jsonl', streamDigest: sha256Tagged(stream), planReceiptName: 'plan-receipt' },
    ctx,
  );
  validatePredicate(PREDICATE_TYPES.apply, st.predicate, 'apply receipt');
  return st.predicate as unknown as Receipt;
}

const stream = (scenario: string) => readFileSync(join(GEN, scenario, '1-create.apply.jsonl'), 'utf8');

describe('apply status', () => {
  it('is incomplete for a real apply killed mid-run, listing what was left unapplied', () => {
    expect(readFileSync(join(GEN, 'interrupted-apply', 'RC.txt'), 'utf8')).toMatch(/apply 137/);
    const r = applyReceipt('interrupted-apply', stream('interrupted-apply'));
    expect(r.summary.status).toBe('incomplete');
    expect(r.completion).toEqual({ final_summary: false, in_progress: ['terraform_data.slow'] });
    expect(r.summary.not_applied).toEqual(['terraform_data.after', 'terraform_data.slow']);
    expect(r.summary.errored).toEqual([]);
    expect(r.summary.add).toBe(1);
    expect(r.changes.find((c) => c.address === 'terraform_data.slow')!.status).toBe('in_progress');
  });

  it('is incomplete when the final summary is there but a planned change never ran', () => {
    // Derived from a real whole stream by dropping one resource's hooks (what a stream that
    // lost lines would look like); Terraform itself never writes this.
    const whole = stream('modules-odd-keys').split('\n');
    const starts = whole.map((l) => /"hook":\{"resource":\{"addr":"([a-z_.\[\]0-9]+)"/.exec(l)).filter((m) => m);
    const victim = starts[0]![1];
    const cut = whole.filter((l) => !(l.includes(`"addr":"${victim}"`) && l.includes('"hook"'))).join('\n');
    const r = applyReceipt('modules-odd-keys', cut);
    expect(r.completion.final_summary).toBe(true);
    expect(r.summary.not_applied).toEqual([victim]);
    expect(r.summary.status).toBe('incomplete');
  });

  it('is applied for a whole real stream with the final summary', () => {
    const r = applyReceipt('modules-odd-keys', stream('modules-odd-keys'));
    expect(r.summary.status).toBe('applied');
    expect(r.completion).toEqual({ final_summary: true, in_progress: [] });
  });

  it('is failed when Terraform reported an error, even though the stream is cut short too', () => {
    const r = applyReceipt('partial-failure', stream('partial-failure'));
    expect(r.summary.status).toBe('failed');
    expect(r.completion.final_summary).toBe(false);
  });
});
