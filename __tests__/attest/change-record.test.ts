/**
 * The hand check of change records (attest/change-record.ts) against ajv on the schema's own
 * `$defs/change`: it may only accept what the schema accepts, and on JSON values it must give
 * ajv's verdict, on every record the corpus plans give and on each record mutated field by field.
 */
import { createHash, createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv2020 from 'ajv/dist/2020';
import { isChangeRecord } from '../../attest/change-record';
import { CHANGE_LISTS, validatePredicate } from '../../attest/validate';
import { PREDICATE_SCHEMA_IDS, PREDICATE_TYPES } from '../../attest/predicate-types';
import { canonicalJson } from '../../core/canonical-json';
import { sha256Tagged } from '../../core/digest';
import { isReceiptError } from '../../core/errors';
import { buildPlanStatement, ReceiptContext } from '../../receipts/plan/build-plan-receipt';
import { deriveCommitmentKey } from '../../receipts/redact/commitment';
import { parsePlanDocument } from '../../terraform/plan';
import { REPO, walk } from '../receipts/helpers';

const SCHEMAS = join(REPO, 'schemas');
const CHANGE_DEF_DIGEST = 'sha256:0245dd01f57e65407ea6f6af937afd493fe4e965e8111c27f1da0c5fc69b7bd2';
const plan = JSON.parse(readFileSync(join(SCHEMAS, 'plan-receipt.schema.json'), 'utf8'));
const drift = JSON.parse(readFileSync(join(SCHEMAS, 'drift-receipt.schema.json'), 'utf8'));
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true });
ajv.addSchema(plan);
const schemaSays = ajv.getSchema(`${plan.$id}#/$defs/change`)!;

const seed = createHash('sha256').update('kfm change-record test key (public, test only)').digest();
const privateKey = createPrivateKey({
  key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
  format: 'der',
  type: 'pkcs8',
});
const ctx: ReceiptContext = {
  env: 'dev',
  repo: { commit: 'abcdef1', branch: 'main', source: 'flag', branch_source: 'flag' },
  actor: { principal: 'test', method: 'ci', source: 'flag' },
  commitmentKey: deriveCommitmentKey(privateKey),
};

/** Every change and drift record of a plan receipt of every fixture plan, as JSON (what verify reads). */
function corpusRecords(): unknown[] {
  const fixtures = join(REPO, '__tests__', 'fixtures');
  const out: unknown[] = [];
  for (const rel of walk(fixtures).filter((f) => f.endsWith('.json') && !f.startsWith('legacy/'))) {
    const bytes = readFileSync(join(fixtures, rel));
    let doc;
    try {
      doc = parsePlanDocument(bytes, rel);
    } catch {
      continue;
    }
    const st = buildPlanStatement(doc, rel, { planJsonName: 'p.json', planJsonDigest: sha256Tagged(bytes) }, ctx, null);
    const p = JSON.parse(JSON.stringify(st.predicate)) as { changes: unknown[]; drift: unknown[] };
    out.push(...p.changes, ...p.drift);
  }
  return out;
}

const WRONG: unknown[] = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  2,
  '',
  'x',
  'unknown',
  `hmac-sha256:${'a'.repeat(64)}`,
  `hmac-sha256:${'A'.repeat(64)}`,
  `hmac-sha256:${'a'.repeat(63)}`,
  [],
  [''],
  ['create'],
  ['create', 'delete'],
  ['bogus'],
  [1],
  [[]],
  [['a', 0]],
  [['a', 0.5]],
  [[null]],
  {},
  { id: `hmac-sha256:${'b'.repeat(64)}` },
  { id: 'x' },
  { unknown: true },
  { unknown: false },
  { id: `hmac-sha256:${'b'.repeat(64)}`, other: 1 },
  [{ path: 'p', before: null, after: 'unknown' }],
  [{ path: 'p', before: null, after: null, extra: 1 }],
  [{ path: 'p', before: 'nope', after: null }],
  [{ path: 'p', before: null }],
  [{ path: 1, before: null, after: null }],
  // Words of the other enum, and near-misses of the commitment patterns.
  ['replace'],
  ['create-forget'],
  'replace',
  'delete-create',
  `hmac-sha256:${'a'.repeat(64)}zz`,
  `x-hmac-sha256:${'a'.repeat(64)}`,
  `hmac-sha256:${'a'.repeat(64)}\n`,
  'unknownzz',
  { id: `hmac-sha256:${'b'.repeat(64)}zz` },
  { id: `hmac-sha256:${'B'.repeat(64)}` },
  { id: `hmac-sha256:${'b'.repeat(63)}` },
  // Bad values inside sensitive entries.
  [{ path: 'p', before: null, after: 'nope' }],
  [{ path: 'p', before: `hmac-sha256:${'a'.repeat(64)}zz`, after: null }],
  [{ path: 'p', before: null, after: 'unknownzz' }],
  [{ path: 'p', before: 1, after: null }],
];

