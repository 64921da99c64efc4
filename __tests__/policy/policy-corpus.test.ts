/**
 * The policy corpus: small Terraform configurations planned by real Terraform with the aws provider
 * offline (scripts/fixtures/policy-corpus.ts regenerates them; nothing is planned here). Every
 * violation must fail with its rule, every compliant twin must pass, from the committed plan JSON.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkPolicy } from '../../policy/check';
import { KFM_PACK } from '../../policy/pack';
import { PolicyEnv } from '../../policy/engine/rule';
import { PLANTED_VALUES } from '../../scripts/fixtures/policy-corpus-planted';
import { FIXTURES } from './helpers';

const CORPUS = join(FIXTURES, 'corpus');
const NOW = new Date('2025-06-01T00:00:00Z');
interface Case {
  readonly name: string;
  readonly class: string;
  readonly expect: string;
  readonly env: PolicyEnv;
  /** The case's own declarations file (instead of policy/config/external-resources.json). */
  readonly declarations?: string;
}
const manifest = JSON.parse(readFileSync(join(CORPUS, 'cases.json'), 'utf8')) as { cases: Case[] };
const violations = manifest.cases.filter((c) => c.expect !== 'pass');
const twins = manifest.cases.filter((c) => c.expect === 'pass');

function planOf(name: string): unknown {
  let text = readFileSync(join(CORPUS, name, 'plan.json'), 'utf8');
  for (const [ph, v] of PLANTED_VALUES) text = text.split(ph).join(v);
  return JSON.parse(text);
}
const declarationsOf = (c: Case) =>
  c.declarations
    ? { doc: JSON.parse(readFileSync(join(CORPUS, c.name, c.declarations), 'utf8')) as unknown, origin: c.declarations }
    : undefined;
const judge = (c: Case) =>
  checkPolicy({
    kind: 'plan',
    doc: planOf(c.name),
    origin: c.name,
    env: c.env,
    now: NOW,
    declarations: declarationsOf(c),
  });

describe('policy corpus (real plans of small configurations)', () => {
  it('holds at least 80 planned configurations, each with a violation and a compliant twin per class', () => {
    expect(manifest.cases.length).toBeGreaterThanOrEqual(80);
    const dirs = readdirSync(CORPUS, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(dirs).toEqual(manifest.cases.map((c) => c.name).sort());
    const classes = new Set(manifest.cases.map((c) => c.class));
    for (const cls of classes) {
      const of = manifest.cases.filter((c) => c.class === cls);
      expect([cls, of.some((c) => c.expect === 'pass'), of.some((c) => c.expect !== 'pass')]).toEqual([
        cls,
        true,
        true,
      ]);
    }
  });

  it.each(violations.map((c) => [c.name, c] as const))('fails violation %s with its rule', (_, c) => {
    const r = judge(c);
    expect(r.verdict).toBe('fail');
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => f.rule)).toContain(c.expect);
  });

  it.each(twins.map((c) => [c.name, c] as const))('passes compliant twin %s', (_, c) => {
    const r = judge(c);
    expect(r.findings.filter((f) => f.severity === 'error').map((f) => `${f.rule} ${f.address}: ${f.message}`)).toEqual(
      [],
    );
    expect(r.verdict).toBe('pass');
  });

  it('never quotes a planted credential in a finding', () => {
    for (const c of violations) {
      const text = JSON.stringify(judge(c));
      for (const [, v] of PLANTED_VALUES) expect([c.name, text.includes(v)]).toEqual([c.name, false]);
    }
    // The planted values really are in the plans, so the check can fail.
    expect(
      manifest.cases.some((c) => readFileSync(join(CORPUS, c.name, 'plan.json'), 'utf8').includes('__KFM_PLANTED_')),
    ).toBe(true);
  });

  it('has a violation for every rule of the pack that judges resources', () => {
    const caught = new Set(violations.map((c) => c.expect));
    const exempt = ['rds-deletion-protection-in-prod', 's3-audit-bucket-object-locked', 'rds-storage-encrypted'];
    for (const r of KFM_PACK) if (!exempt.includes(r.id)) expect([r.id, caught.has(r.id)]).toEqual([r.id, true]);
  });
});
