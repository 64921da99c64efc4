/**
 * Offline verification of the whole log, streaming (memory flat in the log's size):
 *
 *  1. every object under the store is an entry, a checkpoint or a reported leftover;
 *  2. sequence numbers are contiguous from 1; each entry decodes, its seq matches its name,
 *     its envelope digest matches, and its prev is the hash of the entry before it;
 *  3. every envelope has a signature by a trusted key;
 *  4. (S3) the oldest version of each key is the entry; a newer version is allowed only when it
 *     is a lost append race (its envelope appears later in the log); delete markers fail;
 *  5. every checkpoint (given with --checkpoint, and stored under checkpoints/) is signed by a
 *     trusted key, for this origin, and the current log is a consistent extension of it
 *     (RFC 6962 consistency proof from the checkpoint's size to the current size).
 *
 * Problems are collected, not thrown, so one run names every bad entry.
 */
import { ReceiptError, isReceiptError } from '../core/errors';
import { parseEnvelope } from '../attest/dsse/envelope';
import { TrustedKey } from '../attest/sign/ed25519';
import { parseCheckpoint, SignedCheckpoint, verifyCheckpoint } from './checkpoint';
import { decodeEntry, entryHash, GENESIS_PREV, seqName } from './entry';
import { consistencyRanges, LeafRange, leafHash, MerkleFrontier, RangeHasher, verifyConsistency } from './merkle';
import { BatchBuilder, defaultWorkers, SignaturePool } from './sig-pool';
import { checkQuorum, describeQuorum, Witness } from './cosignature';
import { checkIndexes, IndexBuilder, SinceStart } from './index';
import { AuditStore, BUNDLE_SIZE, bundleFirst, bundlePath, ScanItem, StoredEntry } from './store';

/**
 * Size of the newest index the store holds (0: none) — under it every complete range has a
 * bundle. Resumed from a checkpoint with an index (`from`), only the notes above it are listed.
 */
async function indexedSize(store: AuditStore, from = 0): Promise<number> {
  let max = from;
  const after = from > 0 ? `index/${seqName(from)}.~` : undefined;
  for (const name of await store.listDerived('index', { after })) {
    const m = /^index\/([0-9]{12})\.[0-9a-f]{8}\.json$/.exec(name);
    if (m) max = Math.max(max, Number(m[1]));
  }
  return max;
}

/** One bundle's lines, compared with the entries of its range as they are read. */
class BundleCheck {
  private readonly lines: Buffer[] = [];
  private seen = 0;
  private differs: number | undefined;
  private readonly shape: string | undefined;

  constructor(
    readonly first: number,
    readonly name: string,
    bytes: Buffer,
  ) {
    let at = 0;
    while (at < bytes.length) {
      const nl = bytes.indexOf(0x0a, at);
      if (nl < 0) {
        this.shape = 'does not end with a newline (truncated or altered)';
        break;
      }
      this.lines.push(bytes.subarray(at, nl + 1));
      at = nl + 1;
    }
    if (this.shape === undefined && this.lines.length !== BUNDLE_SIZE)
      this.shape = `holds ${this.lines.length} lines, expected ${BUNDLE_SIZE} entries (altered)`;
  }

  check(seq: number, entry: Buffer): void {
    const i = seq - this.first;
    if (i < 0 || i >= BUNDLE_SIZE) return;
    this.seen++;
    if (this.differs === undefined && !(this.lines[i]?.equals(entry) ?? false)) this.differs = seq;
  }

  problem(): string | undefined {
    const last = this.first + BUNDLE_SIZE - 1;
    if (this.seen < BUNDLE_SIZE)
      return `bundle of entries ${this.first}–${last}, but only ${this.seen} of them are in the log (a bundle for an incomplete range: forged)`;
    if (this.shape !== undefined) return `bundle ${this.shape}`;
    if (this.differs !== undefined)
      return `bundle differs from entry ${this.differs} (modified or forged bundle; readers must not use it)`;
    return undefined;
  }
}

export interface CheckpointInput {
  /** File name, for messages. */
  readonly source: string;
  readonly text: string;
}

