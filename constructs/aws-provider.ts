/**
 * The aws provider every KFM stack uses. Region is fixed (no lookups); credentials never appear in
 * config. With `KFM_OFFLINE=1` at synth time the provider skips every call it would otherwise make
 * before planning (credential validation, account id, metadata API, region validation), so
 * `terraform validate` and `plan` work with no network and no cloud account (scripts/lib/tf-env.sh
 * exports fake credentials for that mode).
 */
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import { Construct } from 'constructs';

export interface KfmAwsProviderProps {
  /** AWS region. */
  readonly region: string;
  /**
   * Plan with no network (skip_* flags).
   * @default - true when `process.env.KFM_OFFLINE === '1'`
   */
  readonly offline?: boolean;
  /** Tags the provider adds to every taggable resource (labels are set per resource, see labels.ts). */
  readonly defaultTags: Record<string, string>;
}

export function isOffline(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.KFM_OFFLINE === '1';
}

export function kfmAwsProvider(scope: Construct, props: KfmAwsProviderProps, id = 'Aws'): AwsProvider {
  const offline = props.offline ?? isOffline();
  return new AwsProvider(scope, id, {
    region: props.region,
    defaultTags: [{ tags: props.defaultTags }],
    ...(offline
      ? {
          skipCredentialsValidation: true,
          skipRequestingAccountId: true,
          skipMetadataApiCheck: 'true',
          skipRegionValidation: true,
        }
      : {}),
  });
}

/** Alias of the provider of the replica region (constructs/bucket-replica.ts). */
export const REPLICA_PROVIDER_ALIAS = 'replica';

/** The same provider in the second region canonical stores replicate to, as alias `replica`. */
export function kfmReplicaProvider(scope: Construct, props: KfmAwsProviderProps): AwsProvider {
  const provider = kfmAwsProvider(scope, props, 'AwsReplica');
  provider.alias = REPLICA_PROVIDER_ALIAS;
  return provider;
}
