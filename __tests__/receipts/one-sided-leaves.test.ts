/**
 * oneSidedLeaves (one walk per mask, run once per create or delete) must equal its definition,
 * oneSidedLeavesReference (mask leaves first, then values and sensitive prefixes), on every change
 * of every fixture plan and on masks built to reach each rule.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAX_PATHS_PER_CHANGE, oneSidedLeaves, oneSidedLeavesReference } from '../../receipts/redact/diff';
import { parsePlanDocument } from '../../terraform/plan';
import { REPO, walk } from './helpers';

const FIXTURES = join(REPO, '__tests__', 'fixtures');

function same(value: unknown, sensitive: unknown, unknown: unknown, side: 'before' | 'after'): void {
  expect(oneSidedLeaves(value, sensitive, unknown, side)).toEqual(
    oneSidedLeavesReference(value, sensitive, unknown, side),
  );
}

describe('one-sided leaves', () => {
  it('equal the definition on both sides of every change of every fixture plan', () => {
    let changes = 0;
    for (const rel of walk(FIXTURES).filter((f) => f.endsWith('.json') && !f.startsWith('legacy/'))) {
      let doc;
      try {
        doc = parsePlanDocument(readFileSync(join(FIXTURES, rel)), rel);
      } catch {
        continue;
      }
      for (const rc of [...doc.resource_changes, ...doc.resource_drift]) {
        const c = rc.change;
        same(c.after, c.after_sensitive, c.after_unknown, 'after');
        same(c.before, c.before_sensitive, undefined, 'before');
        changes++;
      }
    }
    expect(changes).toBeGreaterThan(800);
  });

  it('name an unknown leaf beneath a sensitive value by the sensitive value', () => {
    const v = { db: { password: 'x', tags: { a: '1' } }, list: ['p', { k: 'q' }] };
    const sens = { db: { tags: true }, list: [false, true] };
    const unk = { db: { tags: { b: true, c: true }, id: true }, list: [false, { k: true, z: [true] }], id: true };
    same(v, sens, unk, 'after');
    expect(oneSidedLeaves(v, sens, unk, 'after').unknown).toEqual(['db.id', 'db.tags', 'id', 'list[1]']);
    same(v, true, unk, 'after');
    expect(oneSidedLeaves(v, true, unk, 'after').unknown).toEqual(['(whole value)']);
  });

  it('equal the definition on whole-value marks, nulls, odd keys and empty containers', () => {
    same('secret', true, undefined, 'before');
    same(null, true, true, 'after');
    same({ a: null, b: 1 }, { a: true, b: true }, { c: true }, 'after');
    same({ 'odd key': 's', ключ: ['x'] }, { 'odd key': true, ключ: [true] }, {}, 'after');
    same({ a: {} }, { a: {}, b: [] }, { a: {}, b: [{}, null, false] }, 'after');
    same({}, false, false, 'after');
    same({}, undefined, true, 'after');
    same({ x: 1 }, { x: 1, y: 'true' }, { x: 0 }, 'after');
  });

  it('stop at the per-change limit and at the nesting limit as the definition does', () => {
    const many: Record<string, boolean> = {};
    const values: Record<string, string> = {};
    for (let i = 0; i < MAX_PATHS_PER_CHANGE + 40; i++) {
      many[`k${String(i).padStart(4, '0')}`] = true;
      values[`k${String(i).padStart(4, '0')}`] = `v${i}`;
    }
    same(values, many, many, 'after');
    expect(oneSidedLeaves(values, many, many, 'after').sensitive).toHaveLength(MAX_PATHS_PER_CHANGE);
    let deep: unknown = true;
    let deepValue: unknown = 'leaf';
    for (let i = 0; i < 40; i++) {
      deep = { n: deep };
      deepValue = { n: deepValue };
    }
    same(deepValue, deep, deep, 'after');
    same(deepValue, deep, undefined, 'before');
  });
});
