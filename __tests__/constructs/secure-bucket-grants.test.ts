import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { TerraformStack, Testing } from 'cdktf';
import { CustomerKey } from '../../constructs/customer-key';
import { SecureBucket } from '../../constructs/secure-bucket';
import { TIERS, TierError, validateTier } from '../../constructs/tier';
import { K8sBaselineError } from '../../constructs/k8s/errors';
import { ValidationError } from '../../core/validation-error';
import { VocabularyError } from '../../core/vocabulary';
import { buildStacks, resources, synthJson } from '../stacks/synth-helpers';

type Json = Record<string, any>;

function stackWithBucket(withKey: boolean) {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'grants');
  const kmsKey = withKey ? new CustomerKey(stack, 'Key', { alias: 'k', description: 'k' }) : undefined;
  const bucket = new SecureBucket(stack, 'Bucket', { bucketName: 'kfm-test-bucket', kmsKey });
  const role = new IamRole(stack, 'Role', { name: 'r', assumeRolePolicy: '{}' });
  return { stack, bucket, role };
}

/** Statements of the policy document data source whose logical id starts with `prefix`. */
function statements(json: Json, prefix: string): Json[] {
  const docs = json.data?.aws_iam_policy_document ?? {};
  const id = Object.keys(docs).find((k) => k.startsWith(prefix));
  if (!id) throw new Error(`no policy document ${prefix}*`);
  return docs[id].statement;
}

describe('SecureBucket grants', () => {
  it('grants read of one prefix only, with no kms statement when the bucket has no customer key', () => {
    const { stack, bucket, role } = stackWithBucket(false);
    bucket.grantRead(role, 'catalog', { id: 'Reader', policyName: 'catalog-reader' });
    const { json } = synthJson(stack);
    const st = statements(json, 'Bucket_ReaderDocument');
    expect(st.map((s) => s.sid)).toEqual(['ListZonePrefix', 'ReadZone']);
    expect(st[0].condition[0].values).toEqual(['catalog/*', 'catalog/']);
    expect(st[1].actions).toEqual(['s3:GetObject', 's3:GetObjectVersion']);
    expect(st[1].resources[0]).toMatch(/\/catalog\/\*$/);
    expect(Object.values(resources(json, 'aws_iam_role_policy')).map((p) => p.name)).toEqual(['catalog-reader']);
  });

  it('grants exactly the write actions asked for, and the key actions when the bucket has a key', () => {
    const { stack, bucket, role } = stackWithBucket(true);
    bucket.grantWrite(role, 'raw', ['s3:PutObject'], { id: 'Writer', policyName: 'raw-writer' });
    const st = statements(synthJson(stack).json, 'Bucket_WriterDocument');
    expect(st.map((s) => s.sid)).toEqual(['ListZonePrefix', 'WriteZone', 'UseBucketKey']);
    expect(st[1].actions).toEqual(['s3:PutObject']);
    expect(st[2].actions).toEqual(['kms:GenerateDataKey', 'kms:Encrypt', 'kms:Decrypt']);
  });
});

describe('availability zones', () => {
  it('follows the region the stacks are built in, with no region in the tier description', () => {
    const { dev, prod } = buildStacks({ region: 'us-west-2' });
    for (const stack of [dev, prod]) {
      const azs = Object.values(resources(synthJson(stack).json, 'aws_subnet')).map((s) => s.availability_zone);
      expect(azs.sort()).toEqual(['us-west-2a', 'us-west-2b']);
    }
  });

  it('refuses a subnet whose azSuffix is not one letter', () => {
    const tier = { ...TIERS.dev, subnets: [TIERS.dev.subnets[0]!, { azSuffix: 'us-east-1b', cidr: '10.10.16.0/20' }] };
    expect(() => validateTier(tier)).toThrow(TierError);
    expect(() => validateTier(tier)).toThrow(/azSuffix must be one letter/);
  });
});

describe('validation errors', () => {
  it('share one base class that keeps the message on one line and names the construct path', () => {
    for (const E of [TierError, VocabularyError, K8sBaselineError]) {
      const e = new E('bad\nvalue', 'dev/Network');
      expect(e).toBeInstanceOf(ValidationError);
      expect(e.name).toBe(E.name);
      expect(e.message).toBe('dev/Network: bad value');
      expect(e.path).toBe('dev/Network');
    }
  });
});
