/**
 * Coverage by setting, not by type (issue 26): policy/config/coverage.json lists every type the pack
 * knows with its security-relevant settings; each is read by a named rule that really reads it, or
 * reviewed irrelevant with a reason. A type is covered only when all of its settings are.
 */
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { KFM_PACK } from '../../policy/pack';
import { COVERAGE, unreadSettings } from '../../policy/engine/coverage';
import { uncoveredBecause } from '../../policy/rules/resource-types-reviewed';
import reviewed from '../../policy/config/reviewed-types.json';
import { checkPolicy } from '../../policy/check';
import { counts } from '../../scripts/policy-coverage-attributes';
import { FIXTURES } from './helpers';

const POLICY = join(__dirname, '..', '..', 'policy');
const NEUTRAL = Object.keys(reviewed.types);
const COVERED_BY_RULES = new Set(KFM_PACK.flatMap((r) => r.covers ?? []));
const SEED = JSON.parse(readFileSync(join(FIXTURES, 'schema-security-settings.json'), 'utf8')) as {
  types: Record<string, string[]>;
};

/** A rule's source and every engine file it reaches (what "reads a setting" can be checked against). */
function sourceOf(ruleId: string): string {
  const seen = new Set<string>();
  const visit = (file: string): string => {
    if (seen.has(file)) return '';
    seen.add(file);
    const text = readFileSync(file, 'utf8');
    const deps = [...text.matchAll(/from '\.\.?\/(?:\.\.\/policy\/)?((?:engine|rules)\/[\w-]+|[\w-]+)'/g)].map(
      (m) => m[1],
    );
    return (
      text +
      deps
        .map((d) => (d.includes('/') ? d : `${file.includes('/engine/') ? 'engine' : 'rules'}/${d}`))
        .map((d) => join(POLICY, `${d}.ts`))
        .filter((f) => readdirSync(join(f, '..')).includes(f.split('/').pop() as string))
        .map(visit)
        .join('\n')
    );
  };
  return visit(join(POLICY, 'rules', `${ruleId}.ts`));
}

const leafOf = (setting: string): string => setting.split('.').pop() as string;

describe('coverage by setting (policy/config/coverage.json)', () => {
  const entries = Object.entries(COVERAGE).flatMap(([type, settings]) =>
    Object.entries(settings).map(([setting, e]) => ({ type, setting, e })),
  );

  it('lists every type a rule covers or the neutral table names', () => {
    const missing = [...COVERED_BY_RULES, ...NEUTRAL].filter((t) => !(t in COVERAGE));
    expect(missing).toEqual([]);
  });

  it('marks each setting exactly one of: read by a rule, irrelevant with a reason, unread', () => {
    const wrong = entries.filter(({ e }) => {
      const kinds = [e.rule !== undefined, e.irrelevant !== undefined, e.unread !== undefined].filter(Boolean);
      return kinds.length !== 1 || (e.irrelevant !== undefined && e.irrelevant.length < 20);
    });
    expect(wrong.map(({ type, setting }) => `${type}.${setting}`)).toEqual([]);
  });

  it('names only rules of the pack, and each named rule really reads its setting', () => {
    const ids = new Set(KFM_PACK.map((r) => r.id));
    const sources = new Map<string, string>();
    const notRead = entries.filter(({ e, setting }) => {
      if (e.rule === undefined) return false;
      if (!ids.has(e.rule)) return true;
      if (e.rule === 'security-settings-required') return e.require === undefined;
      if (e.rule === 'no-credentials-in-configuration' && e.sensitive) return false;
      if (!sources.has(e.rule)) sources.set(e.rule, sourceOf(e.rule));
      const leaf = (e.whole ? setting.split('.')[0] : leafOf(setting)).replace('*', '');
      return !new RegExp(`\\b${leaf.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).test(sources.get(e.rule) as string);
    });
    expect(notRead.map(({ type, setting, e }) => `${type}.${setting} → ${e.rule}`)).toEqual([]);
  });

  it('lists every security-looking attribute of the provider schema for each known type', () => {
    const missing = Object.entries(SEED.types).flatMap(([type, settings]) =>
      settings
        .filter((s) => {
          const table = COVERAGE[type] ?? {};
          return !Object.keys(table).some(
            (k) => k === s || s.startsWith(`${k}.`) || (k.endsWith('*') && s.includes(k.slice(0, -1))),
          );
        })
        .map((s) => `${type}.${s}`),
    );
    expect(missing).toEqual([]);
  });

  it('fails when a reviewed-neutral type has a security-relevant setting', () => {
    const relevant = NEUTRAL.flatMap((t) =>
      Object.entries(COVERAGE[t] ?? {})
        .filter(([, e]) => e.irrelevant === undefined)
        .map(([s]) => `${t}.${s}`),
    );
    expect(relevant).toEqual([]);
  });

  it('leaves a type with an unread setting under default deny, naming the setting', () => {
    // The table has no unread setting left; a copy with one stands in for the next one found.
    const withUnread = {
      ...COVERAGE,
      aws_sqs_queue_policy: { ...COVERAGE.aws_sqs_queue_policy, queue_url: { unread: 'target queue not judged' } },
    };
    expect(unreadSettings('aws_sqs_queue_policy', withUnread)).toEqual(['queue_url']);
    expect(uncoveredBecause('aws_sqs_queue_policy', COVERED_BY_RULES, withUnread)).toMatch(
      /queue_url.*read by no rule/,
    );
    expect(uncoveredBecause('aws_sqs_queue_policy', COVERED_BY_RULES)).toBeUndefined();
    expect(uncoveredBecause('aws_kms_key', COVERED_BY_RULES)).toBeUndefined();
    expect(Object.keys(COVERAGE).filter((t) => unreadSettings(t).length > 0)).toEqual([]);
  });

  it('judges a resource policy on a queue outside the plan as an undeclared target (error in prod)', () => {
    const synth = {
      resource: {
        aws_sqs_queue_policy: {
          q: { queue_url: 'https://sqs.us-east-1.amazonaws.com/111122223333/q', policy: '{"Statement":[]}' },
        },
      },
    };
    const r = checkPolicy({ kind: 'synth', doc: synth, origin: 't', env: 'prod', now: new Date('2025-06-01') });
    const f = r.findings.find((x) => x.rule === 'resource-policies-least-privilege');
    expect(f?.severity).toBe('error');
    expect(f?.message).toMatch(/queue_url names a queue that is not in this plan and not declared.*"queues"/);
    expect(r.findings.filter((x) => x.rule === 'resource-types-reviewed')).toEqual([]);
  });

  it('reports its counts (types, settings, read, irrelevant, unread)', () => {
    const c = counts({ types: COVERAGE as never });
    expect(c.settings).toBe(c.read + c.irrelevant + c.unread);
    expect(c.types).toBeGreaterThanOrEqual(100);
    console.log(`coverage by setting: ${JSON.stringify(c)}`);
  });
});
