/**
 * What a reviewer sees in the PR comment (`kfm receipt show --format markdown`): destructive
 * changes first and in full, updates with paths, creates and reads grouped by type, natural
 * order, within GitHub's limit, and nothing from an address can break out of its cell.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keypair, kfm, PROV, TF, tmp } from '../helpers';
import { groupDigits, mdEscape, naturalCompare } from '../../../receipts/render/escape';

const LIFECYCLE = join(TF, 'generated-tf1.11.4', 'lifecycle');
const BASE = JSON.parse(readFileSync(join(LIFECYCLE, '2-change.show-plan.json'), 'utf8'));
const keys = keypair();
const dir = tmp('kfm-md-');
let n = 0;

function rc(address: string, type: string, name: string, actions: string[], extra: Record<string, unknown> = {}) {
  return {
    address,
    mode: 'managed',
    type,
    name,
    provider_name: 'registry.terraform.io/hashicorp/aws',
    change: {
      actions,
      before: actions.includes('delete') || actions[0] === 'update' ? { id: 'old', bucket: 'b' } : null,
      after: actions[0] === 'delete' && actions.length === 1 ? null : { id: 'new', bucket: 'b2' },
      after_unknown: {},
      before_sensitive: actions.includes('delete') || actions[0] === 'update' ? {} : false,
      after_sensitive: actions[0] === 'delete' && actions.length === 1 ? false : {},
      ...((extra.change as object) ?? {}),
    },
    ...Object.fromEntries(Object.entries(extra).filter(([k]) => k !== 'change')),
  };
}

/** Receipt a plan with these resource changes; return the receipt path. */
function receipt(changes: unknown[]): string {
  const plan = { ...BASE, resource_changes: changes, resource_drift: [] };
  const p = join(dir, `plan-${++n}.json`);
  writeFileSync(p, JSON.stringify(plan));
  const out = join(dir, `receipt-${n}.json`);
  const r = kfm(['receipt', 'plan', p, '--env', 'dev', '--key', keys.key, '--out', out, ...PROV]);
  if (r.status !== 0) throw new Error(r.stderr);
  return out;
}

function show(r: string, ...extra: string[]): string {
  const s = kfm(['receipt', 'show', r, '--pub', keys.pub, '--format', 'markdown', ...extra]);
  if (s.status !== 0) throw new Error(s.stderr);
  return s.stdout;
}

const bigPlan = (): unknown[] => {
  const creates = Array.from({ length: 10000 }, (_, i) =>
    rc(`aws_s3_bucket.b${i}`, 'aws_s3_bucket', `b${i}`, ['create']),
  );
  const deletes = Array.from({ length: 30 }, (_, i) =>
    rc(`aws_db_instance.db[${i}]`, 'aws_db_instance', 'db', ['delete'], {
      index: i,
      action_reason: 'delete_because_count_index',
    }),
  );
  const replaces = Array.from({ length: 5 }, (_, i) =>
    rc(`aws_s3_bucket.keep${i}`, 'aws_s3_bucket', `keep${i}`, ['delete', 'create'], {
      action_reason: 'replace_because_cannot_update',
      change: { replace_paths: [['bucket']] },
    }),
  );
  const updates = Array.from({ length: 3 }, (_, i) =>
    rc(`aws_s3_bucket.upd${i}`, 'aws_s3_bucket', `upd${i}`, ['update']),
  );
  return [...creates, ...updates, ...deletes.reverse(), ...replaces];
};