const FIELDS = [
  'address',
  'module',
  'type',
  'provider',
  'deposed',
  'actions',
  'action',
  'action_reason',
  'replace_paths',
  'moved_from',
  'importing',
  'changed',
  'sensitive',
  'unknown',
  'changed_omitted',
  'before',
  'after',
  'not_in_schema',
];

/** Each record with each field removed and set to each WRONG value (JSON values only). */
function* mutations(r: Record<string, unknown>): Generator<Record<string, unknown>> {
  for (const f of FIELDS) {
    const without = { ...r };
    delete without[f];
    yield without;
    for (const w of WRONG) yield { ...r, [f]: structuredClone(w) };
  }
}

describe('change records checked by hand', () => {
  const records = corpusRecords();

  it('gives ajv verdict on every corpus record (all valid) and every field-by-field mutation', () => {
    expect(records.length).toBeGreaterThan(500);
    let accepted = 0;
    let refused = 0;
    const seen = new Set<string>();
    for (const r of records) {
      expect(isChangeRecord(r)).toBe(true);
      expect(schemaSays(r)).toBe(true);
      // Mutate one record of each shape (its set of fields), not all 1,000+.
      const shape = Object.keys(r as object)
        .sort()
        .join(',');
      if (seen.has(shape)) continue;
      seen.add(shape);
      for (const m of mutations(r as Record<string, unknown>)) {
        const want = schemaSays(m) as boolean;
        expect({ m, verdict: isChangeRecord(m) }).toEqual({ m, verdict: want });
        if (want) accepted++;
        else refused++;
      }
    }
    // Both verdicts occur, many times: the comparison could fail either way. The corpus gives
    // records with every optional field the builder writes, except `changed_omitted` (more than
    // 256 changed leaves in one change): the mutations set it to counts and to non-counts.
    const fields = new Set(records.flatMap((r) => Object.keys(r as object)));
    for (const f of FIELDS.filter((x) => x !== 'not_in_schema' && x !== 'changed_omitted'))
      expect([f, fields.has(f)]).toEqual([f, true]);
    expect(seen.size).toBeGreaterThan(5);
    expect(accepted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(1000);
  });

  it('refuses what is not a JSON object, and members set to undefined (never in JSON; ajv decides)', () => {
    const r = { address: 'a.b', type: 'a', actions: ['create'], action: 'create' };
    expect(isChangeRecord(r)).toBe(true);
    for (const x of [null, [], [r], 'x', 1, undefined]) expect(isChangeRecord(x)).toBe(false);
    expect(isChangeRecord({ ...r, module: undefined })).toBe(false);
    expect(schemaSays({ ...r, module: undefined })).toBe(true);
    const inherited = Object.assign(Object.create({ extra: 1 }) as object, r);
    expect(isChangeRecord(inherited)).toBe(schemaSays(inherited));
  });

  it('holds because the schemas list change records as plain arrays of one shared $defs/change', () => {
    // If a schema grows a keyword on these lists (minItems, contains, ...) or changes
    // $defs/change, update attest/change-record.ts and this test together.
    for (const d of ['change', 'path', 'commitment', 'count']) expect([d, drift.$defs[d]]).toEqual([d, plan.$defs[d]]);
    const schemaOf: Record<string, { properties: Record<string, unknown> }> = {
      [PREDICATE_TYPES.plan]: plan,
      [PREDICATE_TYPES.drift]: drift,
    };
    expect(Object.keys(CHANGE_LISTS).sort()).toEqual(Object.keys(schemaOf).sort());
    for (const [type, lists] of Object.entries(CHANGE_LISTS)) {
      const s = schemaOf[type]!;
      expect((s as unknown as { $id: string }).$id).toBe(
        PREDICATE_SCHEMA_IDS[type === PREDICATE_TYPES.plan ? 'plan' : 'drift'],
      );
      for (const f of lists) expect(s.properties[f]).toEqual({ type: 'array', items: { $ref: '#/$defs/change' } });
      // No other list of the predicate holds change records.
      const others = Object.entries(s.properties).filter(
        ([k, v]) => !lists.includes(k) && JSON.stringify(v).includes('#/$defs/change'),
      );
      expect(others).toEqual([]);
      const top = Object.keys(s).filter(
        (k) =>
          ![
            '$schema',
            '$id',
            'title',
            'description',
            'type',
            'additionalProperties',
            'required',
            'properties',
            '$defs',
          ].includes(k),
      );
      expect(top).toEqual([]);
    }
    // The definition attest/change-record.ts was written from, by digest of its canonical JSON.
    expect(sha256Tagged(Buffer.from(canonicalJson(plan.$defs.change)))).toBe(CHANGE_DEF_DIGEST);
  });

  it('leaves the error of a bad record to ajv: the same field named as before', () => {
    const r = { address: 'a.b', type: 'a', actions: ['create'], action: 'create' };
    const predicate = {
      kind: 'kfm.infra.PlanReceipt',
      env: 'dev',
      repo: ctx.repo,
      actor: ctx.actor,
      tooling: [{ name: 'kfm', version: '0' }],
      inputs: [{ ref: 'p.json', digest: `sha256:${'0'.repeat(64)}` }],
      outputs: [],
      timestamps: { planned: null },
      terraform: {
        format_version: '1.2',
        applyable: true,
        complete: true,
        errored: false,
        deferred: 0,
        checks: { pass: 0, fail: 0, error: 0, unknown: 0 },
      },
      summary: {
        add: 2,
        change: 0,
        remove: 0,
        import: 0,
        replace: 0,
        forget: 0,
        move: 0,
        read: 0,
        noop: 0,
        errored: false,
      },
      changes: [r, r],
      output_changes: [],
      drift: [],
      policy: null,
      commitments: { alg: 'HMAC-SHA256', key_id: `sha256:${'1'.repeat(64)}`, key_source: 'derived' },
    };
    expect(() => validatePredicate(PREDICATE_TYPES.plan, predicate, 'p')).not.toThrow();
    const why = (p: unknown): string => {
      try {
        validatePredicate(PREDICATE_TYPES.plan, p, 'r.json');
      } catch (e) {
        if (isReceiptError(e)) return `${e.code} ${e.message}`;
        throw e;
      }
      return 'valid';
    };
    expect(why({ ...predicate, changes: [r, { ...r, after: 'plain' }] })).toBe(
      'SCHEMA_INVALID r.json: predicate.changes.1.after must match pattern "^(hmac-sha256:[0-9a-f]{64}|unknown)$" (schema https://kfm.dev/receipts/plan/v1)',
    );
    expect(why({ ...predicate, drift: [{ ...r, secret: 'x' }] })).toBe(
      'SCHEMA_INVALID r.json: predicate.drift.0 must NOT have additional properties (value not shown) (schema https://kfm.dev/receipts/plan/v1)',
    );
    // A bad member outside the lists is still found when every record passes the hand check.
    expect(why({ ...predicate, env: 'qa' })).toMatch(
      /^SCHEMA_INVALID r\.json: predicate\.env must be equal to one of the allowed values/,
    );
    expect(why({ ...predicate, changes: 'no' })).toMatch(/^SCHEMA_INVALID r\.json: predicate\.changes must be array/);
    // An inherited member (no parsed JSON has one) is judged by ajv on the whole predicate.
    const inherited = Object.assign(Object.create({ extra: 1 }) as object, predicate);
    expect(why(inherited)).toMatch(/^SCHEMA_INVALID r\.json: predicate must NOT have additional properties/);
  });
});
