/**
 * The local radosgw (scripts/s3-local.sh) for tests that need a real S3 server beside other real
 * parts (Terraform, the scripts): used when it is already running, started when KFM_REQUIRE_S3=1
 * (CI), otherwise absent (the caller skips, loudly).
 */
import { spawnSync } from 'node:child_process';
import { join, resolve } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';

const S3_LOCAL = join(resolve(__dirname, '..', '..'), 'scripts', 's3-local.sh');

export interface LocalS3 {
  /** AWS_ENDPOINT_URL_S3, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION, KFM_AUDIT_STORE. */
  readonly env: Record<string, string>;
  readonly client: S3Client;
}

/** The `export NAME='value'` lines scripts/s3-local.sh prints. */
export function parseExports(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^export ([A-Z0-9_]+)='([^']*)'$/gm)) out[m[1]] = m[2];
  return out;
}

export function localS3(): LocalS3 | undefined {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const wasUp = spawnSync('bash', [S3_LOCAL, 'status'], { encoding: 'utf8' }).status === 0;
  if (!wasUp && process.env.KFM_REQUIRE_S3 !== '1') return undefined;
  const started = spawnSync('bash', [S3_LOCAL, 'start'], { encoding: 'utf8', timeout: 300_000 });
  const env = started.status === 0 ? parseExports(started.stdout) : {};
  if (env.AWS_ENDPOINT_URL_S3 === undefined) return undefined;
  return { env, client: localS3Client(env) };
}

/** A client of the local radosgw from the exports of scripts/s3-local.sh (path style, its keys). */
export function localS3Client(env: Record<string, string | undefined>): S3Client {
  return new S3Client({
    endpoint: env.AWS_ENDPOINT_URL_S3,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: env.AWS_SECRET_ACCESS_KEY ?? '' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
}
