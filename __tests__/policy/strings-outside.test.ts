/**
 * `stringsOutside` (the credential rule's scan of known values without the sensitive paths) must
 * give what the rule computed before: `stringsIn` of a JSON copy with each marked member deleted.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ExactNumber } from '../../core/exact-json';
import { parsePlanDocument } from '../../terraform/plan';
import { viewFromPlan } from '../../policy/engine/from-plan';
import { plainAt, stringsIn, stringsOutside } from '../../policy/engine/view';

/** The definition: copy through JSON, delete each marked member from the copy, collect strings. */
function byCopy(values: unknown, paths: readonly string[]): string[] {
  const copy = JSON.parse(JSON.stringify(values)) as Record<string, unknown>;
  for (const p of paths) {
    const steps = p.split('.');
    const parent = plainAt(copy, steps.slice(0, -1));
    if (parent && typeof parent === 'object') delete (parent as Record<string, unknown>)[steps[steps.length - 1]!];
  }
  return stringsIn(copy);
}

const bySkip = stringsOutside;

describe('strings of known values outside the sensitive paths', () => {
  const values = {
    password: 'p-secret',
    name: 'n',
    user: [{ password: 'u-secret', login: 'l' }],
    list: ['a-secret', 'b'],
    nested: { deep: { token: 't-secret', keep: 'k' } },
    big: new ExactNumber('123456789012345678901234567890'),
    '0': 'zero',
  };

  it.each([
    [['password']],
    [['user.0.password']],
    // A one-item block read without its index, as plainAt reads it.
    [['user.password']],
    [['list.0']],
    [['nested', 'nested.deep.token']],
    [['nested.deep.token', 'nested']],
    [['0', 'missing.path', 'name.x']],
    [[]],
  ])('leaves out what deleting %j from a copy leaves out, in the same order', (paths) => {
    expect(bySkip(values, paths)).toEqual(byCopy(values, paths));
  });

  it('still finds strings the paths do not mark', () => {
    const got = bySkip(values, ['password', 'user.0.password', 'list.0', 'nested.deep.token']);
    expect(got).toEqual(expect.arrayContaining(['n', 'l', 'b', 'k', 'zero']));
    expect(got.filter((s) => s.endsWith('-secret'))).toEqual([]);
  });

  it('gives the same strings as the copy on every resource of the plan corpus', () => {
    const corpus = join(__dirname, '..', 'fixtures', 'policy', 'corpus');
    let marked = 0;
    for (const name of readdirSync(corpus)) {
      const file = join(corpus, name, 'plan.json');
      let text: Buffer;
      try {
        text = readFileSync(file);
      } catch {
        continue;
      }
      for (const r of viewFromPlan(parsePlanDocument(text, file), file).resources) {
        if (r.sensitivePaths.length) marked++;
        expect([name, r.address, bySkip(r.values, r.sensitivePaths)]).toEqual([
          name,
          r.address,
          byCopy(r.values, r.sensitivePaths),
        ]);
      }
    }
    // The corpus holds resources with sensitive paths, so the comparison can fail.
    expect(marked).toBeGreaterThan(5);
  });
});