export interface VerifyOptions {
  readonly trusted: readonly TrustedKey[];
  readonly checkpoints?: readonly CheckpointInput[];
  readonly origin: string;
  /** Stop listing problems after this many (the count stays exact). @default 200 */
  readonly maxProblems?: number;
  /**
   * Worker threads for the Ed25519 checks; 0 checks on the calling thread.
   * @default os.availableParallelism() when the log has ≥ 2,048 entries, else 0
   */
  readonly workers?: number;
  /**
   * Witnesses and quorum (c2sp.org/tlog-cosignature): with quorum ≥ 1, a checkpoint counts as
   * witnessed only with `quorum` valid cosignatures from distinct `witnesses`; every
   * `checkpoints` input must be witnessed, and at least one checkpoint must be.
   */
  readonly witnesses?: readonly Witness[];
  readonly quorum?: number;
  /**
   * Called with each entry, in order, while the log is intact up to it (contiguous, decodes,
   * chained): a gate reads the entries in the same pass that verifies them.
   */
  readonly onEntry?: (entry: StoredEntry) => void;
  /**
   * Resume from a verified checkpoint (`kfm audit verify --since`): check only the entries after
   * it, chained onto its last entry and hashed onto its tree; stored checkpoints above it are
   * compared with the extended tree, those at or below it are not read again.
   */
  readonly since?: SinceStart;
  /**
   * Check each envelope's signature under `trusted` (step 3). `false` checks everything else:
   * `audit checkpoint` without --pub, whose key only signs checkpoints. @default true
   */
  readonly envelopeSignatures?: boolean;
}

/** Envelopes per signature batch, and how many batches may be in flight (memory stays bounded). */
const BATCH = 512;
const WINDOW_PER_WORKER = 3;
/** Below this many entries, starting worker threads costs more than it saves. */
const WORKERS_FROM = 2048;

/** Problems of one batch, in scan order; a number stands for "envelope #i of the batch failed". */
interface Batch {
  readonly sigs: BatchBuilder;
  readonly events: (string | number)[];
  readonly names: string[];
  result?: Promise<Uint8Array>;
}

export interface CheckpointResult {
  readonly source: string;
  readonly size: number | null;
  readonly ok: boolean;
  /** With --quorum: whether the checkpoint has its quorum, and who cosigned it. */
  readonly witnessed?: boolean;
  readonly cosigners?: readonly string[];
  /** base64 root hash of the checkpoint (when it parsed). */
  readonly root?: string;
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly store: string;
  /** Entries found. */
  readonly size: number;
  /** base64 RFC 6962 root over the entries found. */
  readonly root: string;
  readonly problemCount: number;
  readonly problems: readonly string[];
  readonly notes: readonly string[];
  readonly checkpoints: readonly CheckpointResult[];
}

interface Pending {
  readonly seq: number;
  readonly name: string;
  readonly versionId: string;
  resolvedBy?: number;
}

