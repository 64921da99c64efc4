/**
 * The usual bucket policy document in an HCL plan (issue 26, round 5): its resources are unknown at
 * plan and only their references remain. Two uses of ONE bucket's arn are read as that bucket and its
 * objects, then compared with the bucket the policy governs; every other shape fails closed. Judged
 * on the corpus plans made by real Terraform (cases 118-120 and 125).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkPolicy } from '../../policy/check';
import { FIXTURES } from './helpers';

const CORPUS = join(FIXTURES, 'corpus');
const NOW = new Date('2025-06-01T00:00:00Z');
const names = (
  JSON.parse(readFileSync(join(CORPUS, 'cases.json'), 'utf8')) as { cases: Array<{ name: string }> }
).cases.map((c) => c.name);

/** TLS findings of a corpus case, as `address: message`. */
function tls(prefix: string): string[] {
  const name = names.find((n) => n.startsWith(prefix))!;
  const doc = JSON.parse(readFileSync(join(CORPUS, name, 'plan.json'), 'utf8')) as unknown;
  return checkPolicy({ kind: 'plan', doc, origin: name, env: 'stage', now: NOW })
    .findings.filter((f) => f.rule === 's3-bucket-tls-only')
    .map((f) => `${f.address}: ${f.message}`);
}

describe('bucket policy documents read from their references', () => {
  it("passes the document built from the bucket's own ARN, at the root and per for_each instance", () => {
    expect(tls('118-ok-')).toEqual([]);
    expect(tls('119-ok-')).toEqual([]);
  });

  it("reads another bucket's ARN as that bucket: the TLS deny does not cover this one", () => {
    expect(tls('118-bad-')).toEqual([
      'aws_s3_bucket.b: aws_s3_bucket_policy.b: the TLS deny does not cover the bucket or its objects (no statement denies every request without TLS)',
    ]);
  });

  it("resolves module-relative references per module instance, and follows a module variable to the caller's bucket", () => {
    expect(tls('120-ok-')).toEqual([]);
    expect(tls('120-bad-')).toEqual(
      ['x', 'y'].map(
        (k) =>
          `module.store["${k}"].aws_s3_bucket.b: module.store["${k}"].aws_s3_bucket_policy.b: the TLS deny does not cover the bucket or its objects (no statement denies every request without TLS)`,
      ),
    );
  });

  it('fails closed on every shape it cannot tell: a for over all buckets, one element, three, .id, a local, two buckets, count.index', () => {
    expect(tls('119-bad-').map((f) => f.split(':')[0])).toEqual(['aws_s3_bucket.f["a"]', 'aws_s3_bucket.f["b"]']);
    const unknown = tls('125-bad-');
    expect(unknown.map((f) => f.split(':')[0])).toEqual([
      'aws_s3_bucket.byid',
      'aws_s3_bucket.local',
      'aws_s3_bucket.mixed',
      'aws_s3_bucket.n[0]',
      'aws_s3_bucket.n[1]',
      'aws_s3_bucket.one',
      'aws_s3_bucket.three',
    ]);
    for (const f of unknown) expect(f).toContain('statement Resource is unknown at this stage');
  });
});
