import { isReceiptError } from '../../core/errors';
import { parseJsonNoEcho } from '../../core/json';
import { parseJsonNumbersExact } from '../../core/exact-json';
import { checkJsonShape, checkJsonShapeOf } from '../../core/json-shape';

function refusalOf(check: () => void): string | undefined {
  try {
    check();
    return undefined;
  } catch (e) {
    expect(isReceiptError(e) && e.exitCode).toBe(2);
    return (e as Error).message;
  }
}

/** The refusal of the full scan, which the fast path given the parsed value must repeat word for word. */
function refusal(text: string, limits = {}): string | undefined {
  const full = refusalOf(() => checkJsonShape(text, 'f.json', 'plan JSON', limits));
  const fast = refusalOf(() => checkJsonShapeOf(text, parseJsonNumbersExact(text), 'f.json', 'plan JSON', limits));
  expect(fast).toBe(full);
  return full;
}

describe('checkJsonShape', () => {
  it('refuses a key given twice in one object, naming where, also when written with an escape', () => {
    expect(refusal('{"a":1,"b":{"c":[{"d":"x","d":"y"}]}}')).toBe(
      'f.json: plan JSON has the key "d" twice in one object (b.c[]); readers would disagree on its value — refused',
    );
    expect(refusal('{"\\u0061":1,"a":2}')).toMatch(/the key "a" twice/);
  });

  it('accepts the same key in sibling objects, and colons or quotes inside strings', () => {
    expect(refusal('[{"a":1},{"a":1}]')).toBeUndefined();
    expect(refusal('{"a":"x\\":y","b":{"a":"{[\\"a\\":1"}}')).toBeUndefined();
  });

  it('refuses an identifier longer than the name limit, and any string longer than the string limit', () => {
    expect(refusal(`{"r":[{"provider_name":"${'p'.repeat(100)}"}]}`, { maxName: 50 })).toBe(
      'f.json: plan JSON field r[].provider_name holds a string of 100 characters (at most 50); refused',
    );
    expect(refusal(`{"x":["${'v'.repeat(100)}"]}`, { maxString: 50 })).toMatch(/field x\[\] holds a string of 100/);
    expect(refusal(`{"${'k'.repeat(100)}":1}`, { maxName: 50 })).toMatch(/a key of 100 characters/);
  });

  it('refuses the same with the parsed value given: escapes, __proto__, exact numbers, nesting', () => {
    expect(refusal('{"__proto__":1,"__proto__":2}')).toMatch(/the key "__proto__" twice/);
    expect(refusal('{"a\\\\":1,"b":"\\\\","c":{"a\\\\":[1,{"x":"\\"\\\\"}]}}')).toBeUndefined();
    expect(refusal('{"a\\\\":1,"a\\u005c":2}')).toMatch(/twice in one object/);
    expect(refusal('{"n":9007199254740993,"m":[1e400],"o":{"n":1}}')).toBeUndefined();
    expect(refusal('{"n":9007199254740993,"n":1}')).toMatch(/the key "n" twice/);
    expect(refusal('[[[{"a":{"b":[{"c":1,"d":2,"c":3}]}}]]]')).toMatch(/\(\[\]\[\]\[\]\.a\.b\[\]\)/);
    expect(refusal(' { "a" : 1 , "a" : 2 } ')).toMatch(/the key "a" twice/);
  });

  it('still refuses a duplicate key when Object.prototype was given an enumerable member (a polluted prototype)', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto.polluted = 1;
    try {
      // One inherited member would make up for the duplicate in a count of enumerable keys.
      expect(refusal('{"b":1,"b":2}')).toMatch(/the key "b" twice in one object/);
    } finally {
      delete proto.polluted;
    }
  });

  it('is the check of every JSON input read through parseJsonNoEcho (never quoting values)', () => {
    expect(() => parseJsonNoEcho('{"payload":"s3cr3t","payload":"x"}', 'e.json', 'envelope')).toThrow(
      /e\.json: envelope has the key "payload" twice in one object/,
    );
    expect(() => parseJsonNoEcho('{"payload":"s3cr3t","payload":"x"}', 'e.json', 'envelope')).not.toThrow(/s3cr3t/);
  });
});
