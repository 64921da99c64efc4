/**
 * The exposure facts a plan receipt records (`predicate.exposure`, computed by the policy pack's
 * exposure view, policy/engine/exposure.ts): for each change, the security-relevant facts before
 * and after (ports, protocols, CIDRs, principals, public flags, encryption, TLS policy,
 * retention), never a raw value of anything sensitive, from variables, provider configuration or
 * prior state, nor anything shaped like a credential. Checked on a real Terraform plan that opens
 * a port, widens a CIDR, adds a cross-account principal and turns encryption off
 * (fixtures/receipts/seeded/exposure), on hand-made shapes the real plan cannot hold, and over the
 * leak corpus (every plan fixture with its canaries, and the policy corpus with its planted
 * credentials) through the receipt's field.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createHash, createPrivateKey } from 'node:crypto';
import { join } from 'node:path';
import { FIXTURES, keypair, kfm, REPO, tmp } from '../helpers';
import { exposureBlock } from '../../../receipts/render/exposure';
import { exposureChanges, exposureChangesOfPlan } from '../../../policy/engine/exposure';
import { buildPlanStatement, PlanPredicate, ReceiptContext } from '../../../receipts/plan/build-plan-receipt';
import { deriveCommitmentKey } from '../../../receipts/redact/commitment';
import { sha256Tagged } from '../../../core/digest';
import { guardNesting, parsePlanDocument } from '../../../terraform/plan';
import { validatePredicate } from '../../../attest/validate';
import { PREDICATE_TYPES } from '../../../attest/predicate-types';
import { PLANTED_VALUES } from '../../../scripts/fixtures/policy-corpus-planted';
import { receiptOf, REVIEW, synthOf } from './comment-support';

const SEEDED = join(FIXTURES, 'seeded', 'exposure', 'plan.json');

const seed = createHash('sha256').update('kfm exposure test key (public, test only)').digest();
const ctx: ReceiptContext = {
  env: 'prod',
  repo: { commit: 'abcdef1', branch: 'main', source: 'flag', branch_source: 'flag' },
  actor: { principal: 'test', method: 'ci', source: 'flag' },
  commitmentKey: deriveCommitmentKey(
    createPrivateKey({
      key: Buffer.concat([Buffer.from('302e020100300506032b657004220420', 'hex'), seed]),
      format: 'der',
      type: 'pkcs8',
    }),
  ),
};

/** The plan receipt's predicate of a plan JSON text, its exposure computed as `kfm receipt plan` does. */
function receiptPredicate(text: string, source: string): PlanPredicate {
  const bytes = Buffer.from(text);
  const doc = parsePlanDocument(bytes, source);
  const inputs = { planJsonName: 'plan.json', planJsonDigest: sha256Tagged(bytes) };
  return guardNesting(source, 'plan JSON', () =>
    buildPlanStatement(doc, source, inputs, ctx, null, exposureChanges(doc.resource_changes)),
  ).predicate;
}

describe('the receipt of a real Terraform plan that opens a port, widens a CIDR, adds an account and turns encryption off', () => {
  const predicate = receiptPredicate(readFileSync(SEEDED, 'utf8'), SEEDED);
  const by = (a: string) => predicate.exposure?.find((c) => c.address === a);

  it('records the facts in the receipt, valid against the plan receipt schema', () => {
    expect(predicate.exposure?.map((c) => c.address)).toEqual([
      'aws_db_instance.db',
      'aws_ebs_volume.data',
      'aws_s3_bucket_policy.data',
      'aws_security_group.web',
      'aws_vpc_security_group_ingress_rule.ssh',
    ]);
    expect(() =>
      validatePredicate(PREDICATE_TYPES.plan, JSON.parse(JSON.stringify(predicate)), 'receipt'),
    ).not.toThrow();
  });
  it('shows the opened port and its source range', () => {
    expect(by('aws_vpc_security_group_ingress_rule.ssh')).toEqual(
      expect.objectContaining({ removed: [], added: ['ingress tcp port 22 from 10.0.0.0/8'] }),
    );
  });
  it('shows the widened CIDR as the old range gone and the new one added', () => {
    expect(by('aws_security_group.web')).toEqual(
      expect.objectContaining({
        removed: ['ingress tcp port 443 from 10.1.0.0/16'],
        added: ['ingress tcp port 443 from 10.0.0.0/8'],
      }),
    );
  });
  it('shows the cross-account principal by account id and kind only', () => {
    expect(by('aws_s3_bucket_policy.data')).toEqual(
      expect.objectContaining({ removed: [], added: ['policy allows account 444455556666 (role)'] }),
    );
  });
  it('shows encryption turned off and the KMS key dropped (never which key)', () => {
    expect(by('aws_ebs_volume.data')).toEqual(
      expect.objectContaining({ removed: ['KMS key set', 'encrypted = true'], added: ['encrypted = false'] }),
    );
  });
  it('shows the shortened retention of a database and nothing of its password (sensitive variable, prior state)', () => {
    expect(by('aws_db_instance.db')).toEqual(
      expect.objectContaining({ removed: ['backup_retention_period = 7'], added: ['backup_retention_period = 1'] }),
    );
    expect(JSON.stringify(predicate)).not.toMatch(CANARY);
    expect(JSON.stringify(predicate.exposure)).not.toMatch(/password|kfm/);
  });
  it('has no field when the plan has no exposure change: the receipt keeps its bytes', () => {
    const plain = receiptPredicate(readFileSync(join(REVIEW, 'dev.plan.json'), 'utf8'), 'dev.plan.json');
    const none = receiptPredicate(
      readFileSync(join(FIXTURES, 'generated', 'modules-odd-keys', '2-change.show-plan.json'), 'utf8'),
      'odd',
    );
    expect('exposure' in none).toBe(false);
    expect(plain.exposure?.length).toBeGreaterThan(0);
  });
});

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

