/**
 * A construct refuses a contradiction in its constructor with one ValidationError that takes the
 * construct: one line, led by the construct path, saying what was given and what is allowed.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { join } from 'path';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { App, TerraformStack, Testing } from 'cdktf';
import { AuditLogBucket } from '../../constructs/audit-log-bucket';
import { AuditStore } from '../../constructs/audit-store';
import { HaBackend, HaBackendProps } from '../../constructs/backend-compute';
import { GuardedSecurityGroup } from '../../constructs/guarded-security-group';
import { CidrPolicy } from '../../constructs/k8s/cidr-policy';
import { K8sBaselineError } from '../../constructs/k8s/errors';
import { checkNamePrefix } from '../../constructs/naming';
import { SecureBucket } from '../../constructs/secure-bucket';
import { StorageZone, TierZone } from '../../constructs/storage-zone';
import { TIERS, TierError } from '../../constructs/tier';
import { ValidationError } from '../../core/validation-error';
import { VocabularyError } from '../../core/vocabulary';
import { refusal } from './refusal';

const REPO = join(__dirname, '..', '..');

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), 'test');
}

/** An HA backend in a fresh stack, on two subnets unless `props` says otherwise. */
function haBackend(props: Partial<HaBackendProps>): HaBackend {
  const scope = stack();
  const group = new GuardedSecurityGroup(scope, 'Sg', { vpcId: 'vpc-1', name: 'sg', description: 'sg' });
  return new HaBackend(scope, 'Backend', {
    tier: TIERS.prod,
    namePrefix: 'kfm',
    subnetIds: ['subnet-1', 'subnet-2'],
    appSecurityGroup: group,
    lbSecurityGroup: group,
    vpcId: 'vpc-1',
    instanceProfileName: 'p',
    amiId: 'ami-1',
    logBucketName: 'logs',
    ...props,
  });
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
  });
}

const OIDC = 'arn:aws:iam::' + '1'.repeat(12) + ':oidc-provider/token.actions.githubusercontent.com';

describe('ValidationError', () => {
  it('takes a construct and reports its path, leading the message', () => {
    const scope = stack();
    const error = new ValidationError('bad\nvalue', scope);
    expect(error.path).toBe('test');
    expect(error.message).toBe('test: bad value');
  });

  it('names the app root <app>, and still takes a plain string or nothing', () => {
    expect(new ValidationError('x', Testing.app()).message).toBe('<app>: x');
    expect(new ValidationError('x', 'tier prod').message).toBe('tier prod: x');
    const bare = new ValidationError('x');
    expect([bare.message, bare.path]).toEqual(['x', undefined]);
  });
});

