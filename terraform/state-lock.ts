/**
 * Whether an S3 state store locks the way Terraform's S3 backend locks it (`use_lockfile`,
 * Terraform >= 1.10, constructs/state-backend.ts): Terraform takes the lock with a conditional
 * PutObject of `<state key>.tflock` carrying `If-None-Match: *`, and a second writer must be
 * refused (412 Precondition Failed). A server that ignores the header accepts both writes, and
 * two applies then write the same state at once.
 *
 * The probe does exactly that on a key of its own under the state prefix (a `.tflock` name, which
 * the plan and drift roles may write and delete, stacks/bootstrap.ts): one conditional write, a
 * second that must be refused, then it removes what it wrote (each version it created when the
 * bucket is versioned and the role may delete versions; else a plain delete, which leaves what
 * Terraform's own unlock leaves). It never touches a state or another lock file.
 *
 * Seen on the local radosgw (Ceph 16): If-None-Match is honoured in an unversioned bucket and
 * ignored in a versioned one; AWS S3 honours it in both.
 */
import { randomBytes } from 'node:crypto';
import { DeleteObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ReceiptError } from '../core/errors';

export interface LockProbeOptions {
  /**
   * S3 endpoint URL (radosgw, MinIO).
   * @default - AWS's own endpoint for the region
   */
  readonly endpoint?: string;
  /**
   * The bucket's region.
   * @default 'us-east-1'
   */
  readonly region?: string;
  /**
   * Static credentials; the SDK's standard chain when absent.
   * @default - the SDK's chain (environment, profile, SSO, instance metadata)
   */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /**
   * Ask for SSE-S3 on the probe's writes, as the backend's `encrypt = true` does.
   * @default true
   */
  readonly encrypt?: boolean;
  /** @default 10 000 */
  readonly timeoutMs?: number;
}

export interface LockProbe {
  /** `s3://BUCKET/PREFIX` as given. */
  readonly store: string;
  /** The probe object, `s3://BUCKET/PREFIX/kfm-lock-probe-<hex>.tflock`. */
  readonly probe: string;
  /** The second conditional write was refused: the store locks. */
  readonly honoured: boolean;
  /** The bucket gave the writes version ids. */
  readonly versioned: boolean;
  /** What was removed afterwards: every version written, or a delete marker over them. */
  readonly cleanup: 'removed' | 'delete-marker';
  /** One line for the operator. */
  readonly detail: string;
}

/** `s3://BUCKET/PREFIX` → bucket and prefix (no slashes at either end). */
export function parseStateStore(spec: string): { bucket: string; prefix: string } {
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(spec);
  if (!m)
    throw new ReceiptError('USAGE', `state store "${spec}": expected s3://BUCKET/PREFIX with a valid bucket name`);
  return { bucket: m[1], prefix: (m[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

const statusOf = (e: unknown): number | undefined =>
  (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;

function unavailable(where: string, op: string, e: unknown): ReceiptError {
  const err = e as { name?: string; message?: string };
  const status = statusOf(e);
  const hint =
    status === 403
      ? 'the credentials may not write *.tflock under the state prefix (the plan, drift and apply roles may: stacks/bootstrap.ts)'
      : err.name === 'NoSuchBucket'
        ? 'no such bucket: apply the bootstrap stack or fix KFM_STATE_STORE'
        : 'check AWS_ENDPOINT_URL_S3 and that the server is up';
  return new ReceiptError(
    'STORE_UNAVAILABLE',
    `S3 ${op} ${where}: ${err.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}: ${(err.message ?? String(e)).split('\n')[0]}; ${hint}`,
    { cause: e },
  );
}

/** Probe the store's locking (see the file comment). Throws STORE_UNAVAILABLE when it cannot write there. */
export async function probeStateLock(store: string, opts: LockProbeOptions = {}): Promise<LockProbe> {
  const { bucket, prefix } = parseStateStore(store);
  const key = `${prefix === '' ? '' : `${prefix}/`}kfm-lock-probe-${randomBytes(8).toString('hex')}.tflock`;
  const where = `s3://${bucket}/${key}`;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const client = new S3Client({
    endpoint: opts.endpoint || undefined,
    region: opts.region || 'us-east-1',
    forcePathStyle: opts.endpoint !== undefined && opts.endpoint !== '',
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 2,
    requestHandler: {
      connectionTimeout: Math.min(5_000, timeoutMs),
      requestTimeout: timeoutMs,
      throwOnRequestTimeout: true,
    },
    credentials: opts.credentials,
  });
  const body = JSON.stringify({ probe: 'kfm state lock-check', note: 'safe to delete' });
  const put = async (): Promise<{ versionId?: string } | 'refused'> => {
    try {
      const r = await client.send(
        new PutObjectCommand({
          Bucket: bucket,
          Key: key,
          Body: body,
          IfNoneMatch: '*',
          ContentType: 'application/json',
          ...(opts.encrypt === false ? {} : { ServerSideEncryption: 'AES256' }),
        }),
      );
      return { versionId: r.VersionId && r.VersionId !== 'null' ? r.VersionId : undefined };
    } catch (e) {
      const s = statusOf(e);
      if (s === 412 || s === 409) return 'refused';
      throw unavailable(where, 'PutObject', e);
    }
  };
  try {
    const first = await put();
    if (first === 'refused')
      throw new ReceiptError('STORE_UNAVAILABLE', `${where}: the first conditional write of a new key was refused`);
    const versions = first.versionId ? [first.versionId] : [];
    let second: Awaited<ReturnType<typeof put>>;
    try {
      second = await put();
    } catch (e) {
      await removeProbe(client, bucket, key, versions, where).catch(() => undefined);
      throw e;
    }
    if (second !== 'refused' && second.versionId) versions.push(second.versionId);
    const cleanup = await removeProbe(client, bucket, key, versions, where);
    const honoured = second === 'refused';
    const versioned = versions.length > 0;
    const detail = honoured
      ? `a second conditional write (If-None-Match: *) of ${where} was refused: Terraform's use_lockfile locks here`
      : `a second conditional write (If-None-Match: *) of ${where} was accepted: this store does NOT honour If-None-Match, so use_lockfile does not lock and two applies can write the state at once${
          versioned
            ? ' (the bucket is versioned: radosgw honours If-None-Match only in unversioned buckets; use AWS S3 or an unversioned bucket there)'
            : ''
        }`;
    return { store, probe: where, honoured, versioned, cleanup, detail };
  } finally {
    client.destroy();
  }
}

/** Remove every version the probe wrote; without the right to (403), a plain delete. */
async function removeProbe(
  client: S3Client,
  bucket: string,
  key: string,
  versions: readonly string[],
  where: string,
): Promise<LockProbe['cleanup']> {
  try {
    if (versions.length === 0) {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
      return 'removed';
    }
    for (const v of versions) await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: v }));
    return 'removed';
  } catch (e) {
    if (statusOf(e) !== 403) throw unavailable(where, 'DeleteObject', e);
    try {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
    } catch (e2) {
      throw unavailable(where, 'DeleteObject', e2);
    }
    return 'delete-marker';
  }
}
