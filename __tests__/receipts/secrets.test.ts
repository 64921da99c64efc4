/**
 * Secrets never leave the plan. Canaries are planted in every place Terraform's JSON carries values
 * (FORMATS.md §1.5): variables, provider configuration constants, prior_state, planned_values,
 * before/after under sensitive marks, unmarked copies, sensitive outputs, import ids, generated
 * config, UI-stream outputs and diagnostics, provisioner output, and malformed input. Every byte of
 * every receipt (file and decoded payload), rendering, stdout and stderr is searched.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GEN, keypair, kfm, PROV, Run, TF, tmp } from './helpers';

const CANARY = /KFM-CANARY|s3cr3t|my-secret|ephemeral-value/i;
const keys = keypair();
const dir = tmp('kfm-secrets-');
const seen: { what: string; text: string }[] = [];
let n = 0;

function run(what: string, args: string[]): Run {
  const r = kfm(args);
  seen.push({ what: `${what} stdout`, text: r.stdout }, { what: `${what} stderr`, text: r.stderr });
  return r;
}
const write = (name: string, content: string): string => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const out = (): string => join(dir, `receipt-${++n}.json`);

/** A real Terraform plan (generated, already holding canaries) with one more canary in every other place. */
function plantedPlan(): any {
  const plan = JSON.parse(readFileSync(join(GEN, 'modules-odd-keys', '2-change.show-plan.json'), 'utf8'));
  plan.variables.extra = { value: 'KFM-CANARY-VARIABLES' };
  plan.configuration.provider_config = {
    aws: {
      name: 'aws',
      full_name: 'registry.terraform.io/hashicorp/aws',
      version_constraint: '5.100.0',
      expressions: { secret_key: { constant_value: 'KFM-CANARY-PROVIDERCFG' } },
    },
  };
  plan.configuration.root_module.variables = {
    ...plan.configuration.root_module.variables,
    extra: { default: 'KFM-CANARY-VARDEFAULT', sensitive: true },
  };
  plan.prior_state.values.root_module.resources[0].values.planted = 'KFM-CANARY-PRIORSTATE';
  plan.planned_values.root_module.resources[0].values.planted = 'KFM-CANARY-PLANNEDVALUES';
  plan.planned_values.outputs.secret.value = 'KFM-CANARY-PLANNEDOUTPUT';
  const upd = plan.resource_changes.find((c: any) => c.change.actions.join() === 'update');
  upd.change.before = { ...upd.change.before, pw: 'KFM-CANARY-BEFORE-SENS', plain_copy: 'KFM-CANARY-UNMARKED' };
  upd.change.after = {
    ...upd.change.after,
    pw: 'KFM-CANARY-AFTER-SENS',
    plain_copy: 'KFM-CANARY-UNMARKED-2',
    nested: { deep: ['KFM-CANARY-DEEP'] },
  };
  upd.change.before_sensitive = { ...(upd.change.before_sensitive || {}), pw: true };
  upd.change.after_sensitive = { ...(upd.change.after_sensitive || {}), pw: true, nested: true };
  const imp = plan.resource_changes.find((c: any) => c.change.importing);
  imp.change.generated_config = 'resource "x" "y" { password = "KFM-CANARY-GENCONFIG" }';
  plan.output_changes.secret = {
    actions: ['update'],
    before: 'KFM-CANARY-OUT-BEFORE',
    after: 'KFM-CANARY-OUT-AFTER',
    after_unknown: false,
    before_sensitive: true,
    after_sensitive: true,
  };
  plan.resource_drift = [
    { ...upd, change: { ...upd.change, before: { pw: 'KFM-CANARY-DRIFT' }, after: { pw: 'KFM-CANARY-DRIFT-2' } } },
  ];
  return plan;
}

