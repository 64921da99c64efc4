/**
 * Where a governed stack keeps its Terraform state, chosen from configuration at synth time:
 *
 *   KFM_STATE_STORE=s3://BUCKET/PREFIX   shared, locked state: the S3 backend, object
 *                                        PREFIX/<stack>.tfstate, encrypted, locked with
 *                                        Terraform's S3-native lock file (`use_lockfile`,
 *                                        Terraform >= 1.10; no DynamoDB table).
 *   AWS_ENDPOINT_URL_S3                  an S3-compatible endpoint (as the AWS tools read it): then
 *                                        path-style addressing and no STS / account / checksum calls.
 *   KFM_STATE_REGION                     the state bucket's region (default: the stack's region).
 *   KFM_STATE_ENCRYPT=0                  the documented opt-out of `encrypt` for an S3 server with no
 *                                        server-side encryption (the local radosgw of the tests).
 *   (unset)                              local state, as offline and on a laptop: a relative path
 *                                        that scripts/plan.sh points at .kfm/state/ at init.
 *
 * The bootstrap stack creates the bucket (stacks/bootstrap.ts); docs/environments.md says who may
 * read and write it.
 */
import { LocalBackend, S3Backend, S3BackendConfig, TerraformStack } from 'cdktf';
import { ValidationError } from '../core/validation-error';

export class StateStoreError extends ValidationError {}

export interface StateStore {
  readonly bucket: string;
  readonly prefix: string;
}

const STORE = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/([A-Za-z0-9!_.*'()/-]+?)\/?$/;

/** Parse `s3://BUCKET/PREFIX`; undefined when unset or empty. */
export function parseStateStore(spec: string | undefined): StateStore | undefined {
  if (spec === undefined || spec.trim() === '') return undefined;
  const m = STORE.exec(spec.trim());
  if (!m) {
    throw new StateStoreError(
      `KFM_STATE_STORE is '${spec}'; it must be s3://BUCKET/PREFIX (a bucket name and a non-empty prefix)`,
    );
  }
  return { bucket: m[1], prefix: m[2] };
}

/** The state object of one stack in the store. */
export function stateKey(store: StateStore, stackId: string): string {
  return `${store.prefix}/${stackId}.tfstate`;
}

export interface KfmStateBackendProps {
  /** Region of the stack (the state bucket's region unless KFM_STATE_REGION says otherwise). */
  readonly region: string;
  /** @default - process.env */
  readonly env?: NodeJS.ProcessEnv;
}

export function kfmStateBackend(stack: TerraformStack, id: string, props: KfmStateBackendProps): void {
  const env = props.env ?? process.env;
  const store = parseStateStore(env.KFM_STATE_STORE);
  if (!store) {
    // Relative path: deterministic synth. scripts/plan.sh points it at .kfm/state/ with -backend-config.
    new LocalBackend(stack, { path: `terraform.${id}.tfstate` });
    return;
  }
  const endpoint = env.AWS_ENDPOINT_URL_S3?.trim();
  // cdktf 0.21 predates `use_lockfile`; its backend writes every prop in snake case, so it passes as is.
  const config: S3BackendConfig & { readonly useLockfile: boolean } = {
    bucket: store.bucket,
    key: stateKey(store, id),
    region: env.KFM_STATE_REGION?.trim() || props.region,
    encrypt: env.KFM_STATE_ENCRYPT !== '0',
    useLockfile: true,
    ...(endpoint
      ? {
          endpoints: { s3: endpoint },
          usePathStyle: true,
          skipCredentialsValidation: true,
          skipRequestingAccountId: true,
          skipS3Checksum: true,
          skipRegionValidation: true,
        }
      : {}),
  };
  new S3Backend(stack, config);
}
