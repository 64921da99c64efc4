/**
 * Each construct's documented defaults hold: leaving an optional prop out does what its `@default`
 * line says. One test per construct, named for the behaviour the default gives.
 */
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { TerraformStack, Testing } from 'cdktf';
import { AuditLogBucket } from '../../constructs/audit-log-bucket';
import { AuditStore } from '../../constructs/audit-store';
import { SingleInstanceBackend } from '../../constructs/backend-compute';
import { CustomerKey } from '../../constructs/customer-key';
import { Database } from '../../constructs/database';
import { GuardedSecurityGroup } from '../../constructs/guarded-security-group';
import { DnsEgressPolicy } from '../../constructs/k8s/dns-egress-policy';
import { NamespaceIngressPolicy } from '../../constructs/k8s/namespace-ingress-policy';
import { RestrictedNamespace } from '../../constructs/k8s/restricted-namespace';
import { WorkloadIdentity } from '../../constructs/k8s/workload-identity';
import { labelsOf } from '../../constructs/labels';
import { Monitoring } from '../../constructs/monitoring';
import { SecureBucket } from '../../constructs/secure-bucket';
import { DEFAULT_ZONE_LABELS, StorageZone, TIER_ZONES } from '../../constructs/storage-zone';
import { TIERS } from '../../constructs/tier';
import { Json, only, resources, synthJson } from '../stacks/synth-helpers';

function stack(): TerraformStack {
  return new TerraformStack(Testing.app(), 'test');
}

/** The JSON of a stack holding what `build` makes. */
function synthOf(build: (scope: TerraformStack) => void): Json {
  const scope = stack();
  build(scope);
  return synthJson(scope).json;
}

function policyStatementSids(json: Json): string[] {
  const docs = Object.values(json.data.aws_iam_policy_document) as Json[];
  return docs.flatMap((d) => d.statement.map((s: Json) => s.sid));
}

const OIDC = 'arn:aws:iam::' + '1'.repeat(12) + ':oidc-provider/token.actions.githubusercontent.com';