describe('no secret escapes', () => {
  const planText = JSON.stringify(plantedPlan());
  const planPath = write('planted.show-plan.json', planText);
  const receipts: string[] = [];

  beforeAll(() => {
    // Sanity: the canaries really are in the inputs (a test that cannot fail proves nothing).
    for (const c of [
      'VARIABLES',
      'PROVIDERCFG',
      'PRIORSTATE',
      'PLANNEDVALUES',
      'BEFORE-SENS',
      'AFTER-SENS',
      'UNMARKED',
      'GENCONFIG',
      'OUT-AFTER',
      'DRIFT',
      'SENSVAR-2',
      'IMPORTID',
      'LOCAL',
    ]) {
      expect(planText).toContain(`KFM-CANARY-${c}`);
    }
    const po = out();
    expect(
      run('plan', ['receipt', 'plan', planPath, '--env', 'prod', '--key', keys.key, '--out', po, '--json', ...PROV])
        .status,
    ).toBe(0);
    const ph = out();
    expect(
      run('plan human', ['receipt', 'plan', planPath, '--env', 'prod', '--key', keys.key, '--out', ph, ...PROV]).status,
    ).toBe(0);
    const dr = out();
    expect(
      run('drift', ['receipt', 'drift', planPath, '--env', 'prod', '--key', keys.key, '--out', dr, '--json', ...PROV])
        .status,
    ).toBe(0);
    receipts.push(po, ph, dr);
    // Applies: the real failing apply (provisioner output + diagnostic detail carry a canary) and an
    // old UI 1.0 stream that prints a sensitive output value in clear.
    const pf = out();
    expect(
      run('pf plan', [
        'receipt',
        'plan',
        join(GEN, 'partial-failure', '1-create.show-plan.json'),
        '--env',
        'prod',
        '--key',
        keys.key,
        '--out',
        pf,
        ...PROV,
      ]).status,
    ).toBe(0);
    const pa = out();
    expect(
      run('pf apply', [
        'receipt',
        'apply',
        join(GEN, 'partial-failure', '1-create.apply.jsonl'),
        '--plan-receipt',
        pf,
        '--env',
        'prod',
        '--key',
        keys.key,
        '--out',
        pa,
        '--json',
        ...PROV,
      ]).status,
    ).toBe(0);
    const stream = readFileSync(join(TF, 'ui-json', 'cloud.apply-json-with-outputs.apply.jsonl'), 'utf8');
    expect(stream).toContain('my-secret');
    const oa = out();
    expect(
      run('outputs apply', [
        'receipt',
        'apply',
        join(TF, 'ui-json', 'cloud.apply-json-with-outputs.apply.jsonl'),
        '--plan-receipt',
        po,
        '--env',
        'prod',
        '--key',
        keys.key,
        '--out',
        oa,
        ...PROV,
      ]).status,
    ).toBe(0);
    receipts.push(pf, pa, oa);
    for (const r of receipts) {
      run('verify', ['receipt', 'verify', r, '--pub', keys.pub, '--json']);
      run('show md', ['receipt', 'show', r, '--pub', keys.pub, '--format', 'markdown']);
      run('show json', ['receipt', 'show', r, '--pub', keys.pub, '--format', 'json']);
    }
    // Malformed inputs whose text carries canaries right where parsers complain.
    const malformed: [string, string][] = [
      ['trunc.json', planText.slice(0, planText.indexOf('KFM-CANARY-VARIABLES') + 12)],
      ['badtoken.json', '{"format_version":"1.2","variables":{"x":{"value":KFM-CANARY-BADTOKEN}}}'],
      ['fv.json', JSON.stringify({ format_version: 'KFM-CANARY-FV', planned_values: {} })],
      [
        'action.json',
        JSON.stringify({
          format_version: '1.2',
          resource_changes: [{ address: 'a.b', type: 'a', name: 'b', change: { actions: ['KFM-CANARY-ACTION'] } }],
        }),
      ],
      ['stream-as-plan.json', '{"@level":"info","@message":"KFM-CANARY-MSG","type":"version","ui":"1.2"}\n'],
    ];
    for (const [name, text] of malformed) {
      const r = run(`malformed ${name}`, [
        'receipt',
        'plan',
        write(name, text),
        '--env',
        'prod',
        '--key',
        keys.key,
        '--out',
        out(),
      ]);
      expect(r.status).toBe(2);
    }
    const streams: [string, string][] = [
      ['garbage.jsonl', '{"type":"version","ui":"1.2"}\n{"type": KFM-CANARY-STREAMGARBAGE}\n'],
      ['ui.jsonl', '{"type":"version","ui":"KFM-CANARY-UI"}\n'],
    ];
    for (const [name, text] of streams) {
      const r = run(`malformed ${name}`, [
        'receipt',
        'apply',
        write(name, text),
        '--plan-receipt',
        po,
        '--env',
        'prod',
        '--key',
        keys.key,
        '--out',
        out(),
      ]);
      expect(r.status).toBe(2);
    }
    const pol = write('policy.json', '{"bundle":{"digest":"KFM-CANARY-POLICY"}}');
    expect(
      run('bad policy', [
        'receipt',
        'plan',
        planPath,
        '--env',
        'prod',
        '--key',
        keys.key,
        '--out',
        out(),
        '--policy',
        pol,
      ]).status,
    ).toBe(2);
  });

  it('writes receipts whose file bytes and decoded payloads hold no canary', () => {
    expect(receipts).toHaveLength(6);
    for (const r of receipts) {
      const raw = readFileSync(r, 'utf8');
      expect(raw).not.toMatch(CANARY);
      expect(Buffer.from(JSON.parse(raw).payload, 'base64').toString('utf8')).not.toMatch(CANARY);
    }
  });

  it('prints no canary on stdout or stderr of any command, including errors', () => {
    expect(seen.length).toBeGreaterThan(40);
    for (const s of seen) {
      if (CANARY.test(s.text)) throw new Error(`canary leaked in ${s.what}: ${s.text.slice(0, 200)}`);
    }
  });

  it('leaves no other file in the temp dir holding a canary except the planted inputs', () => {
    for (const f of readdirSync(dir)) {
      if (!f.startsWith('receipt-')) continue;
      expect(readFileSync(join(dir, f), 'utf8')).not.toMatch(CANARY);
    }
  });

  it('still lets a reviewer see what changed: paths, sensitivity and commitments', () => {
    const p = JSON.parse(
      Buffer.from(JSON.parse(readFileSync(receipts[0]!, 'utf8')).payload, 'base64').toString(),
    ).predicate;
    const upd = p.changes.find((c: any) => (c.changed ?? []).includes('pw'));
    expect(upd.changed).toEqual(expect.arrayContaining(['pw', 'plain_copy', 'nested']));
    const pw = upd.sensitive.find((x: any) => x.path === 'pw');
    expect(pw.before).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(pw.after).toMatch(/^hmac-sha256:[0-9a-f]{64}$/);
    expect(pw.after).not.toBe(pw.before);
    expect(upd.sensitive.find((x: any) => x.path === 'nested')).toMatchObject({ path: 'nested', before: null });
    expect(upd.sensitive.map((x: any) => x.path)).not.toContain('plain_copy');
    expect(upd.before).toMatch(/^hmac-sha256:/);
    const out = p.output_changes.find((o: any) => o.name === 'secret');
    expect(out).toMatchObject({ sensitive: true });
    expect(out.after).toMatch(/^hmac-sha256:/);
  });

  it('gives the same commitment for the same value under the same key, and another under another key', () => {
    const a = JSON.parse(
      Buffer.from(JSON.parse(readFileSync(receipts[0]!, 'utf8')).payload, 'base64').toString(),
    ).predicate;
    const b = JSON.parse(
      Buffer.from(JSON.parse(readFileSync(receipts[1]!, 'utf8')).payload, 'base64').toString(),
    ).predicate;
    expect(a.changes).toEqual(b.changes);
    const other = keypair();
    const o = out();
    expect(kfm(['receipt', 'plan', planPath, '--env', 'prod', '--key', other.key, '--out', o, ...PROV]).status).toBe(0);
    const c = JSON.parse(Buffer.from(JSON.parse(readFileSync(o, 'utf8')).payload, 'base64').toString()).predicate;
    expect(c.commitments.key_id).not.toBe(a.commitments.key_id);
    expect(JSON.stringify(c.changes)).not.toBe(JSON.stringify(a.changes));
  });
});
