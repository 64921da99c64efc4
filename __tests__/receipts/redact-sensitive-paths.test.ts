import { oneSidedLeaves } from '../../receipts/redact/diff';

describe('paths beneath a sensitive value', () => {
  it('stop at the value Terraform marks sensitive: no map key below it is named', () => {
    // A create whose `tags` map is sensitive while one of its keys is known only after apply.
    const leaves = oneSidedLeaves(
      { tags: { 'KFM-CANARY-KEY': 'x' }, name: 'n' },
      { tags: true },
      { tags: { 'KFM-CANARY-KEY': true, other: true }, id: true },
      'after',
    );
    expect(leaves.unknown).toEqual(['id', 'tags']);
    expect(JSON.stringify(leaves.unknown)).not.toContain('KFM-CANARY');
    expect(leaves.sensitive.map((l) => l.path)).toEqual(['tags']);
  });
});
