/**
 * End to end with the real Terraform on PATH (built-in provider only, no network): plan -> receipt ->
 * apply -json -> apply receipt -> verify, for every scenario step in scripts/fixtures/tf-scenarios.ts.
 * Each Terraform run happens once (beforeAll); the assertions share it.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CANARIES, runStep, SCENARIOS, StepOutput } from '../../scripts/fixtures/tf-scenarios';
import { keypair, kfm, PROV, tmp } from './helpers';

interface Done {
  scenario: string;
  out: StepOutput;
  planReceipt: { status: number; json: any; stderr: string; file: string };
  applyReceipt?: { status: number; json: any; stderr: string; file: string };
  driftReceipt?: { status: number; json: any; stderr: string; file: string };
  verify: { status: number; stdout: string; stderr: string }[];
  show: string[];
}

const keys = keypair();
const results: Done[] = [];

function changeSummary(stream: string, operation: string): Record<string, number> | null {
  let cs: Record<string, number> | null = null;
  for (const l of stream.split('\n')) {
    if (!l.includes('"change_summary"')) continue;
    const o = JSON.parse(l);
    if (o.changes?.operation === operation) cs = o.changes;
  }
  return cs;
}

beforeAll(() => {
  for (const sc of SCENARIOS) {
    const work = tmp(`kfm-e2e-${sc.name}-`);
    for (const step of sc.steps) {
      const o = runStep(work, step);
      const planJson = join(work, `${step.name}.show-plan.json`);
      writeFileSync(planJson, o.showPlan);
      const receiptFile = join(work, `${step.name}.plan.receipt.json`);
      const pr = kfm([
        'receipt',
        'plan',
        planJson,
        '--plan-file',
        o.planFile,
        '--env',
        'stage',
        '--key',
        keys.key,
        '--out',
        receiptFile,
        '--json',
        ...PROV,
      ]);
      const d: Done = {
        scenario: sc.name,
        out: o,
        planReceipt: {
          status: pr.status,
          json: pr.status === 0 ? JSON.parse(pr.stdout) : null,
          stderr: pr.stderr,
          file: receiptFile,
        },
        verify: [],
        show: [],
      };
      const files = [receiptFile];
      if (o.applyStream !== undefined) {
        const streamFile = join(work, `${step.name}.apply.jsonl`);
        writeFileSync(streamFile, o.applyStream);
        const af = join(work, `${step.name}.apply.receipt.json`);
        const ar = kfm([
          'receipt',
          'apply',
          streamFile,
          '--plan-receipt',
          receiptFile,
          '--plan-file',
          o.planFile,
          '--env',
          'stage',
          '--key',
          keys.key,
          '--out',
          af,
          '--json',
          ...PROV,
        ]);
        d.applyReceipt = {
          status: ar.status,
          json: ar.status === 0 ? JSON.parse(ar.stdout) : null,
          stderr: ar.stderr,
          file: af,
        };
        files.push(af);
      }
      if (step.planArgs?.includes('-refresh-only')) {
        const df = join(work, `${step.name}.drift.receipt.json`);
        const dr = kfm([
          'receipt',
          'drift',
          planJson,
          '--env',
          'stage',
          '--key',
          keys.key,
          '--out',
          df,
          '--json',
          ...PROV,
        ]);
        d.driftReceipt = {
          status: dr.status,
          json: dr.status === 0 ? JSON.parse(dr.stdout) : null,
          stderr: dr.stderr,
          file: df,
        };
        files.push(df);
      }
      for (const f of files) {
        d.verify.push(kfm(['receipt', 'verify', f, '--pub', keys.pub, '--json']));
        d.show.push(kfm(['receipt', 'show', f, '--pub', keys.pub, '--format', 'markdown']).stdout);
      }
      results.push(d);
    }
  }
}, 180000);

describe('real Terraform end to end', () => {
  it('ran every scenario step', () => {
    expect(results.map((r) => `${r.scenario}/${r.out.step}`)).toEqual(
      SCENARIOS.flatMap((s) => s.steps.map((st) => `${s.name}/${st.name}`)),
    );
  });

  it("writes a plan receipt for every plan, with Terraform's own plan counts", () => {
    for (const r of results) {
      expect(r.planReceipt.stderr).toBe('');
      expect(r.planReceipt.status).toBe(0);
      const cs = changeSummary(r.out.planStream, 'plan')!;
      const s = r.planReceipt.json.summary;
      expect({ add: s.add, change: s.change, remove: s.remove, import: s.import }).toEqual({
        add: cs.add,
        change: cs.change,
        remove: cs.remove,
        import: cs.import,
      });
    }
  });

  it('covers replace both ways, forget, move and import in the change step', () => {
    const s = results.find((r) => r.scenario === 'modules-odd-keys' && r.out.step === '2-change')!.planReceipt.json
      .summary;
    expect(s).toMatchObject({ replace: 2, forget: 1, move: 1, import: 1 });
  });

  it("writes an apply receipt chained to the plan receipt, with Terraform's own apply counts", () => {
    for (const r of results.filter((x) => x.applyReceipt)) {
      expect(r.applyReceipt!.status).toBe(0);
      expect(r.applyReceipt!.stderr).toBe('');
      const st = JSON.parse(
        Buffer.from(JSON.parse(readFileSync(r.applyReceipt!.file, 'utf8')).payload, 'base64').toString(),
      );
      expect(st.predicate.plan_receipt.digest).toBe(r.planReceipt.json.digest);
      const cs = changeSummary(r.out.applyStream!, 'apply');
      const s = r.applyReceipt!.json.summary;
      if (r.out.applyStatus === 0) {
        expect(s.status).toBe('applied');
        expect({ add: s.add, change: s.change, remove: s.remove }).toEqual({
          add: cs!.add,
          change: cs!.change,
          remove: cs!.remove,
        });
      } else if (r.out.applyStatus === 137) {
        // Killed mid-run (SIGKILL): no final summary, so never "applied".
        expect(s.status).toBe('incomplete');
      } else {
        expect(s.status).toBe('failed');
      }
    }
  });

  it('records the partial failure: completed, errored and never applied', () => {
    const r = results.find((x) => x.scenario === 'partial-failure')!;
    expect(r.out.applyStatus).toBe(1);
    expect(r.applyReceipt!.json.summary).toEqual({
      status: 'failed',
      add: 3,
      change: 0,
      remove: 0,
      errored: ['terraform_data.fails'],
      not_applied: ['terraform_data.after'],
    });
  });

  it('writes a drift receipt for the refresh-only plan', () => {
    const r = results.find((x) => x.driftReceipt)!;
    expect(r.driftReceipt!.status).toBe(0);
    expect(r.driftReceipt!.json.summary).toMatchObject({ move: 1, checks_failed: 1 });
  });

  it('verifies every receipt with the public key alone, and renders each for a reviewer', () => {
    for (const r of results) for (const v of r.verify) expect(v.status).toBe(0);
    for (const r of results)
      for (const md of r.show)
        expect(md).toMatch(
          /^### Terraform (plan|apply|drift) receipt — <code>stage<\/code>[\s\S]*- Receipt: <code>sha256:[0-9a-f]{64}<\/code>/,
        );
  });

  it('leaks no planted secret into receipts, renderings or output', () => {
    expect(results.some((r) => r.out.showPlan.includes('KFM-CANARY-SENSVAR-2'))).toBe(true);
    for (const r of results) {
      const texts = [
        r.planReceipt.stderr,
        JSON.stringify(r.planReceipt.json),
        ...r.show,
        ...r.verify.map((v) => v.stdout + v.stderr),
      ];
      for (const f of [r.planReceipt.file, r.applyReceipt?.file, r.driftReceipt?.file]) {
        if (!f) continue;
        const raw = readFileSync(f, 'utf8');
        texts.push(raw, Buffer.from(JSON.parse(raw).payload, 'base64').toString());
      }
      if (r.applyReceipt) texts.push(r.applyReceipt.stderr, JSON.stringify(r.applyReceipt.json));
      for (const t of texts) for (const c of CANARIES) expect(t).not.toContain(c);
    }
  });
});
