/**
 * The S3 store: `s3://BUCKET[/PREFIX]`, same layout as the directory store, for a bucket with
 * Object Lock (COMPLIANCE default retention, hence versioned) as the `audit` stack creates.
 *
 * Writes: PutObject with `If-None-Match: *` and `x-amz-checksum-sha256`, and NO per-object
 * retention headers (the bucket's default retention applies; the appender's IAM policy may
 * not set retention). Some S3 servers (radosgw in a versioned bucket) accept a second PUT of
 * the same key as a new version and don't check the checksum, so correctness never depends on
 * either: "first version wins" — after a PUT the writer lists the key's versions; the oldest
 * version is the entry; a writer whose version is not the oldest lost the race and appends
 * again at the next seq. Readers and verify always take the oldest version and check digests.
 */
import { createHash } from 'node:crypto';
import {
  GetObjectCommand,
  ListObjectVersionsCommand,
  ListObjectVersionsCommandOutput,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { ReceiptError } from '../core/errors';
import {
  BUNDLE_SIZE,
  bundlePathFirst,
  bundlesFrom,
  BUNDLES_DIR,
  checkpointPath,
  checkpointsFrom,
  CHECKPOINTS_DIR,
  classifyPath,
  entryFileSeq,
  entryPath,
  ENTRIES_DIR,
  notChaining,
  pastTheChain,
  pastTheEnd,
  STORE_MARKER,
} from './layout';
import { all, ordered, REQUESTS_IN_FLIGHT } from './pool';
import { decodeEntry, entryHash, GENESIS_PREV } from './entry';
import { chainsOnto, chosenVersion } from './entry-check';
import {
  BaseStore,
  BaseStoreOptions,
  ExtraVersion,
  ListOptions,
  ScanItem,
  ScanOptions,
  StoredCheckpoint,
} from './store';

/** One unit of work for the ordered reader: items known from the listing, or objects to fetch. */
type Job =
  | { readonly kind: 'now'; readonly items: ScanItem[] }
  | { readonly kind: 'entry'; readonly seq: number; readonly g: KeyVersions }
  | { readonly kind: 'bundle'; readonly first: number; readonly g: KeyVersions };

interface KeyVersions {
  readonly key: string;
  /** Newest first, as S3 lists them. */
  readonly versions: string[];
  deleteMarkers: number;
}

export class S3Store extends BaseStore {
  private constructor(
    spec: string,
    private readonly client: S3Client,
    private readonly bucket: string,
    /** '' or 'some/prefix/' */
    private readonly prefix: string,
    /** Server-side encryption to request on every PUT (KFM_AUDIT_SSE); none when undefined. */
    private readonly sse: 'aws:kms' | 'AES256' | undefined,
    opts: BaseStoreOptions,
  ) {
    super(spec, opts);
  }

  static fromSpec(
    spec: string,
    endpoint: string | undefined,
    env: Readonly<Record<string, string | undefined>>,
    opts: BaseStoreOptions = {},
  ): S3Store {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/i.exec(spec);
    if (!m || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(m[1])) {
      throw new ReceiptError(
        'STORE_INVALID',
        `--store "${spec}": expected s3://BUCKET/PREFIX with a valid bucket name`,
      );
    }
    const prefix = m[2].replace(/^\/+|\/+$/g, '');
    const limits = requestLimits(env);
    const client = new S3Client({
      endpoint: endpoint || undefined,
      region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
      forcePathStyle: true,
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // Bounded: every request gives up after `timeoutMs` (connect: 5 s; idle socket: the same
      // bound), and is tried `maxAttempts` times in all; the error then names it (s3Error).
      maxAttempts: limits.maxAttempts,
      requestHandler: {
        connectionTimeout: Math.min(5_000, limits.timeoutMs),
        requestTimeout: limits.timeoutMs,
        socketTimeout: limits.timeoutMs,
        throwOnRequestTimeout: true,
      },
      // Static keys from the given environment (the CLI passes process.env); otherwise the
      // SDK's standard chain (env, profile, SSO, instance metadata) applies.
      credentials:
        env.AWS_ACCESS_KEY_ID && env.AWS_SECRET_ACCESS_KEY
          ? {
              accessKeyId: env.AWS_ACCESS_KEY_ID,
              secretAccessKey: env.AWS_SECRET_ACCESS_KEY,
              sessionToken: env.AWS_SESSION_TOKEN,
            }
          : undefined,
    });
    // The audit stack's receipts bucket denies PUTs that do not ask for SSE-KMS (deploys set
    // KFM_AUDIT_SSE=aws:kms); local S3 servers without a KMS leave it unset.
    const sse = env.KFM_AUDIT_SSE || undefined;
    if (sse !== undefined && sse !== 'aws:kms' && sse !== 'AES256') {
      throw new ReceiptError('STORE_INVALID', `KFM_AUDIT_SSE "${sse}": expected aws:kms or AES256`);
    }
    return new S3Store(spec, client, m[1], prefix === '' ? '' : `${prefix}/`, sse, opts);
  }

  private key(seq: number): string {
    return `${this.prefix}${entryPath(seq)}`;
  }

  entryName(seq: number): string {
    return `s3://${this.bucket}/${this.key(seq)}`;
  }

  private async send<T>(what: string, op: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (e) {
      throw s3Error(`s3://${this.bucket}/${what}`, e, op);
    }
  }

  /** Pages of a versions listing (S3 returns up to 1,000 keys per page). */
  private async *pages(
    prefix: string,
    after?: string,
    delimiter?: string,
  ): AsyncGenerator<ListObjectVersionsCommandOutput> {
    let keyMarker = after;
    let versionMarker: string | undefined;
    for (;;) {
      const page: ListObjectVersionsCommandOutput = await this.send(`${prefix}*`, 'ListObjectVersions', () =>
        this.client.send(
          new ListObjectVersionsCommand({
            Bucket: this.bucket,
            Prefix: prefix,
            KeyMarker: keyMarker,
            VersionIdMarker: versionMarker,
            Delimiter: delimiter,
          }),
        ),
      );
      yield page;
      if (!page.IsTruncated) return;
      keyMarker = page.NextKeyMarker;
      versionMarker = page.NextVersionIdMarker;
    }
  }

  /** All versions of exactly `key`, newest first. */
  private async versionsOf(key: string): Promise<KeyVersions> {
    const out: KeyVersions = { key, versions: [], deleteMarkers: 0 };
    for await (const page of this.pages(key)) {
      for (const v of page.Versions ?? []) if (v.Key === key && v.VersionId) out.versions.push(v.VersionId);
      for (const d of page.DeleteMarkers ?? []) if (d.Key === key) out.deleteMarkers++;
    }
    return out;
  }

  async writtenAt(path: string): Promise<number | undefined> {
    const key = this.derivedKey(path);
    let oldest: number | undefined;
    for await (const page of this.pages(key)) {
      for (const v of page.Versions ?? []) if (v.Key === key && v.LastModified) oldest = v.LastModified.getTime();
    }
    return oldest;
  }

  private async getVersion(key: string, versionId: string | undefined): Promise<Buffer> {
    return (await this.getObject(key, versionId)).bytes;
  }

  /** One GET (`versionId` undefined: the current version), with the version it read. */
  private async getObject(key: string, versionId: string | undefined): Promise<{ bytes: Buffer; versionId?: string }> {
    // The body is read inside the bounded request: a stall while streaming it is named too.
    return this.send(key, 'GetObject', async () => {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
      if (!r.Body)
        throw new ReceiptError(
          'STORE_UNAVAILABLE',
          `S3 GetObject s3://${this.bucket}/${key}: empty response body; re-run the same command`,
        );
      return { bytes: Buffer.from(await r.Body.transformToByteArray()), versionId: r.VersionId };
    });
  }

  /**
   * The current version of `key` when `wanted` takes it (one request), else undefined and what
   * it read (so that a listing after it does not read the same version again).
   */
  private async currentIfWanted(
    key: string,
    wanted: (bytes: Buffer) => boolean,
  ): Promise<{ hit?: Buffer; read?: { bytes: Buffer; versionId?: string } }> {
    try {
      const read = await this.getObject(key, undefined);
      return wanted(read.bytes) ? { hit: read.bytes } : { read };
    } catch (e) {
      if (!isNotFound(e)) throw e;
      return {};
    }
  }

  /** Version `id` of `key`, unless `read` already holds it. */
  private async versionOnce(key: string, id: string, read?: { bytes: Buffer; versionId?: string }): Promise<Buffer> {
    return read !== undefined && read.versionId === id ? read.bytes : this.getVersion(key, id);
  }

  protected async exists(seq: number): Promise<boolean> {
    // Versions, not HeadObject: a delete marker must not make a seq look free.
    return (await this.versionsOf(this.key(seq))).versions.length > 0;
  }

  /**
   * Every version stored under entry `seq`'s key, oldest first (a verified note picks its entry
   * among them); with `wanted`, the current version alone when it is the one wanted.
   */
  async entryVersions(seq: number, wanted?: (bytes: Buffer) => boolean): Promise<Buffer[]> {
    const key = this.key(seq);
    // One GET instead of a listing and a GET per version: bytes the caller recognises are the
    // bytes it wants whichever version holds them. Missing, a delete marker, or other bytes: all.
    const first = wanted === undefined ? {} : await this.currentIfWanted(key, wanted);
    if (first.hit !== undefined) return [first.hit];
    const oldestFirst = [...(await this.versionsOf(key)).versions].reverse();
    return all(oldestFirst, REQUESTS_IN_FLIGHT, (id) => this.versionOnce(key, id, first.read));
  }

  /**
   * Entry `seq`: its only version, or of several the oldest that chains onto entry seq - 1 (read
   * the same way: a version planted before the log reached a seq is passed over).
   */
  protected async read(seq: number): Promise<Buffer | undefined> {
    const key = this.key(seq);
    const oldestFirst = [...(await this.versionsOf(key)).versions].reverse();
    if (oldestFirst.length === 0) return undefined;
    const first = await this.getVersion(key, oldestFirst[0]);
    if (oldestFirst.length === 1) return first;
    const before = seq === 1 ? undefined : await this.read(seq - 1);
    const prev = seq === 1 ? GENESIS_PREV : before === undefined ? undefined : entryHash(before);
    if (prev === undefined || chainsOnto(first, seq, prev)) return first;
    for (const id of oldestFirst.slice(1)) {
      const bytes = await this.getVersion(key, id);
      if (chainsOnto(bytes, seq, prev)) return bytes;
    }
    return first;
  }

  /**
   * PUT, then "first version wins". Returns true when our version is the oldest — for an entry
   * (`chain`: its seq and prev), the oldest that chains onto prev: an older version that does
   * not (planted before the log reached this seq) is passed over, as every reader passes it over.
   */
  private async putFirst(key: string, bytes: Buffer, chain?: { seq: number; prev: string }): Promise<boolean> {
    const put = await this.putIfNoneMatch(key, bytes);
    if (put === 'refused') return false; // the conditional write did its job
    const versionId = put.versionId;
    if (versionId === undefined || versionId === 'null') return true; // unversioned: If-None-Match decided
    // One listing after our PUT completed decides. A version that completes later is listed as
    // newer than ours (radosgw orders a key's versions by completion; AWS S3 refuses the later
    // PUT with 412), so no settle wait and second listing: measured on radosgw, 0 of 700 keys
    // each raced by 6-8 writers had a writer that saw itself oldest and was not (the
    // contended-race check in scripts/bench/ledger-scale.ts re-runs this on any S3 server).
    const v = await this.versionsOf(key);
    if (v.versions[v.versions.length - 1] === versionId) return true;
    const ours = v.versions.indexOf(versionId);
    if (chain === undefined || ours < 0) return false;
    // Older versions, oldest first: one that chains onto our prev won the seq (another appender).
    for (const older of v.versions.slice(ours + 1).reverse()) {
      if (chainsOnto(await this.getVersion(key, older), chain.seq, chain.prev)) return false;
    }
    return true;
  }

  /** One PutObject with `If-None-Match: *`: the version it wrote, or 'refused' (412/409: the key exists). */
  private async putIfNoneMatch(key: string, bytes: Buffer): Promise<{ versionId?: string } | 'refused'> {
    try {
      const r = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: bytes,
          IfNoneMatch: '*',
          ...(this.sse ? { ServerSideEncryption: this.sse } : {}),
          ChecksumSHA256: createHash('sha256').update(bytes).digest('base64'),
          ContentType: key.endsWith('.json') ? 'application/json' : 'text/plain; charset=utf-8',
        }),
      );
      return { versionId: r.VersionId };
    } catch (e) {
      const status = (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status === 412 || status === 409) return 'refused';
      throw s3Error(`s3://${this.bucket}/${key}`, e, 'PutObject');
    }
  }

  /**
   * Content-addressed objects (index shards): what is stored is known from one listing of their
   * folder while it holds under 1,000 keys (a young ledger's), else from one listing per object;
   * then one PUT each. No listing after it: whichever version is oldest holds the same bytes or
   * fails the digest readers check it by, so no winner is decided.
   */
  override async putContentAddressed(files: readonly (readonly [string, Buffer])[]): Promise<void> {
    const stored = await this.storedIfOnePage(new Set(files.map(([path]) => dirOf(path))));
    await all(files, REQUESTS_IN_FLIGHT, async ([path, bytes]) => {
      const key = this.derivedKey(path);
      const there = stored?.has(key) ?? (await this.versionsOf(key)).versions.length > 0;
      if (!there) await this.putIfNoneMatch(key, bytes);
    });
  }

  /**
   * The keys holding a version under each of `dirs` (a delete marker alone holds none, as for
   * getDerived), when each is listed in one page; undefined when one takes more.
   */
  private async storedIfOnePage(dirs: ReadonlySet<string>): Promise<Set<string> | undefined> {
    if (dirs.size !== 1) return undefined;
    const stored = new Set<string>();
    for await (const page of this.pages(this.derivedKey(`${[...dirs][0]}/`))) {
      if (page.IsTruncated) return undefined;
      for (const v of page.Versions ?? []) if (v.Key !== undefined) stored.add(v.Key);
    }
    return stored;
  }

  protected async publish(seq: number, bytes: Buffer): Promise<boolean> {
    return this.putFirst(this.key(seq), bytes, { seq, prev: decodeEntry(bytes, this.entryName(seq)).prev });
  }

  /** Every key under `sub`, grouped with its versions, in key order (streamed page by page). */
  private async *listGrouped(sub: string, after?: string, delimiter?: string): AsyncGenerator<KeyVersions> {
    let current: KeyVersions | undefined;
    for await (const page of this.pages(`${this.prefix}${sub}`, after, delimiter)) {
      const items: { key: string; version?: string }[] = [];
      for (const v of page.Versions ?? []) items.push({ key: v.Key!, version: v.VersionId! });
      for (const d of page.DeleteMarkers ?? []) items.push({ key: d.Key! });
      // Stable sort by key keeps each key's versions newest first.
      items.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
      for (const it of items) {
        if (current && current.key !== it.key) {
          yield current;
          current = undefined;
        }
        current ??= { key: it.key, versions: [], deleteMarkers: 0 };
        if (it.version !== undefined) current.versions.push(it.version);
        else current.deleteMarkers++;
      }
    }
    if (current) yield current;
  }

  /**
   * One listing (1,000 keys per request) drives the read; entries and bundles are fetched up to
   * REQUESTS_IN_FLIGHT at a time and yielded in sequence order.
   */
  async *scan(opts: ScanOptions = {}): AsyncIterable<ScanItem> {
    const from = opts.from ?? 1;
    const strays = opts.strays ?? true;
    const jobs = this.scanJobs(from, opts.bundles !== false, strays);
    // The entry at a seq is its oldest version that chains onto the entry before it (a version
    // planted before the log reached the seq is passed over); where none does, the log ends.
    let prev = from === 1 ? GENESIS_PREV : opts.prev;
    if (prev === undefined) {
      const before = await this.read(from - 1);
      prev = before === undefined ? undefined : entryHash(before);
    }
    let end: number | undefined;
    for await (const items of ordered(jobs, REQUESTS_IN_FLIGHT, (j) => this.runJob(j))) {
      for (const item of items) {
        if (item.kind !== 'entry' && item.kind !== 'missing') {
          yield item;
          continue;
        }
        if (end !== undefined) {
          if (strays) yield { kind: 'unknown', name: item.name, why: pastTheChain(end) };
          continue;
        }
        if (item.kind === 'missing') {
          yield item;
          continue;
        }
        const chosen = chosenVersion(item, prev);
        if (chosen === undefined) {
          end = item.seq - 1;
          if (strays) yield { kind: 'unknown', name: item.name, why: notChaining(item.seq) };
          continue;
        }
        prev = entryHash(chosen.bytes);
        yield chosen;
      }
    }
  }

  /**
   * From entry 1: one listing of everything, in key order (bundles/ and checkpoints/ sort before
   * entries/). From a later entry: the bundles and entries from there on, and (with `strays`)
   * the top level and checkpoints/, so stray objects are judged as the full read judges them.
   */
  private async *scanJobs(from: number, wantBundles: boolean, strays: boolean): AsyncGenerator<Job> {
    const bundles = new Map<number, KeyVersions>();
    const unknown = (g: KeyVersions): Job => ({ kind: 'now', items: [{ kind: 'unknown', name: this.nameOf(g.key) }] });
    let listing: AsyncGenerator<KeyVersions>;
    if (from === 1) listing = this.listGrouped('');
    else {
      if (strays) {
        for await (const g of this.listGrouped('', undefined, '/')) if (this.judge(g) !== 'marker') yield unknown(g);
        for await (const g of this.listGrouped(`${CHECKPOINTS_DIR}/`))
          if (this.judge(g) === 'unknown') yield unknown(g);
      }
      if (wantBundles || strays) {
        for await (const g of this.listGrouped(`${BUNDLES_DIR}/`, this.derivedKey(bundlesFrom(from - 1)))) {
          const first = bundlePathFirst(g.key);
          if (first !== undefined && wantBundles) bundles.set(first, g);
          else if (first === undefined && strays) yield unknown(g);
        }
      }
      listing = this.listGrouped(`${ENTRIES_DIR}/`, this.key(from - 1));
    }
    let expected = from;
    let end: number | undefined;
    const bundlesUpTo = function* (seq: number): Generator<Job> {
      for (const [first, g] of [...bundles].sort((x, y) => x[0] - y[0])) {
        if (first > seq) break;
        bundles.delete(first);
        if (first >= from - BUNDLE_SIZE + 1) yield { kind: 'bundle', first, g };
      }
    };
    for await (const g of listing) {
      const c = classifyPath(g.key.slice(this.prefix.length));
      if (c.kind === 'bundle') {
        if (wantBundles) bundles.set(c.first, g);
        continue;
      }
      if (c.kind === 'derived' || c.kind === 'checkpoint' || c.kind === 'marker') continue;
      if (c.kind !== 'entry') {
        if (strays) yield unknown(g);
        continue;
      }
      const seq = c.seq;
      if (seq < from) continue;
      // The log ends before the first seq with no entry (layout.ts): entries past it are junk.
      if (end === undefined && seq > expected) end = expected - 1;
      if (end !== undefined) {
        if (strays)
          yield { kind: 'now', items: [{ kind: 'unknown', name: this.nameOf(g.key), why: pastTheEnd(end + 1) }] };
        continue;
      }
      expected = seq + 1;
      yield* bundlesUpTo(seq);
      if (g.versions.length === 0) {
        // Only delete markers: the entry object itself is gone (an attempted delete: damage).
        // The log ends before it, as the tail search says (tailFrom).
        end = seq - 1;
        yield { kind: 'now', items: [{ kind: 'missing', seq, name: this.nameOf(g.key) }] };
        continue;
      }
      yield { kind: 'entry', seq, g };
    }
    yield* bundlesUpTo(Number.MAX_SAFE_INTEGER);
  }

  /** 'unknown' when a key is not the ledger's (S3 holds no temp files: those are strays too). */
  private judge(g: KeyVersions): string {
    const kind = classifyPath(g.key.slice(this.prefix.length)).kind;
    return kind === 'leftover' ? 'unknown' : kind;
  }

  private nameOf(key: string): string {
    return `s3://${this.bucket}/${key}`;
  }

  private async runJob(j: Job): Promise<ScanItem[]> {
    if (j.kind === 'now') return j.items;
    const name = this.nameOf(j.g.key);
    const [oldest, ...newer] = [...j.g.versions].reverse();
    if (oldest === undefined) {
      return j.kind === 'entry' ? [{ kind: 'missing', seq: j.seq, name }] : [];
    }
    const [bytes, ...rest] = await Promise.all([oldest, ...newer].map((v) => this.getVersion(j.g.key, v)));
    const extraVersions: ExtraVersion[] = newer.map((versionId, i) => ({ versionId, bytes: rest[i] })).reverse();
    if (j.kind === 'bundle') {
      return [{ kind: 'bundle', first: j.first, name, bytes, extraVersions, deleteMarkers: j.g.deleteMarkers }];
    }
    return [
      { kind: 'entry', seq: j.seq, name, bytes, extraVersions, deleteMarkers: j.g.deleteMarkers, versionId: oldest },
    ];
  }

  async isStore(): Promise<boolean> {
    for await (const page of this.pages(`${this.prefix}${ENTRIES_DIR}/`)) {
      if ((page.Versions ?? []).length > 0) return true;
      break;
    }
    return (await this.versionsOf(this.derivedKey(STORE_MARKER))).versions.length > 0;
  }

  /** The last of the contiguous entries start, start + 1, …: one listing of the keys from `start` (1,000 a page). */
  protected async tailFrom(start: number): Promise<number> {
    let tail = start - 1;
    for await (const g of this.listGrouped(`${ENTRIES_DIR}/`, start > 1 ? this.key(start - 1) : undefined)) {
      const seq = entryFileSeq(g.key.slice(this.prefix.length + ENTRIES_DIR.length + 1));
      // radosgw may list the marker key itself (a key with versions): it is before the start.
      if (seq === undefined || seq < start) continue;
      if (seq !== tail + 1 || g.versions.length === 0) break;
      tail++;
    }
    return tail;
  }

  private derivedKey(path: string): string {
    return `${this.prefix}${path}`;
  }

  derivedName(path: string): string {
    return this.nameOf(this.derivedKey(path));
  }

  async getDerived(path: string, accept?: (bytes: Buffer) => boolean): Promise<Buffer | undefined> {
    const key = this.derivedKey(path);
    // One request instead of a listing and a GET: bytes that pass the caller's check are the
    // right bytes whichever version holds them. Missing, a delete marker, or other bytes: below.
    const first = accept === undefined ? {} : await this.currentIfWanted(key, accept);
    if (first.hit !== undefined) return first.hit;
    const v = await this.versionsOf(key);
    const oldest = v.versions[v.versions.length - 1];
    return oldest === undefined ? undefined : this.versionOnce(key, oldest, first.read);
  }

  async putDerived(path: string, bytes: Buffer): Promise<boolean> {
    return this.putFirst(this.derivedKey(path), bytes);
  }

  async listDerived(dir: string, opts: ListOptions = {}): Promise<string[]> {
    const out: string[] = [];
    const after = opts.after === undefined ? undefined : this.derivedKey(opts.after);
    // One level only (index/shards/ is not listed with index/).
    for await (const g of this.listGrouped(`${dir}/${opts.prefix ?? ''}`, after, '/')) {
      if (g.versions.length > 0) out.push(g.key.slice(this.prefix.length));
    }
    return out.sort();
  }

  /** Fetch many derived objects at once (bounded), in order. */
  async getDerivedMany(paths: readonly string[]): Promise<(Buffer | undefined)[]> {
    return all(paths, REQUESTS_IN_FLIGHT, (p) => this.getDerived(p));
  }

  async putCheckpoint(size: number, keyHashHex: string, bytes: Buffer): Promise<string> {
    const key = this.derivedKey(checkpointPath(size, keyHashHex));
    if (!(await this.putFirst(key, bytes))) {
      const v = await this.versionsOf(key);
      const existing = await this.getVersion(key, v.versions[v.versions.length - 1]);
      if (!existing.equals(bytes)) {
        throw new ReceiptError(
          'LOG_INTEGRITY',
          `s3://${this.bucket}/${key}: a different checkpoint for tree size ${size} is already stored; the log was rewritten — run "kfm audit verify"`,
        );
      }
    }
    return this.nameOf(key);
  }

  async *checkpoints(opts: { readonly above?: number } = {}): AsyncIterable<StoredCheckpoint> {
    const after = opts.above === undefined ? undefined : this.derivedKey(checkpointsFrom.above(opts.above));
    const self = this;
    async function* notes(): AsyncGenerator<{ key: string; version: string }> {
      for await (const g of self.listGrouped(`${CHECKPOINTS_DIR}/`, after)) {
        const oldest = g.versions[g.versions.length - 1];
        if (oldest !== undefined && self.judge(g) === 'checkpoint') yield { key: g.key, version: oldest };
      }
    }
    // Many GETs in flight, in key (= size) order.
    yield* ordered(notes(), REQUESTS_IN_FLIGHT, async (n) => ({
      name: this.nameOf(n.key),
      bytes: await this.getVersion(n.key, n.version),
    }));
  }
}

