/**
 * The findings of the policy check on the whole corpus stay exactly those recorded before any speed
 * work (scripts/fixtures/policy-findings.ts wrote the golden file from the code as it was).
 */
import { readFileSync } from 'node:fs';
import { GOLDEN, corpusFindingsText } from '../../scripts/fixtures/policy-findings';

describe('findings on the whole policy corpus', () => {
  const golden = readFileSync(GOLDEN, 'utf8');
  const now = corpusFindingsText();

  it('are the findings recorded in the golden file, line for line', () => {
    const a = golden.split('\n');
    const b = now.split('\n');
    const differs = a.findIndex((line, i) => line !== b[i]);
    const first = differs === -1 ? Math.min(a.length, b.length) : differs;
    // Name the first differing line, so a failure says which input and finding moved.
    expect(a.length === b.length && differs === -1 ? 'same' : `line ${first + 1}: ${b[first]}`).toBe('same');
  });

  it('judges every input under four envs and holds failing verdicts, so a lost finding shows', () => {
    const headers = golden.split('\n').filter((l) => l.startsWith('{'));
    expect(headers.length).toBeGreaterThanOrEqual(4 * 100);
    expect(headers.filter((h) => h.includes('"verdict":"fail"')).length).toBeGreaterThan(100);
    expect(golden.split('\n').filter((l) => l.startsWith('  {')).length).toBeGreaterThan(300);
  });
});
