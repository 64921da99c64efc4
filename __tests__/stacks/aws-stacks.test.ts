/**
 * The AWS stacks (dev, stage, prod, audit): snapshots of every synthesized stack plus one explicit
 * assertion per security control, so an accepted snapshot update cannot silently drop a control.
 */
import { POLICY_LABELS, ZONES } from '../../core/vocabulary';
import {
  APPENDER_BUCKET_ACTIONS,
  APPENDER_DENIED_ACTIONS,
  APPENDER_OBJECT_ACTIONS,
} from '../../constructs/audit-store';
import { AwsStacks } from '../../stacks/aws';
import {
  buildStacks,
  Json,
  only,
  policyStatements,
  primaryResources,
  ref,
  resources,
  synthJson,
  taggableTypes,
} from './synth-helpers';

const TIERS = ['dev', 'stage', 'prod'] as const;
const ALL = [...TIERS, 'audit'] as const;

let stacks: AwsStacks;
const synthed: Record<string, { text: string; json: Json }> = {};

beforeAll(() => {
  stacks = buildStacks();
  for (const name of ALL) synthed[name] = synthJson(stacks[name]);
});

const json = (name: (typeof ALL)[number]) => synthed[name].json;
const allResources = (j: Json): [string, string, Json][] =>
  Object.entries(j.resource ?? {}).flatMap(([type, byId]) =>
    Object.entries(byId as Record<string, Json>).map(([id, r]) => [type, id, r] as [string, string, Json]),
  );

describe.each(ALL)('%s stack', (name) => {
  it('matches its snapshot', () => {
    expect(synthed[name].text).toMatchSnapshot();
  });

  it('tags every taggable resource with a policy_label and zone from the vocabularies', () => {
    const taggable = taggableTypes(stacks[name]);
    expect(taggable.size).toBeGreaterThanOrEqual(3);
    let checked = 0;
    for (const [type, id, r] of allResources(json(name))) {
      if (type === 'aws_autoscaling_group') {
        const tags = Object.fromEntries((r.tag as Json[]).map((t) => [t.key, t.value]));
        expect(POLICY_LABELS).toContain(tags.policy_label);
        expect(ZONES).toContain(tags.zone);
        checked++;
        continue;
      }
      if (!taggable.has(type)) continue;
      expect({ id, label: POLICY_LABELS.includes(r.tags?.policy_label) }).toEqual({ id, label: true });
      expect({ id, zone: ZONES.includes(r.tags?.zone) }).toEqual({ id, zone: true });
      checked++;
    }
    expect(checked).toBeGreaterThan(3);
  });

  it('blocks all public access, encrypts, versions and denies non-TLS on every bucket', () => {
    const j = json(name);
    const buckets = Object.keys(resources(j, 'aws_s3_bucket'));
    expect(buckets.length).toBeGreaterThan(0);
    const refs = (type: string) => Object.values(resources(j, type)).map((r) => r.bucket);
    for (const id of buckets) {
      const ref = `\${aws_s3_bucket.${id}.id}`;
      const pab = Object.values(resources(j, 'aws_s3_bucket_public_access_block')).find((r) => r.bucket === ref);
      expect(pab).toMatchObject({
        block_public_acls: true,
        block_public_policy: true,
        ignore_public_acls: true,
        restrict_public_buckets: true,
      });
      expect(refs('aws_s3_bucket_server_side_encryption_configuration')).toContain(ref);
      const versioning = Object.values(resources(j, 'aws_s3_bucket_versioning')).find((r) => r.bucket === ref);
      expect(versioning?.versioning_configuration).toEqual({ status: 'Enabled' });
      expect(refs('aws_s3_bucket_policy')).toContain(ref);
    }
    const docs = Object.values(j.data?.aws_iam_policy_document ?? {}) as Json[];
    const tls = docs.flatMap((d) => d.statement).filter((s: Json) => s.sid === 'DenyInsecureTransport');
    expect(tls).toHaveLength(buckets.length);
    for (const s of tls) {
      expect(s).toMatchObject({
        effect: 'Deny',
        condition: [{ test: 'Bool', variable: 'aws:SecureTransport', values: ['false'] }],
      });
    }
    expect(docs.flatMap((d) => d.statement).filter((s: Json) => s.sid === 'DenyWrongEncryption')).toHaveLength(
      buckets.length,
    );
  });

  it('has no security group ingress from 0.0.0.0/0 or ::/0', () => {
    for (const [, id, sg] of allResources(json(name)).filter(([t]) => t === 'aws_security_group')) {
      for (const rule of sg.ingress ?? []) {
        expect({ id, cidrs: [...(rule.cidr_blocks ?? []), ...(rule.ipv6_cidr_blocks ?? [])] }).not.toEqual(
          expect.objectContaining({ cidrs: expect.arrayContaining(['0.0.0.0/0']) }),
        );
        expect(rule.ipv6_cidr_blocks ?? []).not.toContain('::/0');
      }
    }
  });

  it('configures a fixed region, no credentials and a relative local backend', () => {
    const provider = json(name).provider.aws[0];
    expect(provider.region).toBe('us-east-1');
    for (const k of ['access_key', 'secret_key', 'token', 'profile', 'shared_credentials_files']) {
      expect(provider[k]).toBeUndefined();
    }
    expect(json(name).terraform.backend.local.path).toBe(`terraform.${name}.tfstate`);
    expect(json(name).data?.aws_availability_zones).toBeUndefined();
    expect(json(name).data?.aws_caller_identity).toBeUndefined();
    expect(json(name).data?.aws_ami).toBeUndefined();
  });
});