/** Defaults of the S3 request bounds (KFM_S3_TIMEOUT_MS, KFM_S3_MAX_ATTEMPTS override them). */
export const S3_TIMEOUT_MS = 60_000;
export const S3_MAX_ATTEMPTS = 3;

/** The per-request timeout and the attempts, from the environment (a bad value is STORE_INVALID). */
export function requestLimits(env: Readonly<Record<string, string | undefined>>): {
  timeoutMs: number;
  maxAttempts: number;
} {
  const num = (name: string, dflt: number, max: number): number => {
    const v = env[name];
    if (v === undefined || v === '') return dflt;
    if (!/^[1-9][0-9]{0,8}$/.test(v) || Number(v) > max)
      throw new ReceiptError('STORE_INVALID', `${name} "${v}": expected an integer from 1 to ${max}`);
    return Number(v);
  };
  return {
    timeoutMs: num('KFM_S3_TIMEOUT_MS', S3_TIMEOUT_MS, 3_600_000),
    maxAttempts: num('KFM_S3_MAX_ATTEMPTS', S3_MAX_ATTEMPTS, 20),
  };
}

/** A GET of a key whose current version is missing or a delete marker. */
function isNotFound(e: unknown): boolean {
  const cause = (e as { cause?: { name?: string; $metadata?: { httpStatusCode?: number } } }).cause;
  return cause?.name === 'NoSuchKey' || cause?.$metadata?.httpStatusCode === 404;
}