describe('documented defaults', () => {
  it('SecureBucket: SSE-S3, header required, no lock, no logging, noncurrent versions kept, not protected', () => {
    const json = synthOf((s) => new SecureBucket(s, 'Bucket', { bucketName: 'kfm-test' }));
    const bucket = only(json, 'aws_s3_bucket');
    expect(bucket.force_destroy).toBe(false);
    expect(bucket.lifecycle).toBeUndefined();
    expect(bucket.object_lock_enabled).toBeUndefined();
    const sse = only(json, 'aws_s3_bucket_server_side_encryption_configuration').rule[0];
    expect(sse.apply_server_side_encryption_by_default.sse_algorithm).toBe('AES256');
    expect(policyStatementSids(json)).toContain('DenyUnencryptedPuts');
    expect(resources(json, 'aws_s3_bucket_object_lock_configuration')).toEqual({});
    expect(resources(json, 'aws_s3_bucket_logging')).toEqual({});
    const rules = only(json, 'aws_s3_bucket_lifecycle_configuration').rule.map((r: Json) => r.id);
    expect(rules).toEqual(['abort-incomplete-uploads']);
  });

  it('AuditStore: every receipt version is locked for 7 years in COMPLIANCE mode', () => {
    const json = synthOf(
      (s) =>
        new AuditStore(s, 'Receipts', {
          bucketName: 'kfm-receipts',
          namePrefix: 'kfm',
          ciRepository: 'o/r',
          githubOidcProviderArn: OIDC,
        }),
    );
    expect(only(json, 'aws_s3_bucket_object_lock_configuration').rule.default_retention).toEqual({
      mode: 'COMPLIANCE',
      years: 7,
    });
  });

  it('AuditLogBucket: the log bucket is protected from destroy', () => {
    const json = synthOf(
      (s) => new AuditLogBucket(s, 'Logs', { bucketName: 'kfm-logs', namePrefix: 'kfm', region: 'us-east-1' }),
    );
    expect(only(json, 'aws_s3_bucket').lifecycle).toEqual({ prevent_destroy: true });
  });

  it('StorageZone: each zone carries its DEFAULT_ZONE_LABELS policy label', () => {
    const scope = stack();
    const bucket = new SecureBucket(scope, 'Bucket', { bucketName: 'kfm-test' });
    const role = new IamRole(scope, 'Role', { name: 'r', assumeRolePolicy: '{}' });
    for (const zone of TIER_ZONES) {
      const z = new StorageZone(scope, `${zone}Zone`, {
        zone,
        tier: TIERS.dev,
        bucket,
        namePrefix: 'kfm',
        workloadRole: role,
        governedApiRole: role,
      });
      expect(labelsOf(z.writerRole)).toEqual({ zone, policyLabel: DEFAULT_ZONE_LABELS[zone] });
    }
  });

  it('CustomerKey: rotated, deleted only after the 30-day maximum window, not protected', () => {
    const json = synthOf((s) => new CustomerKey(s, 'Key', { alias: 'kfm-test', description: 'test' }));
    const key = only(json, 'aws_kms_key');
    expect([key.enable_key_rotation, key.deletion_window_in_days, key.lifecycle]).toEqual([true, 30, undefined]);
  });

  it('GuardedSecurityGroup: no ingress, no egress, and rules default to tcp', () => {
    const json = synthOf((s) => {
      new GuardedSecurityGroup(s, 'Closed', { vpcId: 'vpc-1', name: 'closed', description: 'closed' });
      new GuardedSecurityGroup(s, 'Open', {
        vpcId: 'vpc-1',
        name: 'one-port',
        description: 'one port',
        egress: [{ description: 'db', port: 5432, cidrBlocks: ['10.0.0.0/16'] }],
      });
    });
    const [closed, onePort] = Object.values(resources(json, 'aws_security_group'));
    expect([closed.ingress, closed.egress]).toEqual([[], []]);
    expect(onePort.egress[0].protocol).toBe('tcp');
  });

  it('Monitoring: an alarm fires after 2 periods and counts missing data as breaching', () => {
    const json = synthOf((s) =>
      new Monitoring(s, 'Monitoring', { topicName: 't', alarmPrefix: 'a' }).addAlarm({
        id: 'Cpu',
        namespace: 'AWS/EC2',
        metricName: 'CPUUtilization',
        dimensions: {},
        statistic: 'Average',
        comparison: 'GreaterThanThreshold',
        threshold: 80,
        description: 'cpu',
      }),
    );
    const alarm = only(json, 'aws_cloudwatch_metric_alarm');
    expect([alarm.evaluation_periods, alarm.treat_missing_data]).toEqual([2, 'breaching']);
  });

  it('Database and SingleInstanceBackend: encrypted at rest with the AWS-managed key when no key is given', () => {
    const json = synthOf((s) => {
      const group = new GuardedSecurityGroup(s, 'Sg', { vpcId: 'vpc-1', name: 'sg', description: 'sg' });
      new Database(s, 'Database', { tier: TIERS.dev, namePrefix: 'kfm', subnetIds: ['a', 'b'], securityGroup: group });
      new SingleInstanceBackend(s, 'Backend', {
        tier: TIERS.dev,
        namePrefix: 'kfm',
        subnetIds: ['a', 'b'],
        appSecurityGroup: group,
        instanceProfileName: 'p',
        amiId: 'ami-1',
      });
    });
    const db = only(json, 'aws_db_instance');
    expect([db.storage_encrypted, db.kms_key_id]).toEqual([true, undefined]);
    const root = only(json, 'aws_instance').root_block_device;
    expect([root.encrypted, root.kms_key_id]).toEqual([true, undefined]);
  });

  it('WorkloadIdentity: the service account token is not mounted', () => {
    const json = synthOf(
      (s) =>
        new WorkloadIdentity(s, 'Workload', {
          name: 'app',
          namespace: 'kfm-api',
          rules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'], resourceNames: ['app'] }],
        }),
    );
    expect(only(json, 'kubernetes_service_account_v1').automount_service_account_token).toBe(false);
  });

  it('DnsEgressPolicy: DNS is the kube-dns pods in kube-system', () => {
    const json = synthOf((s) => new DnsEgressPolicy(s, 'Dns', { namespace: 'kfm-api' }));
    const peer = only(json, 'kubernetes_network_policy_v1').spec.egress[0].to[0];
    expect(peer.namespace_selector.match_labels).toEqual({ 'kubernetes.io/metadata.name': 'kube-system' });
    expect(peer.pod_selector.match_labels).toEqual({ 'k8s-app': 'kube-dns' });
  });

  it('NamespaceIngressPolicy: the rule applies to every pod of the namespace', () => {
    const json = synthOf(
      (s) =>
        new NamespaceIngressPolicy(s, 'P', {
          name: 'allow-x',
          namespace: 'kfm-api',
          fromNamespace: 'kfm-ingress',
          ports: [{ port: 8080 }],
        }),
    );
    const spec = only(json, 'kubernetes_network_policy_v1').spec;
    expect(spec.pod_selector).toEqual({});
    expect(spec.ingress[0].ports).toEqual([{ port: '8080', protocol: 'TCP' }]);
  });

  it('RestrictedNamespace: no zone label when no zone is given', () => {
    const json = synthOf(
      (s) => new RestrictedNamespace(s, 'Ns', { name: 'kfm-ingress', tier: 'dev', policyLabel: 'internal' }),
    );
    const labels = only(json, 'kubernetes_namespace_v1').metadata.labels;
    expect(labels['kfm.io/policy-label']).toBe('internal');
    expect(labels).not.toHaveProperty('kfm.io/zone');
  });
});