describe('every AWS stack together', () => {
  it("defines GitHub's OIDC provider exactly once (bootstrap): AWS allows one per account and URL", () => {
    const all = buildStacks();
    const names = [...ALL, 'bootstrap'] as const;
    const providers = names.flatMap((n) => {
      const j = n === 'bootstrap' ? synthJson(all.bootstrap).json : json(n);
      return Object.keys(resources(j, 'aws_iam_openid_connect_provider')).map((id) => `${n}:${id}`);
    });
    expect(providers).toHaveLength(1);
    expect(providers[0]).toMatch(/^bootstrap:/);
  });
});

describe.each(TIERS)('%s tier', (name) => {
  it('is one isolated network segment: private subnets only, no internet or NAT gateway', () => {
    const j = json(name);
    expect(resources(j, 'aws_internet_gateway')).toEqual({});
    expect(resources(j, 'aws_nat_gateway')).toEqual({});
    expect(resources(j, 'aws_eip')).toEqual({});
    const subnets = Object.values(resources(j, 'aws_subnet'));
    expect(subnets.length).toBeGreaterThanOrEqual(2);
    for (const s of subnets) expect(s.map_public_ip_on_launch).toBe(false);
    expect(new Set(subnets.map((s) => s.availability_zone)).size).toBeGreaterThanOrEqual(2);
    for (const rt of Object.values(resources(j, 'aws_route_table'))) expect(rt.route ?? []).toEqual([]);
    expect(only(j, 'aws_default_security_group')).toMatchObject({ ingress: [], egress: [] });
  });

  it('has exactly one bucket, logging to the audit log bucket, with VPC flow logs there too', () => {
    const j = json(name);
    expect(Object.values(primaryResources(j, 'aws_s3_bucket')).map((b) => b.bucket)).toEqual([`kfm-${name}-data`]);
    expect(only(j, 'aws_s3_bucket_logging')).toMatchObject({
      target_bucket: 'kfm-audit-access-logs',
      target_prefix: `s3-access/${name}/`,
    });
    expect(only(j, 'aws_flow_log')).toMatchObject({
      traffic_type: 'ALL',
      log_destination_type: 's3',
      log_destination: `arn:aws:s3:::kfm-audit-access-logs/flow-logs/${name}/`,
    });
  });

  it('gives each zone its own writer role and, except published, a reader role', () => {
    const names = Object.values(resources(json(name), 'aws_iam_role')).map((r) => r.name);
    for (const zone of ['raw', 'work', 'processed', 'catalog', 'published']) {
      expect(names).toContain(`kfm-${name}-${zone}-writer`);
    }
    for (const zone of ['raw', 'work', 'processed', 'catalog']) expect(names).toContain(`kfm-${name}-${zone}-reader`);
    expect(names).not.toContain(`kfm-${name}-published-reader`);
  });

  it('makes raw create-only and undeletable, processed immutable per version', () => {
    const statements = policyStatements(json(name), 'DataBucket_PolicyDocument');
    const bySid = Object.fromEntries(statements.map((s) => [s.sid, s]));
    for (const zone of ['Raw', 'Processed']) {
      expect(bySid[`${zone}DenyOverwrite`]).toMatchObject({
        effect: 'Deny',
        actions: ['s3:PutObject'],
        condition: [{ test: 'Null', variable: 's3:if-none-match', values: ['true'] }],
      });
      expect(bySid[`${zone}DenyOverwrite`].resources[0]).toMatch(new RegExp(`/${zone.toLowerCase()}/\\*$`));
    }
    expect(bySid.RawDenyDelete.actions).toEqual(['s3:DeleteObject', 's3:DeleteObjectVersion']);
    expect(bySid.ProcessedDenyVersionDelete.actions).toEqual(['s3:DeleteObjectVersion']);
    expect(bySid.DenyUnencryptedPuts).toMatchObject({
      condition: [{ test: 'Null', variable: 's3:x-amz-server-side-encryption', values: ['true'] }],
    });
  });

  it('lets only the governed API role read published and only the validator write catalog', () => {
    const bySid = Object.fromEntries(policyStatements(json(name), 'DataBucket_PolicyDocument').map((s) => [s.sid, s]));
    expect(bySid.PublishedOnlyGovernedApiReads).toMatchObject({
      effect: 'Deny',
      actions: ['s3:GetObject', 's3:GetObjectVersion'],
      condition: [
        {
          test: 'ArnNotEquals',
          variable: 'aws:PrincipalArn',
          values: [ref(json(name), 'aws_iam_role', 'Workload_Role', 'arn')],
        },
      ],
    });
    expect(bySid.CatalogOnlyValidatorWrites.condition[0].values[0]).toMatch(
      /^\$\{aws_iam_role\.CatalogZone_WriterRole_/,
    );
  });

  it('expires work objects', () => {
    const rules = only(json(name), 'aws_s3_bucket_lifecycle_configuration').rule as Json[];
    expect(rules.find((r) => r.id === 'work-expiry')).toMatchObject({
      status: 'Enabled',
      filter: [{ prefix: 'work/' }],
      expiration: [{ days: expect.any(Number) }],
    });
  });

  it('runs a private, encrypted database whose password AWS manages', () => {
    const db = only(json(name), 'aws_db_instance');
    expect(db).toMatchObject({
      publicly_accessible: false,
      storage_encrypted: true,
      manage_master_user_password: true,
      iam_database_authentication_enabled: true,
    });
    expect(db.backup_retention_period).toBeGreaterThan(0);
    expect(db.password).toBeUndefined();
  });

  it('alarms to the tier SNS topic', () => {
    const alarms = Object.values(resources(json(name), 'aws_cloudwatch_metric_alarm'));
    expect(alarms.length).toBeGreaterThanOrEqual(3);
    for (const a of alarms)
      expect(a.alarm_actions).toEqual([ref(json(name), 'aws_sns_topic', 'Monitoring_AlarmTopic', 'arn')]);
  });
});

describe('dev and stage', () => {
  it('run one instance with no public IP and IMDSv2 only', () => {
    for (const name of ['dev', 'stage'] as const) {
      expect(only(json(name), 'aws_instance')).toMatchObject({
        associate_public_ip_address: false,
        metadata_options: { http_tokens: 'required' },
        root_block_device: { encrypted: true },
      });
      expect(resources(json(name), 'aws_autoscaling_group')).toEqual({});
    }
  });

  it('stage adds audit logging (CloudTrail) that dev does not have', () => {
    expect(resources(json('dev'), 'aws_cloudtrail')).toEqual({});
    expect(only(json('stage'), 'aws_cloudtrail')).toMatchObject({
      s3_bucket_name: 'kfm-audit-access-logs',
      enable_log_file_validation: true,
    });
  });

  it('leave nothing behind on destroy: no prevent_destroy and a force-destroyable bucket', () => {
    for (const name of ['dev', 'stage'] as const) {
      for (const [, id, r] of allResources(json(name)))
        expect({ id, p: r.lifecycle?.prevent_destroy }).toEqual({ id, p: undefined });
      expect(only(json(name), 'aws_s3_bucket').force_destroy).toBe(true);
      expect(only(json(name), 'aws_db_instance')).toMatchObject({
        skip_final_snapshot: true,
        deletion_protection: false,
      });
    }
  });
});

describe('prod tier', () => {
  const j = () => json('prod');

  it('runs an auto scaling group of at least two across two subnets behind an internal load balancer', () => {
    const asg = only(j(), 'aws_autoscaling_group');
    expect(asg.min_size).toBeGreaterThanOrEqual(2);
    expect(asg.vpc_zone_identifier).toHaveLength(2);
    expect(asg.health_check_type).toBe('ELB');
    expect(only(j(), 'aws_lb')).toMatchObject({
      internal: true,
      load_balancer_type: 'application',
      drop_invalid_header_fields: true,
    });
    expect(only(j(), 'aws_launch_template').network_interfaces[0].associate_public_ip_address).toBe('false');
  });

  it('has no ingress before validation: no listener and a load balancer group with no ingress', () => {
    expect(resources(j(), 'aws_lb_listener')).toEqual({});
    const lbSg = Object.values(resources(j(), 'aws_security_group')).find((s) => s.name === 'kfm-prod-lb');
    expect(lbSg?.ingress).toEqual([]);
  });

  it('runs a multi-AZ, encrypted, deletion-protected database with backups and a final snapshot', () => {
    const db = only(j(), 'aws_db_instance');
    expect(db).toMatchObject({
      multi_az: true,
      storage_encrypted: true,
      deletion_protection: true,
      manage_master_user_password: true,
      skip_final_snapshot: false,
      kms_key_id: ref(j(), 'aws_kms_key', 'DataKey', 'arn'),
    });
    expect(db.backup_retention_period).toBeGreaterThanOrEqual(7);
  });

  it('encrypts the bucket with a rotating customer key', () => {
    expect(only(j(), 'aws_kms_key')).toMatchObject({ enable_key_rotation: true });
    const sse = only(j(), 'aws_s3_bucket_server_side_encryption_configuration');
    expect(sse.rule[0].apply_server_side_encryption_by_default).toEqual({
      sse_algorithm: 'aws:kms',
      kms_master_key_id: ref(j(), 'aws_kms_key', 'DataKey', 'arn'),
    });
  });

  it('records everything: CloudTrail to the audit log bucket and alarms on backend health', () => {
    expect(only(j(), 'aws_cloudtrail')).toMatchObject({
      s3_bucket_name: 'kfm-audit-access-logs',
      is_multi_region_trail: true,
    });
    const metrics = Object.values(resources(j(), 'aws_cloudwatch_metric_alarm')).map((a) => a.metric_name);
    expect(metrics).toEqual(
      expect.arrayContaining(['UnHealthyHostCount', 'GroupInServiceInstances', 'CPUUtilization']),
    );
  });

  it('keeps prevent_destroy on the bucket, the database and the key', () => {
    for (const type of ['aws_s3_bucket', 'aws_db_instance', 'aws_kms_key']) {
      expect({ type, p: only(j(), type).lifecycle?.prevent_destroy }).toEqual({ type, p: true });
    }
  });
});

describe('audit stack', () => {
  const j = () => json('audit');
  const receipts = () => Object.values(resources(j(), 'aws_s3_bucket')).find((b) => b.bucket === 'kfm-audit-receipts')!;

  it('locks receipts in COMPLIANCE mode by default, versioned, SSE-KMS, never destroyed', () => {
    expect(receipts()).toMatchObject({ object_lock_enabled: true, lifecycle: { prevent_destroy: true } });
    expect(only(j(), 'aws_s3_bucket_object_lock_configuration').rule.default_retention).toEqual({
      mode: 'COMPLIANCE',
      years: 7,
    });
    const sse = Object.values(primaryResources(j(), 'aws_s3_bucket_server_side_encryption_configuration')).map(
      (s) => s.rule[0].apply_server_side_encryption_by_default.sse_algorithm,
    );
    expect(sse.sort()).toEqual(['AES256', 'aws:kms']);
  });

  it('denies deleting receipts and moves them to cold storage', () => {
    const deny = policyStatements(j(), 'Receipts_Store_PolicyDocument').find((s) => s.sid === 'DenyReceiptDeletion');
    expect(deny).toMatchObject({ effect: 'Deny', principals: [{ type: '*', identifiers: ['*'] }] });
    expect(deny!.actions).toEqual(expect.arrayContaining(['s3:DeleteObject', 's3:DeleteObjectVersion']));
    const lifecycles = Object.values(resources(j(), 'aws_s3_bucket_lifecycle_configuration'));
    const classes = lifecycles.flatMap((l) =>
      l.rule.flatMap((r: Json) => (r.transition ?? []).map((t: Json) => t.storage_class)),
    );
    expect(classes).toEqual(expect.arrayContaining(['GLACIER_IR', 'DEEP_ARCHIVE', 'GLACIER']));
  });

  it('outputs the receipts bucket name for the receipt store', () => {
    expect(j().output.receipts_bucket.value).toBe(ref(j(), 'aws_s3_bucket', 'Receipts_Store_Bucket', 'bucket'));
  });

  it('grants the ledger appender exactly put/get/list and denies every way to remove or unlock a receipt', () => {
    const statements = policyStatements(j(), 'Receipts_AppenderDocument');
    const allows = statements.filter((s) => s.effect === 'Allow').flatMap((s) => s.actions);
    expect(allows.filter((a: string) => a.startsWith('s3:')).sort()).toEqual(
      [...APPENDER_OBJECT_ACTIONS, ...APPENDER_BUCKET_ACTIONS].sort(),
    );
    expect(APPENDER_OBJECT_ACTIONS).toEqual(['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion']);
    const deny = statements.find((s) => s.effect === 'Deny')!;
    expect(deny.actions.sort()).toEqual(
      [
        's3:DeleteObject',
        's3:DeleteObjectVersion',
        's3:PutObjectRetention',
        's3:PutObjectLegalHold',
        's3:BypassGovernanceRetention',
        's3:PutBucketObjectLockConfiguration',
        's3:PutBucketPolicy',
        's3:DeleteBucketPolicy',
        's3:PutLifecycleConfiguration',
      ].sort(),
    );
    expect([...APPENDER_DENIED_ACTIONS].sort()).toEqual(deny.actions.sort());
  });

  it('trusts the account GitHub OIDC provider by ARN from kfm:accountId, creating none', () => {
    const account = ['1234', '5678', '9012'].join(''); // built: the secrets scan flags account ids
    const audit = synthJson(buildStacks({}, { 'kfm:accountId': account }).audit).json;
    expect(resources(audit, 'aws_iam_openid_connect_provider')).toEqual({});
    const trust = policyStatements(audit, 'Receipts_AppenderTrust')[0];
    expect(trust.principals).toEqual([
      { type: 'Federated', identifiers: [`arn:aws:iam::${account}:oidc-provider/token.actions.githubusercontent.com`] },
    ]);
    expect(audit.provider.aws[0].allowed_account_ids).toEqual([account]);
    expect(audit.data?.aws_caller_identity).toBeUndefined();
  });

  it('trusts the repository configured as kfm:repository (docs/environments.md, First run), as bootstrap does', () => {
    const stacks = buildStacks({}, { 'kfm:repository': 'acme/infra', 'kfm:ciRepository': 'old/name' });
    const trust = policyStatements(synthJson(stacks.audit).json, 'Receipts_AppenderTrust')[0];
    const subjects = trust.condition.find((c: Json) => c.variable.endsWith(':sub')).values as string[];
    expect(subjects.every((s) => s.startsWith('repo:acme/infra:environment:'))).toBe(true);
    const older = buildStacks({}, { 'kfm:ciRepository': 'old/name' });
    const olderTrust = policyStatements(synthJson(older.audit).json, 'Receipts_AppenderTrust')[0];
    expect(olderTrust.condition.find((c: Json) => c.variable.endsWith(':sub')).values[0]).toMatch(/^repo:old\/name:/);
  });

  it('with no account configured names an account no token is exchanged through, with no lookup', () => {
    const trust = policyStatements(json('audit'), 'Receipts_AppenderTrust')[0];
    expect(trust.principals[0].identifiers).toEqual([
      `arn:aws:iam::${'0'.repeat(12)}:oidc-provider/token.actions.githubusercontent.com`,
    ]);
    expect(json('audit').data?.aws_caller_identity).toBeUndefined();
  });

  it('lets log delivery write only its own prefix of the log bucket', () => {
    const bySid = Object.fromEntries(policyStatements(j(), 'AccessLogs_Store_PolicyDocument').map((s) => [s.sid, s]));
    expect(bySid.FlowLogDelivery.resources[0]).toMatch(/\/flow-logs\/\*$/);
    expect(bySid.CloudTrailDelivery.resources[0]).toMatch(/\/cloudtrail\/\*$/);
    expect(bySid.S3ServerAccessLogs.resources[0]).toMatch(/\/s3-access\/\*$/);
    expect(bySid.DenyUnencryptedPuts).toBeUndefined();
  });
});
