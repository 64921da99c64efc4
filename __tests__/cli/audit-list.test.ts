/**
 * `kfm audit list` answers what a person asks first: which kind of record, for which env and
 * commit, when, signed by whom; filters narrow it; --json keeps one object per line.
 */
import { join } from 'node:path';
import { keypair, kfm, PROV, TF, tmp } from '../receipts/helpers';
import { summarizeStatement } from '../../gates/entry-summary';

const PLAN = join(TF, 'generated-tf1.11.4', 'lifecycle', '2-change.show-plan.json');
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

describe('kfm audit list', () => {
  const keys = keypair();
  const d = tmp('kfm-list-');
  const store = join(d, 'audit');
  const files: string[] = [];
  beforeAll(() => {
    for (const env of ['dev', 'stage']) {
      const out = join(d, `${env}.plan.json`);
      expect(kfm(['receipt', 'plan', PLAN, '--env', env, '--key', keys.key, '--out', out, ...PROV]).status).toBe(0);
      files.push(out);
    }
    const smoke = join(d, 'smoke.json');
    const r = kfm([
      'record',
      'smoke',
      '--env',
      'stage',
      '--check',
      'health=pass',
      '--key',
      keys.key,
      '--out',
      smoke,
      '--commit',
      COMMIT,
      '--timestamp',
      '2026-01-02T03:04:05Z',
    ]);
    expect(r.stderr).toBe('');
    files.push(smoke);
    expect(kfm(['audit', 'append', '--init', ...files, '--store', store]).status).toBe(0);
  });

  it('prints seq, kind, env, commit, time, signer key id and digest under a header', () => {
    const r = kfm(['audit', 'list', '--store', store]);
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^SEQ +KIND +ENV +COMMIT +TIME +SIGNER +DIGEST$/);
    expect(lines).toHaveLength(4);
    expect(lines[1]).toMatch(/^1 +plan +dev +0123456789ab +\S+ +[0-9a-f]{16} sha256:[0-9a-f]{64}$/);
    expect(lines[3]).toMatch(/^3 +smoke +stage +0123456789ab +2026-01-02T03:04:05(\.000)?Z +[0-9a-f]{16} sha256:/);
  });

  it('keeps the JSON keys it had and adds kind, env, commit, time, keyid, verdict', () => {
    const r = kfm(['audit', 'list', '--store', store, '--json']);
    const rows = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(rows).toHaveLength(3);
    for (const row of rows)
      expect(Object.keys(row)).toEqual(
        expect.arrayContaining([
          'seq',
          'digest',
          'payloadType',
          'predicateType',
          'kind',
          'env',
          'commit',
          'time',
          'keyid',
        ]),
      );
    expect(rows.map((x) => [x.seq, x.kind, x.env, x.verdict])).toEqual([
      [1, 'plan', 'dev', 'no policy'],
      [2, 'plan', 'stage', 'no policy'],
      [3, 'smoke', 'stage', 'pass'],
    ]);
  });

  it('filters by --env, --kind and --commit (a prefix), and refuses an unknown kind (exit 2)', () => {
    const seqs = (...a: string[]) =>
      kfm(['audit', 'list', '--store', store, '--json', ...a])
        .stdout.trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l).seq);
    expect(seqs('--env', 'stage')).toEqual([2, 3]);
    expect(seqs('--kind', 'smoke')).toEqual([3]);
    expect(seqs('--kind', 'plan', '--env', 'stage')).toEqual([2]);
    expect(seqs('--commit', '0123456')).toEqual([1, 2, 3]);
    expect(seqs('--commit', 'fffffff')).toEqual([]);
    const bad = kfm(['audit', 'list', '--store', store, '--kind', 'plans']);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/--kind must be one of plan, apply, drift, smoke, approval, promotion, other/);
  });
});

describe('entry kinds', () => {
  it.each([
    [
      'https://kfm.dev/receipts/approval/v1',
      { env: 'prod', repo: { commit: 'abc1234' }, timestamps: { approved: 't1' } },
      ['approval', 'prod', 'abc1234', 't1'],
    ],
    [
      'https://kfm.dev/receipts/promotion/v1',
      { env: 'prod', repo: { commit: 'abc1234' }, timestamps: { promoted: 't2' } },
      ['promotion', 'prod', 'abc1234', 't2'],
    ],
    ['https://example.com/x', {}, ['other', null, null, null]],
  ] as const)('%s', (predicateType, predicate, [kind, env, commit, time]) => {
    expect(summarizeStatement({ predicateType, predicate, subject: [] })).toMatchObject({ kind, env, commit, time });
  });
});
