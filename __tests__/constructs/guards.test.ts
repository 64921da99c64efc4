/**
 * Guards built into the constructs: each contradiction of the plan fails synth with one clear line.
 * Also the documented switches: prod ingress after validation, and the prod rollback variant.
 */
import { Testing, TerraformStack } from 'cdktf';
import { GuardedSecurityGroup } from '../../constructs/guarded-security-group';
import { labelScope } from '../../constructs/labels';
import { TIERS } from '../../constructs/tier';
import { PolicyLabel, Zone } from '../../core/vocabulary';
import { buildStacks, only, resources, synthJson } from '../stacks/synth-helpers';

function oneLine(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    const message = (e as Error).message;
    expect(message).not.toMatch(/\n/);
    return message;
  }
  throw new Error('expected a throw');
}

describe('guards', () => {
  it('fails synth for a zone with an unknown policy label', () => {
    const stack = new TerraformStack(Testing.app(), 'labels');
    expect(oneLine(() => labelScope(stack, { policyLabel: 'top-secret' as PolicyLabel, zone: 'raw' }))).toMatch(
      /policy_label "top-secret" is not in the controlled vocabulary \(public, public_generalized, restricted/,
    );
    expect(oneLine(() => labelScope(stack, { policyLabel: 'internal', zone: 'attic' as Zone }))).toMatch(
      /zone "attic"/,
    );
  });

  it('fails synth for a prod tier without customer-key encryption', () => {
    const prod = { ...TIERS.prod, encryption: 's3-managed' as const };
    expect(oneLine(() => buildStacks({ tiers: { prod } }))).toBe(
      'tier prod: encryption is "s3-managed"; prod requires "kms-customer" (a customer KMS key with rotation)',
    );
  });

  it('fails synth for a prod tier with a single instance or a single-AZ database', () => {
    expect(oneLine(() => buildStacks({ tiers: { prod: { ...TIERS.prod, minInstances: 1 } } }))).toMatch(
      /minInstances >= 2/,
    );
    expect(oneLine(() => buildStacks({ tiers: { prod: { ...TIERS.prod, dbMultiAz: false } } }))).toMatch(/dbMultiAz/);
  });

  it('fails synth for a security group opened to the world', () => {
    const stack = new TerraformStack(Testing.app(), 'sg');
    for (const open of [{ cidrBlocks: ['0.0.0.0/0'] }, { ipv6CidrBlocks: ['::/0'] }]) {
      expect(
        oneLine(
          () =>
            new GuardedSecurityGroup(stack, `Open${Object.keys(open)[0]}`, {
              vpcId: 'vpc-1',
              name: 'open',
              description: 'open',
              ingress: [{ description: 'https', port: 443, ...open }],
            }),
        ),
      ).toMatch(/ingress rule "https" allows (0\.0\.0\.0\/0|::\/0); no security group may be open to the world/);
    }
  });

  it('refuses the prod ingress switch with a world CIDR even when validated', () => {
    const context = {
      'kfm:prodIngressValidated': true,
      'kfm:prodIngressCidrs': ['0.0.0.0/0'],
      'kfm:prodCertificateArn': 'arn:aws:acm:us-east-1:111122223333:certificate/abc',
    };
    expect(oneLine(() => buildStacks({}, context))).toMatch(/ingressCidrs contains 0\.0\.0\.0\/0/);
  });

  it('fails synth for a taggable resource outside any labelled scope', () => {
    const stacks = buildStacks();
    const { Vpc } = require('@cdktf/provider-aws/lib/vpc');
    new Vpc(stacks.dev, 'Stray', { cidrBlock: '10.99.0.0/16' });
    expect(oneLine(() => Testing.synth(stacks.dev))).toBe(
      'dev/Stray: aws_vpc has no policy_label/zone; wrap it in a construct that calls labelScope()',
    );
  });
});

describe('prod ingress switch', () => {
  it('adds an HTTPS listener and admits only the validated ranges once switched on', () => {
    const { json } = synthJson(
      buildStacks(
        {},
        {
          'kfm:prodIngressValidated': true,
          'kfm:prodIngressCidrs': ['203.0.113.0/24'],
          'kfm:prodCertificateArn': 'arn:aws:acm:us-east-1:111122223333:certificate/abc',
        },
      ).prod,
    );
    expect(only(json, 'aws_lb_listener')).toMatchObject({ port: 443, protocol: 'HTTPS' });
    const lbSg = Object.values(resources(json, 'aws_security_group')).find((s) => s.name === 'kfm-prod-lb');
    expect(lbSg?.ingress.map((r: { cidr_blocks: string[] }) => r.cidr_blocks)).toEqual([['203.0.113.0/24']]);
    expect(only(json, 'aws_lb').internal).toBe(true);
  });
});

describe('prod rollback variant', () => {
  const { json } = synthJson(
    buildStacks(
      { prodRollback: true },
      {
        'kfm:prodIngressValidated': true,
        'kfm:prodIngressCidrs': ['203.0.113.0/24'],
        'kfm:prodCertificateArn': 'arn:aws:acm:us-east-1:111122223333:certificate/abc',
      },
    ).prod,
  );

  it('tears down compute and disables ingress even when the switch was on', () => {
    for (const type of [
      'aws_autoscaling_group',
      'aws_launch_template',
      'aws_lb',
      'aws_lb_target_group',
      'aws_lb_listener',
      'aws_instance',
    ]) {
      expect({ type, r: resources(json, type) }).toEqual({ type, r: {} });
    }
    const lbSg = Object.values(resources(json, 'aws_security_group')).find((s) => s.name === 'kfm-prod-lb');
    expect(lbSg?.ingress).toEqual([]);
  });

  it('keeps data, keys and logs, still protected', () => {
    for (const type of ['aws_s3_bucket', 'aws_db_instance', 'aws_kms_key']) {
      expect(only(json, type).lifecycle).toEqual({ prevent_destroy: true });
    }
    expect(only(json, 'aws_cloudtrail').s3_bucket_name).toBe('kfm-audit-access-logs');
    expect(only(json, 'aws_flow_log').traffic_type).toBe('ALL');
  });
});
