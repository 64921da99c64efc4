/**
 * Numbers kept exact: both parse paths give JSON.parse's values for every corpus document, and
 * keep the numbers a double cannot hold as their text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson } from '../../core/canonical-json';
import {
  ExactNumber,
  isInexact,
  leafEquals,
  mayHoldInexactNumber,
  parseJsonExact,
  parseJsonNumbersExact,
} from '../../core/exact-json';
import { FIXTURES, walk } from '../receipts/helpers';

const docs = walk(FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .map((f) => join(FIXTURES, f))
  .filter((p) => {
    try {
      JSON.parse(readFileSync(p, 'utf8'));
      return true;
    } catch {
      return false;
    }
  });

describe('exact JSON numbers', () => {
  it('reads every parseable corpus document as JSON.parse does, both paths alike where numbers are inexact', () => {
    expect(docs.length).toBeGreaterThan(200);
    let inexact = 0;
    for (const p of docs) {
      const t = readFileSync(p, 'utf8');
      const slow = canonicalJson(parseJsonExact(t));
      expect(canonicalJson(parseJsonNumbersExact(t))).toBe(slow);
      if (mayHoldInexactNumber(t)) inexact++;
      else expect(slow).toBe(canonicalJson(JSON.parse(t)));
    }
    // The Terraform-written exact-number scenario (plans and streams) and nothing else.
    expect(inexact).toBeGreaterThanOrEqual(2);
  });

  it('keeps numbers a double cannot hold as their text, on both paths', () => {
    const t = '{"a":9007199254740993,"b":[0.1000000000000000000001,2],"c":"9007199254740993","d":1e400}';
    for (const v of [parseJsonExact(t), parseJsonNumbersExact(t)] as Record<string, unknown>[]) {
      expect(v.a).toEqual(new ExactNumber('9007199254740993'));
      expect((v.b as unknown[])[0]).toEqual(new ExactNumber('0.1000000000000000000001'));
      expect(v.c).toBe('9007199254740993');
      expect(canonicalJson(v)).toBe(
        '{"a":9007199254740993,"b":[0.1000000000000000000001,2],"c":"9007199254740993","d":1e400}',
      );
    }
    expect(isInexact('9007199254740992')).toBe(false);
    expect(isInexact('0.1')).toBe(false);
    expect(leafEquals(new ExactNumber('9007199254740993'), 9007199254740992)).toBe(false);
    expect(leafEquals(new ExactNumber('1.50000000000000000000'), new ExactNumber('1.5'))).toBe(true);
  });

  it('a long digit run inside a string costs only the exact parser, never a changed string', () => {
    const t = '{"s":"x:12345678901234567,","n":12345678901234567}';
    expect(mayHoldInexactNumber(t)).toBe(true);
    const v = parseJsonNumbersExact(t) as Record<string, unknown>;
    expect(v.s).toBe('x:12345678901234567,');
    expect(v.n).toEqual(new ExactNumber('12345678901234567'));
    expect(mayHoldInexactNumber('{"id":"123456789012345678901"}')).toBe(false);
  });

  it('keeps a __proto__ member as a member, and reads 20,000 levels without overflowing', () => {
    const t = '{"__proto__":{"x":9007199254740993},"y":1}';
    for (const v of [parseJsonExact(t), parseJsonNumbersExact(t)] as Record<string, unknown>[]) {
      expect(Object.keys(v)).toEqual(['__proto__', 'y']);
      expect(Object.getPrototypeOf(v)).toBe(Object.prototype);
    }
    const deep = '['.repeat(20000) + '9007199254740993' + ']'.repeat(20000);
    expect(() => parseJsonExact(deep)).not.toThrow();
    expect(() => parseJsonNumbersExact(deep)).not.toThrow();
  });

  it('refuses what JSON.parse refuses, without quoting the text', () => {
    for (const t of ['{"a":1} {"b":2}', '{"a":', '{"a":01}', '[1,]', '{"a":"KFM-CANARY-X\u0001"}']) {
      expect(() => JSON.parse(t)).toThrow();
      expect(() => parseJsonExact(t)).toThrow(SyntaxError);
      try {
        parseJsonExact(t);
      } catch (e) {
        expect((e as Error).message).not.toContain('KFM-CANARY');
      }
    }
  });
});