/**
 * The one error of a failed S3 request: which request (operation and object), what failed,
 * and what to do — every write is idempotent (an append finds its envelope already in the log;
 * derived data is never overwritten), so re-running the same command is always safe.
 */
function s3Error(where: string, e: unknown, op = 'request'): ReceiptError {
  if (e instanceof ReceiptError) return e;
  const err = e as { name?: string; message?: string; $metadata?: { httpStatusCode?: number; attempts?: number } };
  const status = err.$metadata?.httpStatusCode;
  const attempts = err.$metadata?.attempts;
  const what = `${err.name ?? 'Error'}${status ? ` (HTTP ${status})` : ''}${attempts ? ` after ${attempts} attempt(s)` : ''}: ${(err.message ?? String(e)).split('\n')[0]}`;
  const hint =
    status === 403
      ? 'check the credentials and the appender IAM policy'
      : err.name === 'NoSuchBucket'
        ? 'check the bucket name in --store'
        : 'check --endpoint / AWS_ENDPOINT_URL_S3 and that the server is up (KFM_S3_TIMEOUT_MS bounds each request)';
  return new ReceiptError(
    'STORE_UNAVAILABLE',
    `S3 ${op} ${where}: ${what}; ${hint}, then re-run the same command (appends are idempotent: nothing is appended twice)`,
    { cause: e },
  );
}

/** The folder of a relative path ('index/shards' of 'index/shards/<hex>.json'). */
function dirOf(path: string): string {
  return path.slice(0, path.lastIndexOf('/'));
}