/** Shapes of `terraform show -json` (1.11.4) a real offline plan cannot hold (a sensitive CIDR, a TLS policy), plus canaries. */
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

describe('the exposure view on hand-made shapes', () => {
  const changes = exposureChangesOfPlan(exposingPlan());
  const by = (a: string) => changes.find((c) => c.address === a)!;

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
});

describe('the PR comment reads the facts from the receipt', () => {
  it('shows a summary column and an "Exposure changes" section in prod, without the plan JSON', () => {
    const keys = keypair();
    const dir = tmp('kfm-exposure-');
    const receipt = receiptOf(SEEDED, 'prod', keys.key, dir);
    const facts = JSON.parse(Buffer.from(JSON.parse(readFileSync(receipt, 'utf8')).payload, 'base64').toString())
      .predicate.exposure;
    expect(facts).toHaveLength(5);
    const base = ['receipt', 'comment', '--pub', keys.pub, '--receipt', `prod=${receipt}`];
    const r = kfm([...base, '--synth', `prod=${synthOf('prod')}`]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/\| Policy \| Exposure changes \|/);
    expect(r.stdout).toMatch(/^\| \*\*prod\*\* \|.*\| \*\*5\*\* \|$/m);
    expect(r.stdout).toContain('#### Exposure changes (5)');
    expect(r.stdout).toContain('  - &#43; ingress tcp port 22 from 10.0.0.0/8');
    expect(r.stdout).toContain('  - &#43; policy allows account 444455556666 &#40;role&#41;');
    expect(r.stdout).not.toMatch(CANARY);
    // Another plan than the receipt's is refused (exit 2), naming the file.
    const bad = kfm([...base, '--plan', `prod=${join(REVIEW, 'prod.plan.json')}`]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('not the plan JSON its receipt was made from');
  });
});

describe("the leak corpus through the receipt's exposure field", () => {
  const plans: string[] = [];
  const walkPlans = (d: string): void => {
    for (const n of readdirSync(d)) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walkPlans(p);
      else if (/plan.*\.json$/.test(n)) plans.push(p);
    }
  };
  walkPlans(FIXTURES);
  walkPlans(join(REPO, '__tests__', 'fixtures', 'policy'));
  const planted = PLANTED_VALUES.map(([, v]) => v);
  const fill = (text: string): string => PLANTED_VALUES.reduce((t, [ph, v]) => t.split(ph).join(v), text);
  const leaks = (text: string): boolean => CANARY.test(text) || planted.some((v) => text.includes(v));

  it('finds 0 leaks over every plan fixture (real Terraform output holding canaries, sensitive values, planted credentials)', () => {
    expect(plans.length).toBeGreaterThan(300);
    const texts = plans.map((p) => fill(readFileSync(p, 'utf8')));
    expect(texts.filter((t) => CANARY.test(t)).length).toBeGreaterThan(5);
    expect(texts.filter((t) => planted.some((v) => t.includes(v))).length).toBeGreaterThan(5);
    const found: string[] = [];
    let withFacts = 0;
    plans.forEach((p, i) => {
      let predicate: PlanPredicate;
      try {
        predicate = receiptPredicate(texts[i]!, p);
      } catch {
        return; // not a plan this tool receipts (refused inputs): other tests cover those
      }
      if (!predicate.exposure) return;
      withFacts++;
      if (leaks(JSON.stringify(predicate.exposure) + exposureBlock(predicate.exposure, undefined))) found.push(p);
    });
    expect(withFacts).toBeGreaterThan(50);
    expect(found).toEqual([]);
  });
});
