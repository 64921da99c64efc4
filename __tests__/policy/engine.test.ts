import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseCidr, publicReach } from '../../policy/engine/cidr';
import { coversEveryWithPrefix, statementsOfJson, tlsDenyCoverage } from '../../policy/engine/iam';
import { credentialKinds } from '../../policy/engine/secrets';
import { splitAddress } from '../../policy/engine/view';
import { checkPolicy } from '../../policy/check';
import { FIXTURES } from './helpers';

const NOW = new Date('2025-06-01T00:00:00Z');

describe('CIDR semantics', () => {
  it.each(['0.0.0.0/0', '::/0', '::0/0', '0:0::/0', '0:0:0:0:0:0:0:0/0', '10.1.2.3/0'])('treats %s as public', (c) => {
    expect(publicReach([c]).families).toHaveLength(1);
  });
  it('treats any internet-routable range as public, not only the whole space', () => {
    expect(publicReach(['0.0.0.0/1']).families).toEqual([4]);
    expect(publicReach(['128.0.0.0/1']).families).toEqual([4]);
    expect(publicReach(['2000::/3']).families).toEqual([6]);
    expect(publicReach(['64:ff9b::/96']).families).toEqual([6]);
    expect(publicReach(['8.8.8.8/32', '2600:1f18::/32']).families).toEqual([4, 6]);
    // Every routable block listed without the private ones is still the internet.
    expect(publicReach(['11.0.0.0/8', '12.0.0.0/6']).families).toEqual([4]);
  });
  it('treats private and reserved ranges as not public', () => {
    const privateOnly = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '127.0.0.0/8'];
    expect(publicReach([...privateOnly, '169.254.0.0/16', '203.0.113.0/24', '240.0.0.0/4']).families).toEqual([]);
    expect(publicReach(['fc00::/7', 'fe80::/10', '::1/128', '2001:db8::/32', '3fff::/20']).families).toEqual([]);
    // 10.0.0.0/7 reaches 11.0.0.0/8, which is routable.
    expect(publicReach(['10.0.0.0/7']).families).toEqual([4]);
    expect(publicReach(['not-a-cidr']).invalid).toEqual(['not-a-cidr']);
  });
  it('refuses what is not a CIDR', () => {
    for (const c of ['0.0.0.0/33', '256.0.0.0/8', '1::2::3/64', 'anywhere']) expect(parseCidr(c)).toBeUndefined();
  });
});

describe('policy statement semantics', () => {
  const arn = 'arn:aws:s3:::b';
  const st = (over: Record<string, unknown>) =>
    statementsOfJson(
      JSON.stringify({
        Statement: [
          {
            Effect: 'Deny',
            Principal: '*',
            Action: 's3:*',
            Resource: [arn, `${arn}/*`],
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            ...over,
          },
        ],
      }),
    )![0];
  it('accepts a deny of every action on the bucket and its objects', () => {
    expect(tlsDenyCoverage(st({}), arn).covers).toBe(true);
    expect(tlsDenyCoverage(st({ Action: undefined, NotAction: 'ec2:*' }), arn).covers).toBe(true);
    expect(tlsDenyCoverage(st({ Resource: 'arn:aws:s3:::*' }), arn).covers).toBe(true);
  });
  it.each([
    [{ Effect: 'Allow' }],
    [{ Action: 's3:GetObject' }],
    [{ Action: undefined, NotAction: 's3:GetObject' }],
    [{ Resource: `${arn}/*` }],
    [{ Resource: [arn, `${arn}/public/*`] }],
    [{ Principal: { AWS: 'arn:aws:iam::111122223333:root' } }],
    [{ Condition: { Bool: { 'aws:SecureTransport': 'false' }, IpAddress: { 'aws:SourceIp': '10.0.0.0/8' } } }],
  ])('refuses a narrowed TLS deny %j', (over) => {
    expect(tlsDenyCoverage(st(over), arn).covers).toBe(false);
  });
  it('matches wildcards as IAM does', () => {
    expect(coversEveryWithPrefix('s3:*', 's3:', true)).toBe(true);
    expect(coversEveryWithPrefix('S3:Get*', 's3:', true)).toBe(false);
  });
});

