/**
 * The exposure diff: for each change, the security-relevant facts before and after (ports,
 * protocols, CIDRs, principals, public flags, encryption, TLS policy, retention), never a raw value
 * of anything sensitive, from variables, provider configuration or prior state, nor anything shaped
 * like a credential. Checked on a plan that opens a port, widens a CIDR, adds a cross-account
 * principal and turns encryption off, and over every plan fixture with its canaries.
 */
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, keypair, kfm, tmp } from '../helpers';
import { exposureBlock, exposureChanges } from '../../../receipts/render/exposure';
import { receiptOf, REVIEW, synthOf } from './comment-support';

const CANARY = /KFM-CANARY|s3cr3t|my-secret|ephemeral-value|AKIA[0-9A-Z]{8}|wJalrXUtnFEMI/i;

const rc = (address: string, type: string, actions: string[], before: unknown, after: unknown, extra: object = {}) => ({
  address,
  mode: 'managed',
  type,
  name: address.split('.')[1],
  provider_name: 'registry.terraform.io/hashicorp/aws',
  change: {
    actions,
    before,
    after,
    after_unknown: {},
    before_sensitive: before ? {} : false,
    after_sensitive: after ? {} : false,
    ...extra,
  },
});
const policy = (principal: unknown) =>
  JSON.stringify({
    Version: '2012-10-17',
    Statement: [{ Effect: 'Allow', Principal: principal, Action: 's3:GetObject', Resource: '*' }],
  });
const sg = (cidr: string) => ({
  name: 'web',
  ingress: [
    {
      from_port: 443,
      to_port: 443,
      protocol: 'tcp',
      cidr_blocks: [cidr],
      ipv6_cidr_blocks: [],
      description: 'KFM-CANARY-DESCRIPTION',
    },
  ],
  egress: [],
});

/** Shapes of `terraform show -json` (1.11.4) for the four exposures, built by hand, plus canaries. */
function exposingPlan(): object {
  const base = JSON.parse(readFileSync(join(REVIEW, 'prod.plan.json'), 'utf8'));
  return {
    ...base,
    variables: { db_password: { value: 'KFM-CANARY-VARIABLE' } },
    resource_changes: [
      rc('aws_vpc_security_group_ingress_rule.Ssh', 'aws_vpc_security_group_ingress_rule', ['create'], null, {
        ip_protocol: 'tcp',
        from_port: 22,
        to_port: 22,
        cidr_ipv4: '10.0.0.0/8',
        description: 'KFM-CANARY-RULE',
      }),
      rc('aws_security_group.Web_SG_1A2B3C4D', 'aws_security_group', ['update'], sg('10.1.0.0/16'), sg('10.0.0.0/8')),
      rc(
        'aws_s3_bucket_policy.Data_Policy_0A1B2C3D',
        'aws_s3_bucket_policy',
        ['update'],
        { bucket: 'kfm-prod-data', policy: policy({ AWS: 'arn:aws:iam::111122223333:root' }) },
        {
          bucket: 'kfm-prod-data',
          policy: policy({ AWS: ['arn:aws:iam::111122223333:root', 'arn:aws:iam::444455556666:role/KFM-CANARY-ROLE'] }),
        },
      ),
      rc(
        'aws_db_instance.Database_Instance_5E6F7A8B',
        'aws_db_instance',
        ['update'],
        {
          storage_encrypted: true,
          kms_key_id: 'arn:aws:kms:us-east-2:111122223333:key/x',
          password: 'KFM-CANARY-BEFORE',
          publicly_accessible: false,
          backup_retention_period: 7,
        },
        {
          storage_encrypted: false,
          kms_key_id: '',
          password: 'KFM-CANARY-AFTER',
          publicly_accessible: false,
          backup_retention_period: 1,
          ssl_hint: 'KFM-CANARY-x',
        },
        { before_sensitive: { password: true }, after_sensitive: { password: true } },
      ),
      // A sensitive attribute holding a CIDR and an ssl policy: never read.
      rc(
        'aws_lb_listener.Front_Listener_9C8D7E6F',
        'aws_lb_listener',
        ['update'],
        { port: 443, protocol: 'HTTPS', ssl_policy: 'ELBSecurityPolicy-TLS13-1-2-2021-06' },
        { port: 443, protocol: 'HTTPS', ssl_policy: 'ELBSecurityPolicy-2016-08', cidr_blocks: ['192.168.0.0/16'] },
        { after_sensitive: { cidr_blocks: true } },
      ),
    ],
  };
}

