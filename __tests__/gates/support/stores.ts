/**
 * The two stores the gates are attacked on: a directory and the real local radosgw (with Object
 * Lock, from scripts/s3-local.sh). Raw access is what an appender has: put an object (a new
 * version on S3) and delete one (a delete marker on S3). When S3 cannot start, its half is
 * skipped loudly, unless KFM_REQUIRE_S3=1.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { localS3Client } from '../../support/local-s3';
import { REPO, tempDir } from '../../ledger/helpers';

export interface RawStore {
  readonly kind: 'directory' | 'S3';
  readonly env: NodeJS.ProcessEnv;
  newSpec(label: string): string;
  put(spec: string, path: string, bytes: Buffer): Promise<void>;
  remove(spec: string, path: string): Promise<void>;
}

export const fsStore: RawStore = {
  kind: 'directory',
  env: { ...process.env },
  newSpec: (label) => join(tempDir(`gates-${label}`), 'audit'),
  put: async (spec, path, bytes) => {
    const p = join(spec, path);
    if (existsSync(p)) chmodSync(p, 0o644);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, bytes);
  },
  remove: async (spec, path) => unlinkSync(join(spec, path)),
};

/** The local radosgw as a RawStore, or why it is not available. */
export function s3Store(): RawStore | string {
  const started = spawnSync('bash', [join(REPO, 'scripts', 's3-local.sh'), 'start'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  const env: Record<string, string> = {};
  for (const m of (started.stdout ?? '').matchAll(/^export ([A-Z0-9_]+)='([^']*)'$/gm)) env[m[1]!] = m[2]!;
  if (started.status !== 0 || env.KFM_AUDIT_STORE === undefined)
    return `scripts/s3-local.sh start exited ${started.status}: ${(started.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`;
  const bucket = env.KFM_AUDIT_STORE.replace(/^s3:\/\//, '').split('/')[0]!;
  const client = localS3Client(env);
  const run = `gates-${Date.now().toString(36)}`;
  const key = (spec: string, path: string) => `${spec.slice(`s3://${bucket}/`.length)}/${path}`;
  return {
    kind: 'S3',
    env: { ...process.env, ...env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
    newSpec: (label) => `s3://${bucket}/${run}-${label}`,
    put: async (spec, path, bytes) => {
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: key(spec, path), Body: bytes }));
    },
    remove: async (spec, path) => {
      await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key(spec, path) }));
    },
  };
}

/** Both stores, for `describe.each`-style loops: S3 replaced by its reason when it cannot start. */
export function bothStores(): (RawStore | { kind: 'S3'; unavailable: string })[] {
  const s3 = s3Store();
  return [fsStore, typeof s3 === 'string' ? { kind: 'S3', unavailable: s3 } : s3];
}

/** Register `suite` for each store; an unavailable S3 is a loud skip, or a failure under KFM_REQUIRE_S3=1. */
export function onBothStores(title: string, suite: (raw: RawStore) => void): void {
  for (const raw of bothStores()) {
    if ('unavailable' in raw) {
      if (process.env.KFM_REQUIRE_S3 === '1') {
        describe(`${title} (S3, required by KFM_REQUIRE_S3=1)`, () => {
          it('has a running local S3 server', () => expect(raw.unavailable).toBe(''));
        });
      } else {
        console.warn(
          `\n*** ${title}: S3 HALF NOT RUN: ${raw.unavailable}. Set KFM_REQUIRE_S3=1 to make this a failure. ***\n`,
        );
        describe(`${title} (S3)`, () => it.skip('NOT RUN: local S3 server unavailable', () => undefined));
      }
      continue;
    }
    describe(`${title} (${raw.kind} store)`, () => suite(raw));
  }
}
