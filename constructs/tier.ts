/**
 * Tier: the one description that drives dev, stage and prod (provisioning plan 21.03). A tier stack
 * reads only this; the differences between tiers live here and nowhere else.
 *
 *   dev    single instance, single-AZ database, one bucket (zones are prefixes), SSE-S3, flow and
 *          access logs to the audit stack's log bucket.
 *   stage  mirrors dev (same shape, separate names and state) plus validation evidence: CloudTrail
 *          with data events on the tier bucket.
 *   prod   HA auto scaling group (min 2, two AZs) behind an internal load balancer, multi-AZ
 *          database, customer KMS key with rotation, alarms to SNS, CloudTrail, prevent_destroy on
 *          stateful resources, no public ingress until `publicIngressValidated`.
 */
import { ValidationError } from '../core/validation-error';
import { TierName, TIER_NAMES, VocabularyError } from '../core/vocabulary';

/** How data at rest is encrypted. */
export type EncryptionMode = 'kms-customer' | 's3-managed';

export interface Tier {
  readonly name: TierName;
  /** VPC CIDR; tiers never overlap so they can be peered for validation later. */
  readonly vpcCidr: string;
  /**
   * The private subnets, one per availability zone. `azSuffix` is the zone's letter within the
   * stack's region (`a` is `us-east-1a` in us-east-1, `eu-west-1a` in eu-west-1), so a tier
   * description holds no region and the region is chosen once, by the stack.
   */
  readonly subnets: readonly { readonly azSuffix: string; readonly cidr: string }[];
  /** `single`: one instance; `ha`: auto scaling group behind an internal load balancer. */
  readonly compute: 'single' | 'ha';
  readonly instanceType: string;
  /** Auto scaling bounds (used when `compute` is `ha`). */
  readonly minInstances: number;
  readonly maxInstances: number;
  readonly dbInstanceClass: string;
  readonly dbAllocatedStorageGb: number;
  readonly dbMultiAz: boolean;
  readonly dbBackupRetentionDays: number;
  /** Data at rest: a customer-managed KMS key (with rotation) or S3/RDS-managed keys. */
  readonly encryption: EncryptionMode;
  /** CloudTrail (management + data events on the tier bucket) to the audit log bucket. */
  readonly cloudTrail: boolean;
  /** Days before objects under `work/` expire. */
  readonly workExpiryDays: number;
  /** Days noncurrent object versions are kept. */
  readonly noncurrentVersionDays: number;
  /** `prevent_destroy` on stateful resources (bucket, database, key) and deletion protection. */
  readonly protectState: boolean;
  /**
   * Replicate the zone bucket to the replica region (constructs/bucket-replica.ts): the region-loss
   * RPO of docs/disaster-recovery.md. dev and stage are rebuilt from code instead.
   * @default false
   */
  readonly replicate?: boolean;
  /**
   * The explicit, documented switch that allows ingress to the internal load balancer (plan 21.03:
   * no production traffic before validation). Even when true, no security group may allow
   * 0.0.0.0/0 or ::/0: ingress comes only from `ingressCidrs`.
   */
  readonly publicIngressValidated: boolean;
  /** Source ranges admitted when `publicIngressValidated` (never 0.0.0.0/0 or ::/0). */
  readonly ingressCidrs: readonly string[];
  /**
   * ACM certificate for the HTTPS listener; required when `publicIngressValidated`.
   * @default - no certificate (allowed only while `publicIngressValidated` is false)
   */
  readonly certificateArn?: string;
}

const BASE: Omit<Tier, 'name' | 'vpcCidr' | 'subnets'> = {
  compute: 'single',
  instanceType: 't3.small',
  minInstances: 1,
  maxInstances: 1,
  dbInstanceClass: 'db.t4g.micro',
  dbAllocatedStorageGb: 20,
  dbMultiAz: false,
  dbBackupRetentionDays: 1,
  encryption: 's3-managed',
  cloudTrail: false,
  workExpiryDays: 14,
  noncurrentVersionDays: 30,
  protectState: false,
  publicIngressValidated: false,
  ingressCidrs: [],
};

function subnets(second: number): Tier['subnets'] {
  return [
    { azSuffix: 'a', cidr: `10.${second}.0.0/20` },
    { azSuffix: 'b', cidr: `10.${second}.16.0/20` },
  ];
}