describe('the exposure diff of a plan that opens a port, widens a CIDR, adds an account and turns encryption off', () => {
  const changes = exposureChanges(exposingPlan());
  const by = (a: string) => changes.find((c) => c.address === a)!;

  it('shows the opened port and its source range', () => {
    expect(by('aws_vpc_security_group_ingress_rule.Ssh')).toEqual(
      expect.objectContaining({ removed: [], added: ['ingress tcp port 22 from 10.0.0.0/8'] }),
    );
  });
  it('shows the widened CIDR as the old range gone and the new one added', () => {
    expect(by('aws_security_group.Web_SG_1A2B3C4D')).toEqual(
      expect.objectContaining({
        removed: ['ingress tcp port 443 from 10.1.0.0/16'],
        added: ['ingress tcp port 443 from 10.0.0.0/8'],
      }),
    );
  });
  it('shows the cross-account principal by account id only', () => {
    expect(by('aws_s3_bucket_policy.Data_Policy_0A1B2C3D').added).toEqual([
      'policy allows account 444455556666 (role)',
    ]);
  });
  it('shows encryption turned off, the KMS key dropped, retention shortened, and no password', () => {
    const db = by('aws_db_instance.Database_Instance_5E6F7A8B');
    expect(db.removed).toEqual(['KMS key set', 'backup_retention_period = 7', 'storage_encrypted = true']);
    expect(db.added).toEqual(['backup_retention_period = 1', 'no KMS key', 'storage_encrypted = false']);
  });
  it('shows a TLS policy change but nothing under a sensitive mark', () => {
    expect(by('aws_lb_listener.Front_Listener_9C8D7E6F')).toEqual(
      expect.objectContaining({
        removed: ['ssl_policy = ELBSecurityPolicy-TLS13-1-2-2021-06'],
        added: ['ssl_policy = ELBSecurityPolicy-2016-08'],
      }),
    );
  });
  it('leaks no canary, in the facts or the rendered block', () => {
    expect(JSON.stringify(changes)).not.toMatch(CANARY);
    expect(exposureBlock(changes, undefined)).not.toMatch(CANARY);
  });

  it('reaches the PR comment: a summary column and an "Exposure changes" section in prod', () => {
    const keys = keypair();
    const dir = tmp('kfm-exposure-');
    const plan = join(dir, 'prod.plan.json');
    writeFileSync(plan, JSON.stringify(exposingPlan()));
    const receipt = receiptOf(plan, 'prod', keys.key, dir);
    const r = kfm([
      'receipt',
      'comment',
      '--pub',
      keys.pub,
      '--receipt',
      `prod=${receipt}`,
      '--plan',
      `prod=${plan}`,
      '--synth',
      `prod=${synthOf('prod')}`,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/\| Policy \| Exposure changes \|/);
    expect(r.stdout).toMatch(/^\| \*\*prod\*\* \|.*\| \*\*5\*\* \|$/m);
    expect(r.stdout).toContain('#### Exposure changes (5)');
    expect(r.stdout).toContain('  - &#43; ingress tcp port 22 from 10.0.0.0/8');
    expect(r.stdout).not.toMatch(CANARY);
    // Another plan than the receipt's is refused (exit 2), naming the file.
    const other = join(REVIEW, 'prod.plan.json');
    const bad = kfm([
      'receipt',
      'comment',
      '--pub',
      keys.pub,
      '--receipt',
      `prod=${receipt}`,
      '--plan',
      `prod=${other}`,
    ]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('not the plan JSON its receipt was made from');
  });
});

describe('the leak corpus through the exposure diff', () => {
  const plans: string[] = [];
  const walk = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p);
      else if (/plan.*\.json$/.test(n)) plans.push(p);
    }
  };
  walk(join(FIXTURES));

  it('finds 0 leaks over every plan fixture (real Terraform output holding canaries, sensitive values, credentials)', () => {
    expect(plans.length).toBeGreaterThan(100);
    const canaryPlans = plans.filter((p) => CANARY.test(readFileSync(p, 'utf8')));
    expect(canaryPlans.length).toBeGreaterThan(5);
    const leaks: string[] = [];
    for (const p of plans) {
      let doc: unknown;
      try {
        doc = JSON.parse(readFileSync(p, 'utf8'));
      } catch {
        continue;
      }
      const out = JSON.stringify(exposureChanges(doc)) + exposureBlock(exposureChanges(doc), undefined);
      if (CANARY.test(out)) leaks.push(p);
    }
    expect(leaks).toEqual([]);
  });
});