describe('addresses and credentials', () => {
  it('splits module instance keys from the configuration address', () => {
    expect(splitAddress('module.m["a"].module.n[0].aws_s3_bucket.b["x y"]')).toEqual({
      modulePath: 'module.m["a"].module.n[0].',
      configAddress: 'module.m.module.n.aws_s3_bucket.b',
      instanceKey: 'x y',
    });
  });
  it.each([
    ['module.metadata.aws_s3_bucket.b', 'module.metadata.'],
    ['module.data.aws_s3_bucket.b', 'module.data.'],
    ['module.data.data.aws_iam_policy_document.b', 'module.data.'],
    ['module.rawdata[0].module.x.aws_s3_bucket.b', 'module.rawdata[0].module.x.'],
  ])('reads %s in the module instance %s, never as a data source', (address, modulePath) => {
    expect(splitAddress(address)).toEqual({ modulePath, configAddress: address.replace('[0]', '') });
  });
  it('reads a key holding a raw control character (a hand-made plan) as its text, never crashing', () => {
    expect(splitAddress('aws_s3_bucket.b["a\nb"]')).toEqual({
      modulePath: '',
      configAddress: 'aws_s3_bucket.b',
      instanceKey: 'a\nb',
    });
    const plan = JSON.parse(
      readFileSync(
        join(FIXTURES, 'corpus', '01-bad-for-each-bucket-whose-controls-exist-only-for-so', 'plan.json'),
        'utf8',
      ),
    );
    const first = plan.planned_values.root_module.resources[0];
    const address = `${first.address.split('[')[0]}["a\nb"]`;
    for (const r of [first, ...plan.resource_changes.filter((c: { address: string }) => c.address === first.address)])
      Object.assign(r, { address, index: 'a\nb' });
    const result = checkPolicy({ kind: 'plan', doc: plan, origin: 'plan.json', env: 'dev', now: NOW });
    expect(result.verdict).toBe('fail');
    expect(result.findings.some((f) => f.address === address)).toBe(true);
  });
  it('names credential kinds, never the text', () => {
    const key = ['AKIA', 'KFMPLANTED00001Q'].join('');
    expect(credentialKinds([`id=${key}`])).toEqual(['an AWS access key id']);
    expect(credentialKinds(['password = "kfm"', 'token: changeme-changeme'])).toEqual([]);
    expect(credentialKinds([['api_key = "', 'Zq9xK2mP7vL4nR8tW1yB', '"'].join('')])).toEqual([
      'a high-entropy secret assignment',
    ]);
  });
});

describe('new rules judge synth JSON too', () => {
  const tags = { policy_label: 'internal', zone: 'work' };
  const judge = (resource: Record<string, unknown>) =>
    checkPolicy({ kind: 'synth', doc: { resource }, origin: 'synth.json', env: 'stage', now: NOW });
  it.each([
    [
      'lb-internal-only',
      { aws_lb: { l: { name: 'l', tags } } },
      { aws_lb: { l: { name: 'l', internal: true, tags } } },
    ],
    [
      'eks-endpoint-private',
      { aws_eks_cluster: { c: { name: 'c', role_arn: 'r', vpc_config: { subnet_ids: [] }, tags } } },
      {
        aws_eks_cluster: {
          c: { name: 'c', role_arn: 'r', vpc_config: { subnet_ids: [], endpoint_public_access: false }, tags },
        },
      },
    ],
    [
      'lambda-function-url-authenticated',
      { aws_lambda_function_url: { u: { function_name: 'f', authorization_type: 'NONE' } } },
      { aws_lambda_function_url: { u: { function_name: 'f', authorization_type: 'AWS_IAM' } } },
    ],
    [
      'efs-file-system-encrypted',
      { aws_efs_file_system: { f: { tags } } },
      { aws_efs_file_system: { f: { encrypted: true, tags } } },
    ],
    [
      'docdb-cluster-encrypted',
      { aws_docdb_cluster: { d: { tags } } },
      { aws_docdb_cluster: { d: { storage_encrypted: true, tags } } },
    ],
    [
      'redshift-not-publicly-accessible',
      { aws_redshift_cluster: { r: { encrypted: true, tags } } },
      { aws_redshift_cluster: { r: { encrypted: true, publicly_accessible: false, tags } } },
    ],
    [
      'dms-replication-instance-private',
      { aws_dms_replication_instance: { d: { tags } } },
      { aws_dms_replication_instance: { d: { publicly_accessible: false, tags } } },
    ],
    [
      'default-security-group-restricts-all',
      {
        aws_default_security_group: {
          d: { vpc_id: 'v', ingress: [{ protocol: '-1', from_port: 0, to_port: 0, self: true }], tags },
        },
      },
      { aws_default_security_group: { d: { vpc_id: 'v', tags } } },
    ],
    [
      'resource-types-reviewed',
      { aws_kinesis_stream: { q: { name: 'q', tags } } },
      { aws_kms_alias: { a: { name: 'alias/a' } } },
    ],
    [
      'ancillary-resources-linked',
      {
        aws_s3_bucket_logging: {
          l: { bucket: '${var.c ? aws_s3_bucket.a.id : aws_s3_bucket.b.id}', target_bucket: 'logs' },
        },
        aws_s3_bucket: { a: { bucket: 'a', tags }, b: { bucket: 'b', tags } },
      },
      { aws_s3_bucket_logging: { l: { bucket: 'external-bucket', target_bucket: 'logs' } } },
    ],
  ])('%s: the violation fails and the twin does not fail that rule', (rule, violation, twin) => {
    expect(judge(violation).findings.map((f) => f.rule)).toContain(rule);
    expect(judge(twin).findings.map((f) => f.rule)).not.toContain(rule);
  });
});

describe('default deny for types', () => {
  const doc = {
    resource: { aws_kinesis_stream: { q: { name: 'q', tags: { policy_label: 'internal', zone: 'work' } } } },
  };
  it('warns about an unreviewed type in dev and fails it in stage, prod and without --env', () => {
    const dev = checkPolicy({ kind: 'synth', doc, origin: 'd', env: 'dev', now: NOW });
    expect(dev.verdict).toBe('pass');
    expect(dev.findings.map((f) => [f.rule, f.severity])).toEqual([['resource-types-reviewed', 'warning']]);
    for (const env of ['stage', 'prod', undefined] as const) {
      const r = checkPolicy({ kind: 'synth', doc, origin: 'd', env, now: NOW });
      expect([env, r.verdict]).toEqual([env, 'fail']);
    }
  });
});