/** The standard description of each tier. */
export const TIERS: Readonly<Record<TierName, Tier>> = {
  dev: { ...BASE, name: 'dev', vpcCidr: '10.10.0.0/16', subnets: subnets(10) },
  stage: {
    ...BASE,
    name: 'stage',
    vpcCidr: '10.20.0.0/16',
    subnets: subnets(20),
    dbBackupRetentionDays: 7,
    cloudTrail: true,
  },
  prod: {
    ...BASE,
    name: 'prod',
    vpcCidr: '10.30.0.0/16',
    subnets: subnets(30),
    compute: 'ha',
    instanceType: 't3.medium',
    minInstances: 2,
    maxInstances: 4,
    dbInstanceClass: 'db.m6g.large',
    dbAllocatedStorageGb: 100,
    dbMultiAz: true,
    dbBackupRetentionDays: 30,
    encryption: 'kms-customer',
    cloudTrail: true,
    workExpiryDays: 30,
    noncurrentVersionDays: 365,
    protectState: true,
    replicate: true,
  },
};

/** Thrown for a tier description that contradicts the plan. One line; says what to change. */
export class TierError extends ValidationError {}

/** CIDRs that mean "the whole internet". */
export const WORLD_CIDRS: readonly string[] = ['0.0.0.0/0', '::/0'];

/** Rejects a tier that breaks the plan's invariants; returns it unchanged otherwise. */
export function validateTier(tier: Tier): Tier {
  const t = `tier ${tier.name}`;
  if (!(TIER_NAMES as readonly string[]).includes(tier.name)) {
    throw new VocabularyError(`name is not one of ${TIER_NAMES.join(', ')}`, t);
  }
  for (const s of tier.subnets) {
    if (!/^[a-z]$/.test(s.azSuffix)) {
      throw new TierError(
        `subnet azSuffix must be one letter a-z (the zone within the region), got "${s.azSuffix}"`,
        t,
      );
    }
  }
  if (tier.subnets.length < 2 || new Set(tier.subnets.map((s) => s.azSuffix)).size < 2) {
    throw new TierError(
      `needs at least two private subnets in two different AZs (the database subnet group and HA compute use both)`,
      t,
    );
  }
  if (tier.name === 'prod') {
    if (tier.encryption !== 'kms-customer') {
      throw new TierError(
        `encryption is "${tier.encryption}"; prod requires "kms-customer" (a customer KMS key with rotation)`,
        t,
      );
    }
    if (tier.compute !== 'ha' || tier.minInstances < 2) {
      throw new TierError(`compute must be "ha" with minInstances >= 2 (got ${tier.compute}, ${tier.minInstances})`, t);
    }
    if (!tier.dbMultiAz) throw new TierError(`dbMultiAz must be true`, t);
    if (!tier.protectState) throw new TierError(`protectState must be true (prevent_destroy on stateful resources)`, t);
    if (!tier.cloudTrail) throw new TierError(`cloudTrail must be true (full audit logging)`, t);
    if (tier.dbBackupRetentionDays < 7) {
      throw new TierError(`dbBackupRetentionDays is ${tier.dbBackupRetentionDays}; prod keeps at least 7`, t);
    }
  }
  if (tier.minInstances < 1 || tier.maxInstances < tier.minInstances) {
    throw new TierError(`need 1 <= minInstances <= maxInstances (got ${tier.minInstances}..${tier.maxInstances})`, t);
  }
  for (const cidr of tier.ingressCidrs) {
    if (WORLD_CIDRS.includes(cidr)) {
      throw new TierError(
        `ingressCidrs contains ${cidr}; no ingress may be open to the world, list the validated source ranges`,
        t,
      );
    }
  }
  if (tier.publicIngressValidated && (!tier.certificateArn || tier.ingressCidrs.length === 0)) {
    throw new TierError(`publicIngressValidated needs certificateArn and at least one ingressCidrs entry`, t);
  }
  if (!tier.publicIngressValidated && tier.ingressCidrs.length > 0) {
    throw new TierError(
      `ingressCidrs is set but publicIngressValidated is false; flip the switch only after validation`,
      t,
    );
  }
  return tier;
}
