/**
 * StorageZone: one truth-path zone (seed 000: raw, work, processed, catalog, published) as a prefix
 * of a tier's single bucket, with real controls rather than a folder name:
 *
 *   raw        immutable acquisitions: the bucket policy denies every delete under raw/ and every
 *              put that is not a conditional create (`If-None-Match: *`, condition key
 *              `s3:if-none-match`), so an existing object can never be overwritten; the writer
 *              role has s3:PutObject only.
 *   work       rewritable intermediates and quarantine (work/quarantine/): writer may put and
 *              delete; everything expires after the tier's `workExpiryDays`.
 *   processed  immutable per version: conditional creates only and no version may be deleted;
 *              each release goes to a new versioned key.
 *   catalog    validated: only the catalog writer role (the validator job) may write; the bucket
 *              policy denies writes from any other principal.
 *   published  readable only by the governed API role (bucket policy denies reads from any other
 *              principal), written only by the publisher role; never public (the bucket blocks
 *              public access).
 *
 * Each zone gets least-privilege writer and reader roles (published: writer only; its reader is the
 * governed API role), assumable only by the tier's workload role. Everything is tagged with the
 * zone and its policy label.
 */
import { DataAwsIamPolicyDocument } from '@cdktf/provider-aws/lib/data-aws-iam-policy-document';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { Construct } from 'constructs';
import { labelScope } from './labels';
import { GrantOptions, SecureBucket, WriteAction } from './secure-bucket';
import { Tier } from './tier';
import { PolicyLabel, VocabularyError } from '../core/vocabulary';

/** The zones a tier bucket holds (`audit` lives in the audit stack). */
export const TIER_ZONES = ['raw', 'work', 'processed', 'catalog', 'published'] as const;
export type TierZone = (typeof TIER_ZONES)[number];

/** The policy label each zone carries unless told otherwise. */
export const DEFAULT_ZONE_LABELS: Readonly<Record<TierZone, PolicyLabel>> = {
  raw: 'restricted',
  work: 'quarantine',
  processed: 'internal',
  catalog: 'internal',
  published: 'public_generalized',
};

/** What each zone's writer role may do to its objects (reads go to the reader role). */
const WRITER_ACTIONS: Readonly<Record<TierZone, readonly WriteAction[]>> = {
  raw: ['s3:PutObject'],
  work: ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion', 's3:DeleteObject'],
  processed: ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion'],
  catalog: ['s3:PutObject', 's3:GetObject', 's3:GetObjectVersion', 's3:DeleteObject'],
  published: ['s3:PutObject', 's3:DeleteObject'],
};

export interface StorageZoneProps {
  /** The zone; one of TIER_ZONES (`audit` lives in the audit stack). */
  readonly zone: TierZone;
  readonly tier: Tier;
  /** The tier bucket this zone is a prefix of; its grants give the zone's roles their access (and its key). */
  readonly bucket: SecureBucket;
  /** Name prefix (constructs/naming.ts). */
  readonly namePrefix: string;
  /** The workload role that may assume this zone's roles. */
  readonly workloadRole: IamRole;
  /** The governed API role: the only reader of `published`. */
  readonly governedApiRole: IamRole;
  /**
   * `policy_label` of this zone's data and resources.
   * @default - the zone's entry in DEFAULT_ZONE_LABELS (raw restricted, work quarantine, processed and
   * catalog internal, published public_generalized)
   */
  readonly policyLabel?: PolicyLabel;
}

export class StorageZone extends Construct {
  readonly zone: TierZone;
  readonly prefix: string;
  readonly writerRole: IamRole;
  /** Undefined for `published`, whose only reader is the governed API role. */
  readonly readerRole?: IamRole;