describe('the PR comment of a plan that creates 10,000 buckets, deletes 30 databases and replaces 5 buckets', () => {
  let md: string;
  beforeAll(() => {
    md = show(receipt(bigPlan()), '--full-link', 'https://github.com/o/r/actions/runs/1');
    writeFileSync(join(dir, 'big.md'), md);
  });

  it('stays within 65,536 characters', () => {
    expect(md.length).toBeLessThanOrEqual(65536);
  });

  it('lists every destructive change, before anything else, grouped, marked, with reason and replace paths', () => {
    const firstCreate = md.indexOf('aws&#95;s3&#95;bucket.b0');
    expect(md).toMatch(
      /\| \*\*DESTROY\*\* \| <code>aws&#95;db&#95;instance<\/code> \| count index beyond count \| 30 \|/,
    );
    const destroys = [...md.matchAll(/^\| <code>aws&#95;db&#95;instance\.db&#91;(\d+)&#93;<\/code>/gm)].map((m) =>
      Number(m[1]),
    );
    expect(destroys).toEqual(Array.from({ length: 30 }, (_, i) => i));
    const replaces = md.match(/^\| \*\*REPLACE\*\* \| <code>aws&#95;s3&#95;bucket\.keep.*$/gm) ?? [];
    expect(replaces).toHaveLength(5);
    for (const r of replaces) {
      expect(r).toContain('an attribute cannot be updated in place');
      expect(r).toContain('<code>bucket</code>');
    }
    const lastDestructive = md.lastIndexOf('aws&#95;db&#95;instance.db&#91;29&#93;');
    expect(md.indexOf('⚠️ Destructive changes (35)')).toBeGreaterThan(0);
    expect(firstCreate === -1 || firstCreate > lastDestructive).toBe(true);
    expect(md.indexOf('Update in place')).toBeGreaterThan(lastDestructive);
  });

  it('folds the creates to a count per type and links the full rendering', () => {
    expect(md).toMatch(/\| <code>aws&#95;s3&#95;bucket<\/code> \| root \| 10,000 \|/);
    expect(md).toMatch(/\*\*10,000 of 10,038 change\(s\) not shown\*\*/);
    expect(md).toContain('[full rendering](https://github.com/o/r/actions/runs/1)');
  });

  it('renders everything, grouped in <details> and in natural order, when the limit allows (job summary)', () => {
    const full = show(receipt(bigPlan()), '--max-chars', String(1 << 20));
    expect(full.length).toBeLessThanOrEqual(1 << 20);
    expect(full).toContain(
      '<details><summary><code>aws&#95;s3&#95;bucket</code> × 10,000 in the root module</summary>',
    );
    const order = [...full.matchAll(/<code>aws&#95;s3&#95;bucket\.b(\d+)<\/code>/g)].map((m) => Number(m[1]));
    expect(order).toEqual(Array.from({ length: 10000 }, (_, i) => i));
    expect(full).not.toContain('not shown');
  });
});

describe('markdown injection through an address (a for_each key)', () => {
  const evil =
    'x | **forged** | cell\n| row |\n```\n<img src=x onerror=alert(1)> [click](http://evil.example) @admin #1 <!--';
  let md: string;
  beforeAll(() => {
    md = show(
      receipt([
        rc(`aws_s3_bucket.e[${JSON.stringify(evil)}]`, 'aws_s3_bucket', 'e', ['delete'], { index: evil }),
        rc(`aws_s3_bucket.u[${JSON.stringify(evil)}]`, 'aws_s3_bucket', 'u', ['update'], { index: evil }),
        rc(`aws_s3_bucket.c[${JSON.stringify(evil)}]`, 'aws_s3_bucket', 'c', ['create'], { index: evil }),
      ]),
    );
  });

  it('keeps every table row to its own cells', () => {
    const blocks: string[][] = [];
    let prev = false;
    for (const line of md.split('\n')) {
      const row = line.startsWith('|');
      if (row && !prev) blocks.push([]);
      if (row) blocks[blocks.length - 1]!.push(line);
      prev = row;
    }
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const b of blocks) for (const line of b) expect(line.split('|').length).toBe(b[0]!.split('|').length);
    expect(md).not.toMatch(/^\| row \|/m);
  });

  it('lets no markup through: no tag, link, fence, mention or comment', () => {
    expect(md).not.toContain('<img');
    expect(md).not.toContain('](http://evil');
    expect(md).not.toContain('```');
    expect(md).not.toContain('@admin');
    expect(md).not.toContain('<!--');
    expect(md).not.toContain('**forged**');
    expect(md).toContain('&#124; &#42;&#42;forged&#42;&#42; &#124;');
  });
});

describe('escaping and ordering', () => {
  it('escapes every markdown and HTML character and makes control characters visible', () => {
    expect(mdEscape('a|b`c<d>&e[f](g)*_~\\#@!').replace(/&#\d+;/g, '')).not.toMatch(/[|`<>[\]()*_~\\#@!]/);
    expect(mdEscape('x\ny\u202Ez')).toBe('xU&#43;000AyU&#43;202Ez');
    expect(mdEscape('aws_s3 bucket.b-1/2,3=4')).toBe('aws&#95;s3 bucket.b-1/2,3=4');
    // GitHub autolinks `scheme://`, `www.` and e-mail addresses, even inside <code>.
    expect(mdEscape('https://x WWW.y a@b.c sha256:ab')).toBe('https&#58;//x WWW&#46;y a&#64;b.c sha256:ab');
  });

  it('orders b101 before b1000 and [9] before [10], and is total', () => {
    const xs = ['b1000', 'b101', 'x[10]', 'x[9]', 'b0101', 'a', 'b'];
    expect([...xs].sort(naturalCompare)).toEqual(['a', 'b', 'b0101', 'b101', 'b1000', 'x[9]', 'x[10]']);
    expect(groupDigits(10000)).toBe('10,000');
    expect(groupDigits(999)).toBe('999');
  });

  it('shows a column only when some row fills it', () => {
    const md = show(receipt([rc('aws_s3_bucket.only', 'aws_s3_bucket', 'only', ['delete'])]));
    expect(md).toContain(
      '##### Destroyed resources (1)\n\n| Resource |\n| --- |\n| <code>aws&#95;s3&#95;bucket.only</code> |',
    );
    expect(md).toContain('| **DESTROY** | <code>aws&#95;s3&#95;bucket</code> | _none recorded_ | 1 |');
  });
});

describe('construct paths from the synthesized stack (--synth cdk.tf.json)', () => {
  const synth = join(dir, 'cdk.tf.json');
  writeFileSync(
    synth,
    JSON.stringify({
      '//': { metadata: { stackName: 'dev' } },
      resource: {
        aws_iam_role: {
          CatalogZone_ReaderRole_D059CA46: {
            '//': { metadata: { path: 'dev/CatalogZone/ReaderRole', uniqueId: 'CatalogZone_ReaderRole_D059CA46' } },
            name: 'KFM-SYNTH-VALUE-NEVER-SHOWN',
          },
        },
      },
      data: { aws_caller_identity: { Current: { '//': { metadata: { path: 'dev/Current' } } } } },
    }),
  );

  it('names a resource by its construct path (no hash suffix), and never shows a value of the file', () => {
    const r = receipt([
      rc('aws_iam_role.CatalogZone_ReaderRole_D059CA46', 'aws_iam_role', 'CatalogZone_ReaderRole_D059CA46', ['delete']),
      rc('aws_s3_bucket.unmapped', 'aws_s3_bucket', 'unmapped', ['delete']),
    ]);
    const md = show(r, '--synth', synth);
    expect(md).toMatch(/^\| <code>CatalogZone\/ReaderRole<\/code> \|$/m);
    expect(md).toMatch(/^\| <code>aws&#95;s3&#95;bucket\.unmapped<\/code> \|$/m);
    expect(md).not.toContain('D059CA46</code> |');
    expect(md).not.toContain('KFM-SYNTH-VALUE');
    // Without the synthesized stack the address is shown, cdktf's hash suffix dropped.
    expect(show(r)).toMatch(/^\| <code>aws&#95;iam&#95;role\.CatalogZone&#95;ReaderRole<\/code> \|/m);
  });

  it('refuses a --synth file that is not JSON with one line naming it (exit 2)', () => {
    const bad = join(dir, 'bad.tf.json');
    writeFileSync(bad, '{"resource": KFM-SYNTH-VALUE');
    const s = kfm(['receipt', 'show', receipt([]), '--pub', keys.pub, '--synth', bad]);
    expect(s.status).toBe(2);
    expect(s.stderr.trim().split('\n')).toHaveLength(1);
    expect(s.stderr).toContain(bad);
    expect(s.stderr).not.toContain('KFM-SYNTH-VALUE');
    expect(s.stdout).toBe('');
  });
});
