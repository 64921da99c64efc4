/**
 * `kfm receipt plan` is timed against a bare read + hash + parse of the plan (npm run bench), so
 * it loads only what a plan receipt needs: never the apply-stream reader, the apply or drift
 * receipt builders, the renderers, another predicate's schema validators or another noun's modules. A real CLI process records every
 * module file it loaded.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GEN, keypair, kfm, PROV, tmp } from '../receipts/helpers';

const dir = tmp('kfm-lazy-');
const hook = join(dir, 'record-modules.js');
const log = join(dir, 'modules.txt');
writeFileSync(
  hook,
  `process.on('exit', () => require('fs').appendFileSync(${JSON.stringify(log)}, Object.keys(require.cache).join('\\n') + '\\n'));\n`,
);

function loaded(args: string[]): string[] {
  writeFileSync(log, '');
  const r = kfm(args, { env: { NODE_OPTIONS: `--require ${hook}` } });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return readFileSync(log, 'utf8')
    .split('\n')
    .filter((f) => f !== '')
    .map((f) => f.replace(/\\/g, '/'));
}

const has = (files: string[], part: string): boolean => files.some((f) => f.includes(part));

describe('modules a command loads', () => {
  const keys = keypair();

  it('receipt plan loads the plan model and receipt builder, and nothing of apply, drift, rendering or other nouns', () => {
    const files = loaded([
      'receipt',
      'plan',
      join(GEN, 'delete-only', '1-create.show-plan.json'),
      '--env',
      'dev',
      '--key',
      keys.key,
      '--out',
      join(dir, 'plan.receipt.json'),
      ...PROV,
    ]);
    expect(has(files, '/terraform/plan.')).toBe(true);
    expect(has(files, '/receipts/plan/build-plan-receipt.')).toBe(true);
    expect(has(files, '/attest/schema/compiled-plan-receipt.')).toBe(true);
    for (const part of [
      '/terraform/apply-stream.',
      '/receipts/apply/',
      '/receipts/drift/',
      '/receipts/render/',
      '/receipts/plan/policy-input.',
      '/attest/schema/compiled-apply-receipt.',
      '/attest/schema/compiled-drift-receipt.',
      '/attest/schema/compiled-approval.',
      '/policy/rules/',
      '/policy/pack.',
      '/ledger/',
      '/gates/',
      '@aws-sdk',
    ])
      expect([part, has(files, part)]).toEqual([part, false]);
    // The receipt's exposure facts come from the pack's own exposure view (one rule in one place):
    // that view and the readers it uses, never a rule or the pack.
    const policy = files.filter((f) => f.includes('/policy/')).map((f) => f.replace(/^.*\/policy\//, 'policy/'));
    const view = /^policy\/(engine\/(exposure|cidr|coverage|iam|view|secrets)\.(js|ts)|config\/coverage\.json)$/;
    expect(policy.filter((f) => !view.test(f))).toEqual([]);
  });

  it('receipt show still loads the renderer it needs', () => {
    const files = loaded(['receipt', 'show', join(dir, 'plan.receipt.json'), '--pub', keys.pub]);
    expect(has(files, '/receipts/render/markdown.')).toBe(true);
  });
});
