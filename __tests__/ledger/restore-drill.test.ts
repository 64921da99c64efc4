/**
 * `kfm audit mirror` and the restore drill (docs/disaster-recovery.md). On directories: a mirror is
 * idempotent, resumes where it stopped, and refuses a store whose content disagrees. On two buckets of
 * the real local radosgw (scripts/s3-local.sh): mirror the primary, lose it, restore from the mirror,
 * and the restored ledger has the same root at each checkpoint and a gate pinned to a checkpoint decides
 * the same. S3 tests are skipped loudly when the server cannot start, unless KFM_REQUIRE_S3=1.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectVersionsCommand,
  PutBucketVersioningCommand,
} from '@aws-sdk/client-s3';
import { localS3Client } from '../support/local-s3';
import { parseTrustedKey } from '../../attest/sign/ed25519';
import { DEFAULT_ORIGIN, parseCheckpoint } from '../../ledger/checkpoint';
import { bundlesHeld, indexUpTo } from '../../ledger/checkpointing/index-pass';
import { indexFor } from '../../ledger/log-index-read';
import { openStore } from '../../ledger/open-store';
import { pinnedBundleDigest } from '../../gates/pins';
import * as ev from '../gates/support/evidence';
import { KeyFiles, kfm, makeEnvelopes, REPO, tempDir } from './helpers';

const dir = tempDir('restore-drill');
const ci: KeyFiles = { key: join(dir, 'ci.key'), pub: join(dir, 'ci.pub'), signing: ev.ci.signing };
writeFileSync(ci.pub, ev.ci.publicPem);
writeFileSync(ci.key, ev.ci.privatePem, { mode: 0o600 });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let files = 0;
function append(store: string, envelopes: readonly Buffer[], env?: NodeJS.ProcessEnv): void {
  const d = join(dir, `envelopes-${++files}`);
  mkdirSync(d);
  const paths = envelopes.map((b, i) => {
    const f = join(d, `${i}.json`);
    writeFileSync(f, b);
    return f;
  });
  const r = kfm(['audit', 'append', '--init', ...paths, '--store', store], env);
  expect([r.code, r.stderr]).toEqual([0, '']);
}
const fillers = (n: number, tag: string) =>
  makeEnvelopes(join(dir, `fill-${tag}`), ci, n, tag).map((f) => readFileSync(f));

function checkpoint(store: string, env?: NodeJS.ProcessEnv): string {
  const out = join(dir, `cp-${++files}.txt`);
  const r = kfm(['audit', 'checkpoint', '--store', store, '--key', ci.key, '--pub', ci.pub, '--out', out], env);
  expect([r.code, r.stderr]).toEqual([0, '']);
  return out;
}

interface MirrorJson {
  entries: { copied: number; present: number };
  derived: { copied: number; present: number };
  checkpoints: { copied: number; present: number };
  roots: { size: number; root: string }[];
}
function mirror(
  from: string,
  to: string,
  env?: NodeJS.ProcessEnv,
): { code: number; json?: MirrorJson; stderr: string } {
  const r = kfm(['audit', 'mirror', '--from', from, '--to', to, '--json'], env);
  return { code: r.code, json: r.code === 0 ? (JSON.parse(r.stdout) as MirrorJson) : undefined, stderr: r.stderr };
}

describe('kfm audit mirror (directory stores)', () => {
  it('copies entries, bundles, index and checkpoints, and a second run writes nothing', () => {
    const from = join(dir, 'fs-primary');
    append(from, fillers(258, 'fs'));
    checkpoint(from);
    const to = join(dir, 'fs-mirror');
    const first = mirror(from, to);
    expect(first.stderr).toBe('');
    expect(first.json).toMatchObject({ entries: { copied: 258, present: 0 }, checkpoints: { copied: 1, present: 0 } });
    expect(first.json!.derived.copied).toBeGreaterThan(1); // the bundle of 1…256, index shards and note
    expect(readdirSync(join(to, 'bundles'))).toEqual(readdirSync(join(from, 'bundles')));
    const again = mirror(from, to);
    expect(again.json).toMatchObject({
      entries: { copied: 0, present: 258 },
      // the mirror's own append of entry 256 wrote the bundle of 1…256, which the first run found present
      derived: { copied: 0, present: first.json!.derived.copied + first.json!.derived.present },
      checkpoints: { copied: 0, present: 1 },
      roots: first.json!.roots,
    });
  });

  it('resumes: a mirror behind its source gets only what is new', () => {
    const from = join(dir, 'fs-resume');
    append(from, fillers(3, 'r1'));
    const to = join(dir, 'fs-resume-mirror');
    expect(mirror(from, to).json!.entries).toEqual({ copied: 3, present: 0 });
    append(from, fillers(2, 'r2'));
    checkpoint(from);
    const r = mirror(from, to);
    expect(r.json).toMatchObject({ entries: { copied: 2, present: 3 }, checkpoints: { copied: 1, present: 0 } });
    expect([r.stderr, r.json!.roots.map((x) => x.size)]).toEqual(['', [5]]);
  });

  // Junk at the names of the next checkpoint's shards: the checkpoint writes each shard again
  // under a name its note gives (log-index-build.ts publishShards). The mirror must carry those
  // copies, or a restored store's index sends every lookup in them to the whole log.
  it("carries the shards' copies: the mirror's index reads every shard it names", async () => {
    const from = join(dir, 'fs-planted');
    append(from, fillers(6, 'planted'));
    const source = openStore(from);
    const size = await source.size();
    const { shardFiles } = await (
      await indexUpTo(source, size, await bundlesHeld(source), undefined)
    ).finishMerged(DEFAULT_ORIGIN);
    mkdirSync(join(from, 'index', 'shards'), { recursive: true });
    for (const path of shardFiles.keys()) writeFileSync(join(from, path), '{}');
    const cp = checkpoint(from);
    const to = join(dir, 'fs-planted-mirror');
    expect(mirror(from, to).code).toBe(0);
    const copies = readdirSync(join(to, 'index', 'shards')).filter((f) => /^[0-9a-f]{64}\.[0-9a-f]{16}\.json$/.test(f));
    expect(copies).toHaveLength(shardFiles.size);
    const trusted = [parseTrustedKey(readFileSync(ci.pub), ci.pub)];
    const index = (await indexFor(openStore(to), parseCheckpoint(readFileSync(cp, 'utf8'), cp), trusted))!;
    const names = Object.keys(index.body.shards);
    expect(names.length).toBe(shardFiles.size);
    for (const name of names) expect(await index.shardContents(name)).toBeDefined();
  });

  it('refuses a mirror whose content disagrees, in one line naming the object, and writes nothing', () => {
    const from = join(dir, 'fs-a');
    append(from, fillers(2, 'a'));
    const to = join(dir, 'fs-b');
    append(to, fillers(1, 'b'));
    const r = mirror(from, to);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toEqual([
      expect.stringMatching(
        /LOG_INTEGRITY: .*fs-b\/entries\/000000000001\.json: differs from .*fs-a\/entries\/000000000001\.json; refusing to mirror/,
      ),
    ]);
    expect(readdirSync(join(to, 'entries'))).toEqual(['000000000001.json']);
  });
});

// ---- the drill on two buckets of the local radosgw ----

const SCRIPT = join(REPO, 'scripts', 's3-local.sh');
// Quiet the SDK's node-version notice in this process, as cli/main.ts does in its own.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const required = process.env.KFM_REQUIRE_S3 === '1';
const started = spawnSync('bash', [SCRIPT, 'start'], { encoding: 'utf8', timeout: 300_000 });
const s3env: Record<string, string> = {};
for (const m of (started.stdout ?? '').matchAll(/^export ([A-Z0-9_]+)='([^']*)'$/gm)) s3env[m[1]!] = m[2]!;
const up = started.status === 0 && s3env.AWS_ENDPOINT_URL_S3 !== undefined;
if (!up) {
  console.warn(
    `\n*** RESTORE DRILL NOT RUN: the local S3 server could not start (scripts/s3-local.sh exited ${started.status}). ` +
      'Set KFM_REQUIRE_S3=1 to make this a failure. ***\n',
  );
  if (required) it('has a running local S3 server (KFM_REQUIRE_S3=1)', () => expect(started.stderr).toBe(''));
}

const s3 = localS3Client(s3env);
const env: NodeJS.ProcessEnv = { ...process.env, ...s3env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' };
const run = Date.now().toString(36);

async function createBucket(name: string): Promise<string> {
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  await s3.send(new PutBucketVersioningCommand({ Bucket: name, VersioningConfiguration: { Status: 'Enabled' } }));
  return `s3://${name}/audit`;
}

/** Lose a bucket: every object version and delete marker, then the bucket itself. */
async function loseBucket(name: string): Promise<void> {
  for (;;) {
    const v = await s3.send(new ListObjectVersionsCommand({ Bucket: name }));
    const all = [...(v.Versions ?? []), ...(v.DeleteMarkers ?? [])].map((x) => ({
      Key: x.Key!,
      VersionId: x.VersionId,
    }));
    if (all.length === 0) break;
    await s3.send(new DeleteObjectsCommand({ Bucket: name, Delete: { Objects: all } }));
  }
  await s3.send(new DeleteBucketCommand({ Bucket: name }));
}