export async function verifyLog(store: AuditStore, opts: VerifyOptions): Promise<VerifyReport> {
  const max = opts.maxProblems ?? 200;
  const problems: string[] = [];
  let problemCount = 0;
  const notes: string[] = [];
  const problem = (msg: string): void => {
    problemCount++;
    if (problems.length < max) problems.push(msg);
  };
  if (opts.trusted.length === 0) throw new ReceiptError('USAGE', 'kfm audit verify: pass at least one --pub');

  // Checkpoints: parse and check signatures first.
  const cps: { source: string; cp: SignedCheckpoint; result: { ok: boolean } }[] = [];
  const results: CheckpointResult[] = [];
  const quorum = opts.quorum ?? 0;
  let witnessedSize = -1;
  const addCheckpoint = (source: string, text: string, given: boolean): void => {
    try {
      const cp = parseCheckpoint(text, source);
      verifyCheckpoint(cp, opts.trusted, opts.origin, source);
      const q = quorum > 0 ? checkQuorum(cp, opts.witnesses ?? [], quorum) : undefined;
      const root = cp.root.toString('base64');
      const result: CheckpointResult = q
        ? { source, size: cp.size, ok: true, witnessed: q.ok, cosigners: q.cosigners, root }
        : { source, size: cp.size, ok: true, root };
      if (q && !q.ok) {
        const invalid = q.checks.some((c) => c.status === 'invalid');
        if (given || invalid) {
          problem(`${source}: not witnessed: ${describeQuorum(q)}`);
          (result as { ok: boolean }).ok = false;
        } else notes.push(`${source}: not witnessed (${describeQuorum(q)}); checked against the log key only`);
      }
      if (q?.ok) witnessedSize = Math.max(witnessedSize, cp.size);
      results.push(result);
      cps.push({ source, cp, result });
    } catch (e) {
      if (!isReceiptError(e)) throw e;
      problem(e.message);
      results.push({ source, size: null, ok: false });
    }
  };
  for (const c of opts.checkpoints ?? []) addCheckpoint(c.source, c.text, true);
  for await (const c of store.checkpoints({ above: opts.since?.size })) {
    if (opts.since && Number(/([0-9]{12})\.[0-9a-f]{8}\.txt$/.exec(c.name)?.[1] ?? Infinity) <= opts.since.size)
      continue;
    addCheckpoint(c.name, c.bytes.toString('utf8'), false);
  }
  const since = opts.since;

  // The tree size the consistency proofs are computed against (entries appended while this
  // runs are still checked entry by entry, but not covered by the proofs).
  const n = await store.size();
  const proofs = cps
    .filter((c) => c.cp.size > 0 && c.cp.size <= n && since === undefined)
    .map((c) => ({ c, ranges: consistencyRanges(c.cp.size, n) as LeafRange[] }));
  const hasher = new RangeHasher(proofs.flatMap((p) => p.ranges));
  const frontier = since?.frontier ?? new MerkleFrontier();
  // Resumed: checkpoints after the start are compared with the tree as it grows past them.
  const direct = since ? cps.filter((c) => c.cp.size > since.size && c.cp.size <= n) : [];
  // The root at tree size n: the frontier's root when it holds exactly entries 1..n (with no
  // gaps up to there, the only case the proofs below use).
  let rootN: Buffer | undefined = n === (since?.size ?? 0) ? frontier.root() : undefined;

  let expected = (since?.size ?? 0) + 1;
  let prev: string | undefined = since?.prev ?? GENESIS_PREV;
  let gaps = false;
  const pendingByDigest = new Map<string, Pending[]>();
  const pendingAll: Pending[] = [];
  // Envelope digest (96 bits) → first seq: a re-appended envelope is a note, never new evidence.
  const firstOf = new Map<string, number>();

  // Bundles (derived): each is checked line by line against the entries of its range as they
  // stream past; complete ranges without one are reported (a problem below the newest index,
  // whose checkpoint wrote every bundle under it; a note above it or in an older layout).
  const indexed = await indexedSize(store, since?.size ?? 0);
  // The newest index is rebuilt from the entries and compared (an index that omits an entry or
  // names a wrong seq is a problem naming it).
  const rebuilt = indexed > 0 && since === undefined ? new IndexBuilder() : undefined;
  let bundle: BundleCheck | undefined;
  let found = 0;
  let seen = since?.size ?? 0; // entries seen in a row (the complete ranges)
  // highest range end that had a bundle (resumed: the range under way at the start is not judged)
  let covered = since
    ? bundleFirst(since.size + 1) + BUNDLE_SIZE - 1 - (bundleFirst(since.size + 1) > since.size ? BUNDLE_SIZE : 0)
    : 0;
  const openBundle = (item: Extract<ScanItem, { kind: 'bundle' }>): void => {
    if (item.deleteMarkers > 0)
      say(`${item.name}: ${item.deleteMarkers} delete marker(s) on the bundle (attempted delete)`);
    for (const v of item.extraVersions) {
      if (!v.bytes.equals(item.bytes))
        say(`${item.name}: newer version ${v.versionId} differs from the bundle (attempted overwrite)`);
    }
    bundle = new BundleCheck(item.first, item.name, item.bytes);
  };
  const finishBundle = (seq: number): void => {
    if (bundle !== undefined && seq >= bundle.first + BUNDLE_SIZE) {
      const why = bundle.problem();
      if (why !== undefined) say(`${bundle.name}: ${why}`);
      else covered = bundle.first + BUNDLE_SIZE - 1;
      bundle = undefined;
    }
  };
  const missingBundles: number[] = [];
  const countEntry = (seq: number): void => {
    if (seq !== seen + 1) return;
    seen = seq;
    if (seq % BUNDLE_SIZE === 0 && covered < seq && !(bundle && bundle.first === seq - BUNDLE_SIZE + 1)) {
      missingBundles.push(seq - BUNDLE_SIZE + 1);
    }
  };

  // Signatures are checked in batches (on worker threads for big logs) while the scan goes
  // on; each batch keeps its problems in scan order, and batches are settled in order, so
  // the report is the same as checking every entry in turn.
  const pool = new SignaturePool(opts.trusted, opts.workers ?? (n >= WORKERS_FROM ? defaultWorkers() : 0));
  const window = Math.max(1, pool.size) * WINDOW_PER_WORKER;
  const unsigned = `envelope not signed by a trusted key (${opts.trusted.map((k) => k.source).join(', ')})`;
  const newBatch = (): Batch => ({ sigs: pool.newBatch(), events: [], names: [] });
  const inflight: Batch[] = [];
  let batch = newBatch();
  let intact = true;
  const say = (msg: string): void => {
    intact = false;
    batch.events.push(msg);
  };
  const settle = async (b: Batch): Promise<void> => {
    const ok = b.result === undefined ? undefined : await b.result;
    for (const ev of b.events) {
      if (typeof ev === 'string') problem(ev);
      else if (ok![ev] !== 1) problem(`${b.names[ev]}: ${unsigned}`);
    }
  };
  const send = async (): Promise<void> => {
    if (batch.events.length === 0) return;
    if (batch.sigs.count > 0) batch.result = pool.verify(batch.sigs.finish());
    inflight.push(batch);
    batch = newBatch();
    while (inflight.length > window) await settle(inflight.shift()!);
  };

  try {
    for await (const item of store.scan({ from: expected })) {
      if (item.kind === 'bundle') {
        if (item.first < expected) continue;
        finishBundle(item.first);
        openBundle(item);
        continue;
      }
      if (item.kind === 'leftover') {
        notes.push(`${item.name}: leftover of an interrupted append (not an entry; safe to delete)`);
        continue;
      }
      if (item.kind === 'unknown') {
        say(`${item.name}: unexpected object in the log (not an entry or checkpoint); forged or misplaced`);
        continue;
      }
      if (item.kind === 'missing') {
        say(`${item.name}: entry ${item.seq} is missing (deleted or never published)`);
        gaps = true;
        prev = undefined;
        expected = item.seq + 1;
        continue;
      }
      const { seq, name, bytes } = item;
      finishBundle(seq);
      if (bundle !== undefined) bundle.check(seq, bytes);
      if (seq !== expected) {
        say(`${name}: expected entry ${expected} before it (entries missing)`);
        gaps = true;
        prev = undefined;
      }
      expected = seq + 1;
      countEntry(seq);
      const leaf = leafHash(bytes);
      frontier.push(leaf);
      if (!gaps && seq <= n) {
        hasher.push(leaf);
        if (seq === n) rootN = frontier.root();
        for (const c of direct) {
          if (c.cp.size === seq && !frontier.root().equals(c.cp.root)) {
            c.result.ok = false;
            say(
              `${c.source}: the log is not a consistent extension of this checkpoint (tree size ${c.cp.size}): entries at or below ${store.entryName(c.cp.size)} were rewritten`,
            );
          }
        }
      }
      try {
        const e = decodeEntry(bytes, name);
        if (e.seq !== seq) {
          say(`${name}: field "seq" is ${e.seq} but the entry is stored as ${seq} (swapped, moved or forged entry)`);
        } else if (prev !== undefined && e.prev !== prev) {
          say(
            `${name}: field "prev" does not match the hash of entry ${seq - 1} (chain broken: an entry before it was altered, inserted or removed)`,
          );
        }
        if (intact) {
          const entry = { seq, envelopeBytes: e.envelopeBytes, digest: e.digest, entryBytes: bytes };
          if (opts.onEntry) opts.onEntry(entry);
          if (rebuilt && seq <= indexed) rebuilt.push(entry);
        }
        try {
          const env = parseEnvelope(e.envelopeBytes.toString('utf8'), `${name}: envelope`);
          if (opts.envelopeSignatures !== false) {
            batch.events.push(batch.sigs.add(env));
            batch.names.push(name);
          }
        } catch (err) {
          if (!isReceiptError(err)) throw err;
          say(err.message);
        }
        for (const p of pendingByDigest.get(e.digest) ?? [])
          if (p.resolvedBy === undefined && p.seq < seq) p.resolvedBy = seq;
        const short = e.digest.slice(7, 31);
        const first = firstOf.get(short);
        if (first === undefined) firstOf.set(short, seq);
        else
          notes.push(`${name}: envelope already appended as entry ${first} (a duplicate; gates count only the first)`);
      } catch (err) {
        if (!isReceiptError(err)) throw err;
        say(err.message);
      }
      prev = entryHash(bytes);
      if (item.deleteMarkers > 0) {
        say(
          `${name}: ${item.deleteMarkers} delete marker(s) on the entry (attempted delete; the oldest version still counts)`,
        );
      }
      for (const v of item.extraVersions) {
        let digest: string | undefined;
        try {
          const x = decodeEntry(v.bytes, `${name} version ${v.versionId}`);
          if (x.seq === seq) digest = x.digest;
        } catch {
          digest = undefined;
        }
        if (digest === undefined) {
          say(`${name}: newer version ${v.versionId} is not an entry for seq ${seq} (attempted overwrite)`);
          continue;
        }
        const p: Pending = { seq, name, versionId: v.versionId };
        pendingAll.push(p);
        pendingByDigest.set(digest, [...(pendingByDigest.get(digest) ?? []), p]);
      }
      if (batch.sigs.count >= BATCH || batch.events.length >= 4 * BATCH) await send();
    }
    finishBundle(Number.MAX_SAFE_INTEGER);
    await send();
    while (inflight.length > 0) await settle(inflight.shift()!);
  } finally {
    await pool.close();
  }
  for (const p of pendingAll) {
    if (p.resolvedBy === undefined) {
      problem(
        `${p.name}: newer version ${p.versionId} is not a lost append race (its envelope is not in the log later; attempted overwrite, or an appender died mid-retry: re-append that envelope)`,
      );
    } else {
      notes.push(
        `${p.name}: newer version ${p.versionId} is a lost append race (appended again as entry ${p.resolvedBy})`,
      );
    }
  }

  found = frontier.size;
  if (rebuilt !== undefined && intact && found >= indexed) {
    for (const p of await checkIndexes(store, rebuilt, opts.origin, opts.trusted, indexed)) problem(p);
  }
  for (const first of missingBundles) {
    const what = `${store.derivedName(bundlePath(first))}: bundle of entries ${first}–${first + BUNDLE_SIZE - 1} is missing`;
    if (first + BUNDLE_SIZE - 1 <= indexed) problem(`${what} (deleted: the checkpoint at ${indexed} wrote it)`);
    else notes.push(`${what} (derived data; readers use the entries; "kfm audit checkpoint" writes it)`);
  }

  // Checkpoints against the log.
  if (!gaps && rootN !== undefined) {
    const hashes = hasher.hashes();
    let off = 0;
    for (const p of proofs) {
      const proof = hashes.slice(off, off + p.ranges.length);
      off += p.ranges.length;
      if (!verifyConsistency(p.c.cp.size, n, p.c.cp.root, rootN, proof)) {
        p.c.result.ok = false;
        problem(
          `${p.c.source}: the log is not a consistent extension of this checkpoint (tree size ${p.c.cp.size}): entries at or below ${store.entryName(p.c.cp.size)} were rewritten`,
        );
      }
    }
  } else if (proofs.length > 0) {
    for (const p of proofs) p.c.result.ok = false;
    problem(`checkpoints not provable: the log has gaps (see above); ${proofs.map((p) => p.c.source).join(', ')}`);
  }
  for (const c of cps) {
    if (c.cp.size > n) {
      c.result.ok = false;
      problem(
        `${c.source}: checkpoint covers ${c.cp.size} entries but the log has ${n}: ${store.entryName(n + 1)} to ${store.entryName(c.cp.size)} are missing (truncated tail)`,
      );
    }
  }
  if (quorum > 0) {
    if (witnessedSize < 0)
      problem(`no checkpoint has a quorum of ${quorum} witness cosignature(s); the log is not witnessed`);
    else if (witnessedSize < found)
      notes.push(
        `entries ${store.entryName(witnessedSize + 1)} to ${store.entryName(found)} are not yet covered by a witnessed checkpoint`,
      );
  }
  return {
    ok: problemCount === 0,
    store: store.spec,
    size: found,
    root: frontier.root().toString('base64'),
    problemCount,
    problems,
    notes,
    checkpoints: results,
  };
}
