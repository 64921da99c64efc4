import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { canonicalJson, canonicalJsonReference } from '../../core/canonical-json';
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