  constructor(scope: Construct, id: string, props: StorageZoneProps) {
    super(scope, id);
    const zone = (this.zone = checkTierZone(props.zone, this));
    this.prefix = zone;
    labelScope(this, { zone, policyLabel: props.policyLabel ?? DEFAULT_ZONE_LABELS[zone] });
    const trust = new DataAwsIamPolicyDocument(this, 'TrustPolicy', {
      statement: [
        {
          effect: 'Allow',
          actions: ['sts:AssumeRole'],
          principals: [{ type: 'AWS', identifiers: [props.workloadRole.arn] }],
        },
      ],
    });
    const { bucket } = props;
    this.writerRole = this.role('Writer', this.roleName(props, 'writer'), trust);
    bucket.grantWrite(this.writerRole, zone, WRITER_ACTIONS[zone], this.grantAs(props, 'Writer', 'writer'));
    if (zone === 'published') {
      bucket.grantRead(props.governedApiRole, zone, this.grantAs(props, 'GovernedApiRead', 'read'));
    } else {
      this.readerRole = this.role('Reader', this.roleName(props, 'reader'), trust);
      bucket.grantRead(this.readerRole, zone, this.grantAs(props, 'Reader', 'reader'));
    }
    this.guardObjects(props);
  }

  /** `<prefix>-<tier>-<zone>-<role>`: the zone's role and inline-policy names. */
  private roleName(props: StorageZoneProps, role: string): string {
    return `${props.namePrefix}-${props.tier.name}-${this.zone}-${role}`;
  }

  private grantAs(props: StorageZoneProps, id: string, role: string): GrantOptions {
    return { scope: this, id, policyName: this.roleName(props, role) };
  }

  private role(id: string, roleName: string, trust: DataAwsIamPolicyDocument): IamRole {
    return new IamRole(this, `${id}Role`, { name: roleName, assumeRolePolicy: trust.json, maxSessionDuration: 3600 });
  }

  /** The zone's own rule in the bucket policy or lifecycle (see the file header). */
  private guardObjects({ bucket, tier, governedApiRole }: StorageZoneProps): void {
    const zone = this.zone;
    const objects = [bucket.objectsArn(zone)];
    const sid = (s: string) => `${zone[0].toUpperCase()}${zone.slice(1)}${s}`;
    const createOnly = () =>
      bucket.addDenyToEveryone({
        sid: sid('DenyOverwrite'),
        actions: ['s3:PutObject'],
        resources: objects,
        condition: [{ test: 'Null', variable: 's3:if-none-match', values: ['true'] }],
      });
    const onlyPrincipal = (suffix: string, actions: string[], arn: string) =>
      bucket.addDenyToEveryone({
        sid: sid(suffix),
        actions,
        resources: objects,
        condition: [{ test: 'ArnNotEquals', variable: 'aws:PrincipalArn', values: [arn] }],
      });
    switch (zone) {
      case 'raw':
        createOnly();
        bucket.addDenyToEveryone({
          sid: sid('DenyDelete'),
          actions: ['s3:DeleteObject', 's3:DeleteObjectVersion'],
          resources: objects,
        });
        break;
      case 'work':
        bucket.addLifecycleRule({
          id: 'work-expiry',
          status: 'Enabled',
          filter: [{ prefix: `${zone}/` }],
          expiration: [{ days: tier.workExpiryDays }],
          noncurrentVersionExpiration: [{ noncurrentDays: 1 }],
        });
        break;
      case 'processed':
        createOnly();
        bucket.addDenyToEveryone({
          sid: sid('DenyVersionDelete'),
          actions: ['s3:DeleteObjectVersion'],
          resources: objects,
        });
        break;
      case 'catalog':
        onlyPrincipal('OnlyValidatorWrites', ['s3:PutObject', 's3:DeleteObject'], this.writerRole.arn);
        break;
      case 'published':
        onlyPrincipal('OnlyGovernedApiReads', ['s3:GetObject', 's3:GetObjectVersion'], governedApiRole.arn);
        onlyPrincipal('OnlyPublisherWrites', ['s3:PutObject', 's3:DeleteObject'], this.writerRole.arn);
        break;
    }
  }
}

/** The zone, if it is a tier zone; typed props say so, but a value from context or JavaScript is checked. */
function checkTierZone(zone: string, scope: Construct): TierZone {
  if (!(TIER_ZONES as readonly string[]).includes(zone)) {
    throw new VocabularyError(
      `zone "${zone}" is not a tier zone (${TIER_ZONES.join(', ')}); audit lives in the audit stack`,
      scope,
    );
  }
  return zone as TierZone;
}