type Item = { requirement: string; ok: boolean; detail: string };
/** `kfm gate promote --to stage` of the evidence's commit, read by proof against checkpoint `cp`. */
function promote(store: string, cp: string): { code: number; allowed: boolean; items: Item[] } {
  const flags = { '--to': 'stage', '--store': store, '--pub': ci.pub, '--commit': ev.COMMIT, '--checkpoint': cp };
  const r = kfm(['gate', 'promote', ...Object.entries(flags).flat(), '--json'], env);
  const out = JSON.parse(r.stdout) as { allowed: boolean; items: Item[] };
  return { code: r.code, allowed: out.allowed, items: out.items };
}
/** The decision without the store's name (the restored ledger lives in another bucket). */
const decision = (r: ReturnType<typeof promote>, store: string) => ({
  code: r.code,
  allowed: r.allowed,
  items: r.items.map((i) => ({ ...i, detail: i.detail.split(store).join('STORE') })),
});

(up ? describe : describe.skip)('restore drill on two radosgw buckets', () => {
  const names = {
    primary: `kfm-dr-primary-${run}`,
    mirror: `kfm-dr-mirror-${run}`,
    restored: `kfm-dr-restored-${run}`,
  };
  const created: string[] = [];
  afterAll(async () => {
    for (const b of created) await loseBucket(b).catch(() => undefined);
  });

  it('mirrors, loses the primary, restores from the mirror: same roots, checkpoints and gate decision', async () => {
    const primary = await createBucket(names.primary);
    const replica = await createBucket(names.mirror);
    created.push(names.primary, names.mirror);
    // 252 entries of other work, dev proven and a stage plan (a full bundle), a checkpoint, one more entry, a checkpoint.
    const l = new ev.Ledger(pinnedBundleDigest('stage')!);
    l.provenTier('dev');
    l.plan('stage');
    append(primary, [...fillers(252, 's3'), ...l.entries.map((e) => e.envelopeBytes)], env);
    const cp1 = checkpoint(primary, env);
    append(primary, fillers(1, 's3-after'), env);
    const cp2 = checkpoint(primary, env);
    const before = promote(primary, cp2);
    expect([before.code, before.allowed]).toEqual([0, true]);

    const mirrored = mirror(primary, replica, env);
    expect(mirrored.stderr).toBe('');
    expect(mirrored.json).toMatchObject({
      entries: { copied: 258, present: 0 },
      checkpoints: { copied: 2, present: 0 },
    });
    expect(mirrored.json!.roots.map((r) => r.size)).toEqual([257, 258]);

    await loseBucket(names.primary);
    created.splice(created.indexOf(names.primary), 1);
    expect(kfm(['audit', 'verify', '--store', primary, '--pub', ci.pub], env).code).not.toBe(0);

    const restored = await createBucket(names.restored);
    created.push(names.restored);
    const back = mirror(replica, restored, env);
    expect(back.stderr).toBe('');
    expect(back.json).toMatchObject({ entries: { copied: 258 }, checkpoints: { copied: 2 } });
    expect(back.json!.roots.map(({ size, root }) => ({ size, root }))).toEqual(
      mirrored.json!.roots.map(({ size, root }) => ({ size, root })),
    );
    const verified = kfm(
      ['audit', 'verify', '--store', restored, '--pub', ci.pub, '--checkpoint', cp1, '--checkpoint', cp2, '--json'],
      env,
    );
    expect([verified.code, verified.stderr]).toEqual([0, '']);
    expect(JSON.parse(verified.stdout)).toMatchObject({ ok: true, size: 258, root: mirrored.json!.roots[1]!.root });
    expect(decision(promote(restored, cp2), restored)).toEqual(decision(before, primary));
  }, 600_000);
});
