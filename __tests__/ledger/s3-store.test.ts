/**
 * The ledger suite against a real S3 server: radosgw started by scripts/s3-local.sh (Debian's
 * Ceph, installed by the script if missing). If the server cannot start, the S3 tests are
 * skipped with a loud warning — unless KFM_REQUIRE_S3=1 (CI), where that fails the run.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { sha256Hex, sha256Tagged } from '../../core/digest';
import { seqName } from '../../ledger/entry';
import { shardPath } from '../../ledger/layout';
import { openStore } from '../../ledger/open-store';
import { kfm, makeEnvelopes, makeKey, REPO, tempDir } from './helpers';
import { ledgerSuite } from './ledger-suite';

const SCRIPT = join(REPO, 'scripts', 's3-local.sh');
// The store runs in this process here, as the CLI does in its own: quiet the SDK's node-version
// notice the same way cli/main.ts does (stderr is for problems).
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const required = process.env.KFM_REQUIRE_S3 === '1';

function parseExports(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/^export ([A-Z0-9_]+)='([^']*)'$/gm)) out[m[1]] = m[2];
  return out;
}

const wasRunning = spawnSync('bash', [SCRIPT, 'status'], { encoding: 'utf8' }).status === 0;
const t0 = Date.now();
const started = spawnSync('bash', [SCRIPT, 'start'], { encoding: 'utf8', timeout: 300_000 });
const startSeconds = (Date.now() - t0) / 1000;
const s3env = parseExports(started.stdout ?? '');
const up = started.status === 0 && s3env.KFM_AUDIT_STORE !== undefined;
const failure = up
  ? ''
  : `scripts/s3-local.sh start exited ${started.status}: ${(started.stderr ?? '').trim().split('\n').slice(-3).join(' | ')}`;

if (!up) {
  console.warn(
    `\n*** S3 LEDGER TESTS NOT RUN: the local S3 server could not start (${failure}). ` +
      'Set KFM_REQUIRE_S3=1 to make this a failure. ***\n',
  );
}

afterAll(() => {
  if (up && !wasRunning) spawnSync('bash', [SCRIPT, 'stop'], { encoding: 'utf8' });
});

const env: NodeJS.ProcessEnv = { ...process.env, ...s3env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const bucket = (s3env.KFM_AUDIT_STORE ?? 's3://none/x').replace(/^s3:\/\//, '').split('/')[0];
const client = () =>
  new S3Client({
    endpoint: s3env.AWS_ENDPOINT_URL_S3,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: s3env.AWS_ACCESS_KEY_ID ?? '', secretAccessKey: s3env.AWS_SECRET_ACCESS_KEY ?? '' },
    requestChecksumCalculation: 'WHEN_REQUIRED',
  });
const prefixOf = (spec: string) => spec.replace(`s3://${bucket}/`, '');
const keyOf = (spec: string, seq: number) => `${prefixOf(spec)}/entries/${seqName(seq)}.json`;

if (required && !up) {
  describe('S3 store (required by KFM_REQUIRE_S3=1)', () => {
    it('has a running local S3 server', () => {
      throw new Error(failure);
    });
  });
}

if (up) {
  describe('local S3 server', () => {
    it(`started (or was already running) — ${startSeconds.toFixed(1)} s`, () => {
      expect(s3env.AWS_ENDPOINT_URL_S3).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    });
  });

  ledgerSuite('s3', () => {
    let n = 0;
    const run = `t${Date.now().toString(36)}`;
    const c = client();
    return {
      env,
      newSpec: () => `s3://${bucket}/${run}-${++n}`,
      readRaw: async (spec, seq) => (await openStore(spec, { env }).get(seq)).entryBytes,
      writeRaw: async (spec, seq, bytes) => {
        await c.send(new PutObjectCommand({ Bucket: bucket, Key: keyOf(spec, seq), Body: bytes }));
      },
      deleteEntry: async (spec, seq) => {
        await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOf(spec, seq) }));
      },
      putStray: async (spec, name, bytes) => {
        await c.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefixOf(spec)}/entries/${name}`, Body: bytes }));
      },
      writeDerived: async (spec, path, bytes) => {
        await c.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefixOf(spec)}/${path}`, Body: bytes }));
      },
      deleteDerived: async (spec, path) => {
        await c.send(new DeleteObjectCommand({ Bucket: bucket, Key: `${prefixOf(spec)}/${path}` }));
      },
    };
  });

  describe('S3 store index shards', () => {
    it('a checkpoint stores every shard of its index when index/shards/ holds more than one listing page', async () => {
      // Past 1,000 keys the checkpoint cannot learn what is stored from one listing: it asks per shard.
      const dir = tempDir('s3-shards');
      const key = makeKey(join(dir, 'k'), 'k');
      const spec = `s3://${bucket}/shards-${Date.now().toString(36)}`;
      expect(
        kfm(['audit', 'append', '--init', ...makeEnvelopes(join(dir, 'e'), key, 3), '--store', spec], env).code,
      ).toBe(0);
      const c = client();
      // 1,001 delete markers (two requests) fill more than one listing page, as many stored shards would.
      const strays = Array.from({ length: 1001 }, (_, i) => ({
        Key: `${prefixOf(spec)}/index/shards/${sha256Hex(`stray-${i}`)}.json`,
      }));
      for (const Objects of [strays.slice(0, 1000), strays.slice(1000)])
        await c.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects } }));
      const listed = await c.send(
        new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `${prefixOf(spec)}/index/shards/` }),
      );
      expect(listed.IsTruncated).toBe(true);
      const cp = join(dir, 'cp.txt');
      const made = kfm(['audit', 'checkpoint', '--store', spec, '--key', key.key, '--pub', key.pub, '--out', cp], env);
      expect([made.code, made.stderr]).toEqual([0, '']);
      const store = openStore(spec, { env });
      const note = JSON.parse(
        (await store.getDerived(
          (JSON.parse(made.stdout).index as string).replace(/^.*?\/index\//, 'index/'),
        ))!.toString('utf8'),
      );
      const shards = Object.values(note.shards as Record<string, string>);
      expect(shards.length).toBeGreaterThan(0);
      for (const digest of shards) expect(sha256Tagged((await store.getDerived(shardPath(digest)))!)).toBe(digest);
    });
  });

  describe('S3 store with Object Lock', () => {
    it("writes entries that carry the bucket's default COMPLIANCE retention and cannot be deleted", async () => {
      const dir = tempDir('s3-lock');
      const key = makeKey(join(dir, 'k'), 'k');
      const [envelope] = makeEnvelopes(join(dir, 'e'), key, 1);
      const spec = `s3://${bucket}/lock-${Date.now().toString(36)}`;
      expect(kfm(['audit', 'append', '--init', envelope, '--store', spec], env).code).toBe(0);
      const c = client();
      const head = await c.send(new HeadObjectCommand({ Bucket: bucket, Key: keyOf(spec, 1) }));
      expect(head.ObjectLockMode).toBe('COMPLIANCE');
      const until = head.ObjectLockRetainUntilDate!.getTime();
      expect(until).toBeGreaterThan(Date.now() + 20 * 3600_000);
      const versions = await c.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: keyOf(spec, 1) }));
      const versionId = versions.Versions![0].VersionId!;
      await expect(
        c.send(new DeleteObjectCommand({ Bucket: bucket, Key: keyOf(spec, 1), VersionId: versionId })),
      ).rejects.toMatchObject({
        $metadata: { httpStatusCode: 403 },
      });
    });
  });
} else if (!required) {
  describe('S3 store', () => {
    it.skip('NOT RUN: local S3 server unavailable (see the warning above)', () => undefined);
  });
}
