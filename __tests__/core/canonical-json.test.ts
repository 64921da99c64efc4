import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, canonicalJsonReference, markCanonical } from '../../core/canonical-json';
import { TF, walk } from '../receipts/helpers';

describe('canonical JSON', () => {
  it('gives the same bytes as the recursive definition on every corpus JSON document', () => {
    let n = 0;
    for (const f of walk(TF).filter((x) => x.endsWith('.json'))) {
      let v: unknown;
      try {
        v = JSON.parse(readFileSync(join(TF, f), 'utf8'));
      } catch {
        continue;
      }
      expect(canonicalJson(v)).toBe(canonicalJsonReference(v));
      n++;
    }
    expect(n).toBeGreaterThan(200);
  });

  it('sorts keys by UTF-16 code units and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: [{ z: undefined, y: 'ü' }], A: null })).toBe('{"A":null,"a":[{"y":"ü"}],"b":1}');
  });

  it('orders integer-like keys as strings, also beside keys that sort before digits', () => {
    const cases = [
      '{"10":1,"9":2}',
      '{"b":{"2":1,"10":0,"a":1}}',
      '[{"1":1,"0":0}]',
      '{"b":1,"-":2,"5":3}',
      '{"5":1,".":2}',
    ];
    for (const t of cases) expect(canonicalJson(JSON.parse(t))).toBe(canonicalJsonReference(JSON.parse(t)));
    expect(canonicalJson(JSON.parse('{"b":1,"-":2,"5":3}'))).toBe('{"-":2,"5":3,"b":1}');
  });

  it('keeps a "__proto__" member of parsed JSON as a member', () => {
    const v = JSON.parse('{"z":1,"__proto__":{"x":1}}');
    expect(canonicalJson(v)).toBe('{"__proto__":{"x":1},"z":1}');
    expect(canonicalJsonReference(v)).toBe('{"__proto__":{"x":1},"z":1}');
  });

  it('refuses non-finite numbers', () => {
    expect(() => canonicalJson({ a: Infinity })).toThrow(/non-finite/);
    expect(() => canonicalJsonReference({ a: NaN })).toThrow(/non-finite/);
  });
});

describe('canonical JSON of lists marked canonical by their builder', () => {
  const record = (i: number): object => markCanonical({ action: 'create', address: `a.b[${i}]`, type: 't' });

  it('writes a marked list as the recursive definition does', () => {
    const v = { z: [record(0), record(1), record(2)], a: { y: 1, b: [record(3), record(4)] }, one: [record(5)] };
    expect(canonicalJson(v)).toBe(canonicalJsonReference(v));
  });

  it('still writes the same bytes when a value of the document spells a list placeholder', () => {
    // Only the writer can tell its placeholder from a value spelling it: a value that does must not
    // be replaced by a list, nor the list lost.
    for (const spelled of ['kfm-canonical-list-0', 'kfm-canonical-list-1', 'x"kfm-canonical-list-0']) {
      const v = { a: spelled, b: [record(0), record(1)], c: [record(2), markCanonical({ p: spelled })] };
      expect(canonicalJson(v)).toBe(canonicalJsonReference(v));
    }
  });

  it('writes a marked list as built, without sorting it again (the builder vouches for the order)', () => {
    const v = { l: [markCanonical({ b: 1, a: 2 }), markCanonical({ d: 1, c: 2 })] };
    expect(canonicalJson(v)).toBe('{"l":[{"b":1,"a":2},{"d":1,"c":2}]}');
  });

  it('sorts a list whose objects are not all marked, member by member', () => {
    const v = { l: [record(0), { b: 1, a: 2 }] };
    expect(canonicalJson(v)).toBe('{"l":[{"action":"create","address":"a.b[0]","type":"t"},{"a":2,"b":1}]}');
  });
});
