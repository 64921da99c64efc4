import { ReceiptError } from '../core/errors';
import type { AuditStore } from './store';
import { replayIndexOf } from './log-index-replay';

export interface OpenStoreOptions {
  /**
   * S3 endpoint URL (radosgw, MinIO, a VPC endpoint).
   * @default - `env.AWS_ENDPOINT_URL_S3`, else AWS's own endpoint for the region
   */
  readonly endpoint?: string;
  /**
   * The environment to read AWS settings and credentials from (only the CLI passes `process.env`).
   * @default - an empty environment: the SDK's standard credential chain decides
   */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

/**
 * Open a store from its spec: `s3://BUCKET[/PREFIX]` (endpoint from opts.endpoint or
 * opts.env's AWS_ENDPOINT_URL_S3, credentials from opts.env or the SDK's standard chain) or a
 * directory path. The S3 client is loaded only for S3 specs. This file is the factory: it imports
 * both stores and gives each the log index for its replay check when it makes it; neither
 * store imports it, so the store files form no cycle.
 */
export function openStore(spec: string, opts: OpenStoreOptions = {}): AuditStore {
  if (spec.length === 0)
    throw new ReceiptError('STORE_INVALID', '--store is empty; pass a directory or s3://BUCKET/PREFIX');
  if (/^s3:\/\//i.test(spec)) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { S3Store } = require('./s3-store') as typeof import('./s3-store');
    const env = opts.env ?? {};
    return S3Store.fromSpec(spec, opts.endpoint ?? env.AWS_ENDPOINT_URL_S3, env, { replayIndex: replayIndexOf });
  }
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(spec)) {
    throw new ReceiptError(
      'STORE_INVALID',
      `--store "${spec}": unsupported scheme; use a directory or s3://BUCKET/PREFIX`,
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { FsStore } = require('./fs-store') as typeof import('./fs-store');
  return new FsStore(spec, { replayIndex: replayIndexOf });
}