describe('a construct contradiction', () => {
  it('fails with one line naming the construct path when a bucket policy sid is given twice', () => {
    const bucket = new SecureBucket(stack(), 'Bucket', { bucketName: 'kfm-test' });
    const error = refusal(() => bucket.addDenyToEveryone({ sid: 'DenyInsecureTransport', actions: [], resources: [] }));
    expect(error.path).toBe('test/Bucket');
    expect(error.message).toBe(
      'test/Bucket: bucket policy already has a statement with sid "DenyInsecureTransport"; give each statement its own sid',
    );
  });

  it('fails with the bucket path when a lifecycle rule id is given twice', () => {
    const bucket = new SecureBucket(stack(), 'Bucket', { bucketName: 'kfm-test' });
    expect(
      refusal(() => bucket.addColdStorageRule({ id: 'abort-incomplete-uploads', transition: [] })).message,
    ).toMatch(/^test\/Bucket: lifecycle already has a rule with id "abort-incomplete-uploads"/);
  });

  it('fails with the audit store path for a retention that is not a whole number of years', () => {
    for (const retentionYears of [0, 1.5]) {
      const error = refusal(
        () =>
          new AuditStore(stack(), 'Receipts', {
            bucketName: 'b',
            namePrefix: 'kfm',
            ciRepository: 'o/r',
            githubOidcProviderArn: OIDC,
            retentionYears,
          }),
      );
      expect(error.message).toBe(
        `test/Receipts: retentionYears is ${retentionYears}; use a whole number of years, 1 or more`,
      );
    }
  });

  it('fails with the audit store path for a CI repository that is a wildcard, not one owner/name', () => {
    for (const ciRepository of ['kansas-frontier-matrix/*', '*', 'no-slash']) {
      expect(
        refusal(
          () =>
            new AuditStore(stack(), 'Receipts', {
              bucketName: 'b',
              namePrefix: 'kfm',
              ciRepository,
              githubOidcProviderArn: OIDC,
            }),
        ).message,
      ).toMatch(
        new RegExp(`^test/Receipts: ciRepository is "${ciRepository.replace('*', '\\*')}"; use one GitHub repository`),
      );
    }
  });

  it('fails with the log bucket path for a region with no known load balancer log account', () => {
    expect(
      refusal(() => new AuditLogBucket(stack(), 'Logs', { bucketName: 'b', namePrefix: 'kfm', region: 'mars-1' }))
        .message,
    ).toMatch(/^test\/Logs: region is mars-1, which has no known ELB log-delivery account \(known: us-east-1, /);
  });

  it('fails with the zone path for a zone that is not a tier zone', () => {
    const scope = stack();
    const bucket = new SecureBucket(scope, 'Bucket', { bucketName: 'kfm-test' });
    const role = new IamRole(scope, 'Role', { name: 'r', assumeRolePolicy: '{}' });
    const error = refusal(
      () =>
        new StorageZone(scope, 'AuditZone', {
          zone: 'audit' as TierZone,
          tier: TIERS.dev,
          bucket,
          namePrefix: 'kfm',
          workloadRole: role,
          governedApiRole: role,
        }),
    );
    expect(error).toBeInstanceOf(VocabularyError);
    expect(error.message).toMatch(
      /^test\/AuditZone: zone "audit" is not a tier zone \(raw, work, processed, catalog, published\)/,
    );
  });

  it('fails with the backend path for HA compute on one subnet', () => {
    const error = refusal(() => haBackend({ subnetIds: ['subnet-1'] }));
    expect(error).toBeInstanceOf(TierError);
    expect(error.message).toBe('test/Backend: subnetIds has 1 subnet(s); ha compute needs at least two');
  });

  it('fails with the backend path for an HTTPS listener switched on without a certificate', () => {
    const tier = { ...TIERS.prod, publicIngressValidated: true, ingressCidrs: ['203.0.113.0/24'] };
    expect(refusal(() => haBackend({ tier })).message).toBe(
      'test/Backend: publicIngressValidated is true but certificateArn is unset; give the certificate',
    );
  });

  it('fails with the security group path for ingress open to the world', () => {
    const error = refusal(
      () =>
        new GuardedSecurityGroup(stack(), 'Open', {
          vpcId: 'vpc-1',
          name: 'open',
          description: 'open',
          ingress: [{ description: 'https', port: 443, cidrBlocks: ['0.0.0.0/0'] }],
        }),
    );
    expect(error.path).toBe('test/Open');
  });

  it('fails with the network policy path for a world-open CIDR', () => {
    const error = refusal(
      () =>
        new CidrPolicy(stack(), 'FromLb', {
          name: 'allow-x',
          namespace: 'kfm-api',
          direction: 'Ingress',
          cidrs: ['0.0.0.0/0'],
          ports: [{ port: 443 }],
        }),
    );
    expect(error).toBeInstanceOf(K8sBaselineError);
    expect(error.message).toBe(
      'test/FromLb: cidr "0.0.0.0/0" is open to the world; allow only private ranges of /8 or longer',
    );
  });

  it('fails with the app path for a name prefix S3 would refuse', () => {
    const app: App = Testing.app();
    expect(refusal(() => checkNamePrefix('KFM_', app)).message).toBe(
      '<app>: kfm:namePrefix is "KFM_"; use 3-32 lowercase letters, digits or hyphens (S3 bucket name rules)',
    );
  });
});

describe('constructs and stacks', () => {
  it('throw no bare Error: every refusal is a ValidationError that takes the construct', () => {
    const bare = ['constructs', 'stacks']
      .flatMap((dir) => sources(join(REPO, dir)))
      .filter((file) => /throw new Error\(/.test(readFileSync(file, 'utf8')));
    expect(bare).toEqual([]);
  });
});
