/**
 * Offline verification of the whole log, streaming (memory flat in the log's size), as a list
 * of named steps (`verifyLog` below):
 *
 *  1. read checkpoints: each given (--checkpoint) and stored one is parsed, signed by a trusted
 *     key for this origin, and (with a quorum) witnessed; the stored index notes are read, and
 *     those a trusted key signed kept for step 4;
 *  2. scan entries: every object under the store is an entry, a checkpoint, a bundle, an index
 *     or a reported leftover; each entry is checked by entry-check.ts (contiguous seqs from 1,
 *     decodes, seq matches its name, prev chains, signed by a trusted key — in batches on worker
 *     threads —, delete markers, newer versions); bundles are compared with their entries; each
 *     signed index note is compared with the index rebuilt from the entries at its size (every
 *     note, not only the newest: step 4 runs during the scan);
 *  3. settle lost races: a newer version of an entry is allowed only when it is a lost append
 *     race (its envelope appears later in the log), by the one rule of entry-check.ts; one that
 *     an interrupted append left (chained, its envelope signed by a trusted key) is a note naming
 *     the append to re-run, any other junk;
 *  4. compare indexes: a signed note larger than the log is a problem;
 *  5. check bundles: a complete range without a bundle below the newest index is a problem;
 *  6. prove checkpoints: the log is a consistent extension of every checkpoint (RFC 6962
 *     consistency proof from its size to the current size), and none is larger than the log;
 *  7. check witnesses: with a quorum, some checkpoint is witnessed;
 *  8. report.
 *
 * Resumed (`kfm audit verify --since`), the same steps run from the trusted checkpoint: only the
 * entries after it, chained onto its last entry and hashed onto its tree; the stored index notes
 * above it are rebuilt from its index. Problems are collected, not thrown, so one run names
 * every bad entry.
 *
 * Junk — what no key the ledger trusts signed: stray objects, envelopes no trusted key signed,
 * bundles that do not match their entries, index notes and stored checkpoints that do not
 * verify — is never evidence and never switches a check off: it is listed (`junk`), and fails
 * the run only with `strict`. Damage to what a trusted key signed (an entry's place in the
 * chain and tree, a checkpoint, an index note and the shards it names) is a problem.
 */
import { printable } from '../core/printable';
import { ReceiptError, isReceiptError } from '../core/errors';
import { TrustedKey } from '../attest/sign/ed25519';
import type { IdentityTrust } from '../attest/sigstore/trusted-signer';
import { parseCheckpoint, SignedCheckpoint, verifyCheckpoint } from './checkpoint';
import { entryHash, GENESIS_PREV, ScanItem, StoredEntry } from './entry';
import {
  checkEntry,
  EnvelopeTrust,
  leftoverNote,
  LostRaces,
  missingProblem,
  strayProblem,
  versionProblems,
} from './entry-check';
import { BUNDLE_SIZE, bundleFirst, bundlePath, checkpointFileSize, checkpointPathSize } from './layout';
import { consistencyRanges, LeafRange, leafHash, MerkleFrontier, RangeHasher, verifyConsistency } from './merkle';
import { defaultWorkers, SignedInOrder } from './sig-pool';
import { checkQuorum, describeQuorum, Witness } from './cosignature';
import { IndexBuilder } from './log-index-build';
import { checkIndexNotes, readIndexNotes, StoredIndexNote } from './log-index-check';
import { SinceStart } from './log-index-read';
import { AuditStore } from './store';

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

  /** True when every entry of its range was read. */
  get complete(): boolean {
    return this.seen >= BUNDLE_SIZE;
  }

  problem(): string | undefined {
    const last = this.first + BUNDLE_SIZE - 1;
    if (this.seen < BUNDLE_SIZE)
      return `bundle of entries ${this.first}–${last}, but only ${this.seen} of them are in the log (a bundle for an incomplete range: forged)`;
    if (this.shape !== undefined) return `bundle ${this.shape}`;
    if (this.differs !== undefined)
      return `bundle differs from entry ${this.differs} (modified or forged bundle; readers check it against the signed range root and use the entries)`;
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
   * With `onEntry`: entries are passed on as they are read (none held back), and this is called
   * when the run ends in objects that do not chain and the log is read again at its real size:
   * what `onEntry` gathered is to be dropped. Without it, entries are held until the size is
   * settled (a gate's evidence must never see an entry twice).
   */
  readonly onReread?: () => void;
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
  /**
   * Junk (what no trusted key signed: stray objects, foreign envelopes, bundles and index notes
   * that do not verify) fails the run, for an auditor who wants a clean store (`--strict`).
   * @default false — junk is listed in `junk`, never evidence, never a failure
   */
  readonly strict?: boolean;
  /**
   * Approver keys (`--approver NAME=PUB`): envelopes signed by them verify (never checkpoints or
   * indexes), and a note names the entries only they sign — an approval appended before its
   * key was committed counts once the key is given.
   * @default none
   */
  readonly approvers?: readonly { readonly name: string; readonly key: TrustedKey }[];
  /**
   * Trusted identities (per role, under a Sigstore trusted root) for keyless bundles in the log:
   * one whose certificate identity may sign its record verifies; others are junk.
   * @default none: keyless bundles are junk
   */
  readonly identities?: IdentityTrust;
}

/** Below this many entries, starting worker threads costs more than it saves. */
const WORKERS_FROM = 2048;

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
  /** What no trusted key signed, found in the store (listed up to maxProblems): never evidence. */
  readonly junk: readonly string[];
  readonly junkCount: number;
}

/** Problems and notes of one run: problems past `max` are counted, not kept. */
class Findings {
  readonly problems: string[] = [];
  readonly notes: string[] = [];
  readonly junk: string[] = [];
  count = 0;
  junkCount = 0;
  /** Run once every step is done (summaries). */
  readonly atEnd: (() => void)[] = [];
  constructor(private readonly max: number) {}
  /** Messages name objects an appender may have named: kept printable (core/printable.ts). */
  problem(msg: string): void {
    this.count++;
    if (this.problems.length < this.max) this.problems.push(printable(msg));
  }
  /** What no trusted key signed: listed, never evidence, a failure only with `strict`. */
  foundJunk(msg: string): void {
    this.junkCount++;
    if (this.junk.length < this.max) this.junk.push(printable(msg));
  }
}

interface ReadCheckpoint {
  readonly source: string;
  readonly cp: SignedCheckpoint;
  readonly result: { ok: boolean };
}

/** Step 1: the given and stored checkpoints, each signed, for this origin, and (with a quorum) witnessed. */
async function readCheckpoints(
  store: AuditStore,
  opts: VerifyOptions,
  f: Findings,
): Promise<{
  cps: ReadCheckpoint[];
  results: CheckpointResult[];
  witnessedSize: number;
}> {
  const cps: ReadCheckpoint[] = [];
  const results: CheckpointResult[] = [];
  const quorum = opts.quorum ?? 0;
  let witnessedSize = -1;
  const add = (source: string, text: string, given: boolean): void => {
    try {
      const cp = parseCheckpoint(text, source);
      verifyCheckpoint(cp, opts.trusted, opts.origin, source);
      const q = quorum > 0 ? checkQuorum(cp, opts.witnesses ?? [], quorum) : undefined;
      const root = cp.root.toString('base64');
      const result: CheckpointResult & { ok: boolean } = q
        ? {
            source,
            size: cp.size,
            ok: true,
            witnessed: q.ok,
            cosigners: q.cosigners,
            root,
          }
        : { source, size: cp.size, ok: true, root };
      // A stored note whose name names another size, or with a forged cosignature, is a copy
      // someone with PutObject made (the name and the witness lines are not the log key's to
      // sign): junk, never used. A problem here would let one object stop every cosign while a
      // gate by proof, which lists notes only from its anchor up, goes on judging a frozen tree.
      const junk = given ? undefined : storedNoteJunk(source, cp.size, q);
      if (junk !== undefined) {
        f.foundJunk(`${source}: ${junk}; never used, ignored`);
        return;
      }
      if (q && !q.ok) {
        if (given) {
          f.problem(`${source}: not witnessed: ${describeQuorum(q)}`);
          result.ok = false;
        } else f.notes.push(`${source}: not witnessed (${describeQuorum(q)}); checked against the log key only`);
      }
      if (q?.ok) witnessedSize = Math.max(witnessedSize, cp.size);
      results.push(result);
      cps.push({ source, cp, result });
    } catch (e) {
      if (!isReceiptError(e)) throw e;
      // A stored note no trusted key signed for this origin is junk; one the user gave is a problem.
      if (given) {
        f.problem(e.message);
        results.push({ source, size: null, ok: false });
      } else f.foundJunk(`${e.message}; not used, ignored`);
    }
  };
  for (const c of opts.checkpoints ?? []) add(c.source, c.text, true);
  const since = opts.since;
  for await (const c of store.checkpoints({ above: since?.size })) {
    if (since && (checkpointPathSize(c.name) ?? Infinity) <= since.size) continue;
    add(c.name, c.bytes.toString('utf8'), false);
  }
  return { cps, results, witnessedSize };
}

/** Why a stored, log-signed note is junk (a misnamed copy, a forged cosignature), or undefined. */
function storedNoteJunk(
  source: string,
  size: number,
  q: ReturnType<typeof checkQuorum> | undefined,
): string | undefined {
  const named = checkpointFileSize(source.slice(source.lastIndexOf('/') + 1));
  if (named !== undefined && named !== size)
    return `signed checkpoint of ${size} entries stored under the name of ${named} (a copy under another name)`;
  if (q && q.checks.some((c) => c.status === 'invalid')) return `a cosignature does not verify (${describeQuorum(q)})`;
  return undefined;
}

/**
 * The signed index notes (resumed from a checkpoint with an index, only those above it) and
 * the size of the newest (0: none) — under it every complete range has a bundle. Unsigned
 * notes and other files in index/ are junk: they never set that size or skip a comparison.
 */
async function signedIndexes(
  store: AuditStore,
  opts: VerifyOptions,
  f: Findings,
): Promise<{ notes: Map<number, StoredIndexNote[]>; indexed: number }> {
  const from = opts.since?.size ?? 0;
  const read = await readIndexNotes(store, opts.trusted, from);
  read.junk.forEach((j) => f.foundJunk(j));
  read.problems.forEach((p) => f.problem(p));
  return { notes: read.signed, indexed: Math.max(from, ...read.signed.keys()) };
}

/** What the scan (step 2) learns, for the steps after it. */
class LogScan {
  expected: number;
  prev: string | undefined;
  gaps = false;
  intact = true;
  readonly frontier: MerkleFrontier;
  readonly races = new LostRaces();
  /** Envelope digest (96 bits) → first seq: a re-appended envelope is a note, never new evidence. */
  private readonly firstOf = new Map<string, number>();
  rootN: Buffer | undefined;
  bundle: BundleCheck | undefined;
  /** The size of signed index notes the rebuilt index has just reached (compared by the scan loop). */
  indexDue: number | undefined;
  /** Sizes of signed index notes compared with the rebuilt index. */
  readonly indexChecked = new Set<number>();
  /** Entries seen in a row (the complete ranges). */
  seen: number;
  /** Highest range end that had a bundle (resumed: the range under way at the start is not judged). */
  covered: number;
  readonly missingBundles: number[] = [];
  /** Bundles that do not match their entries: junk or damage, told apart after the scan (step 5). */
  readonly badBundles: { first: number; name: string; why: string; complete: boolean }[] = [];

  constructor(
    readonly store: AuditStore,
    readonly opts: VerifyOptions,
    readonly n: number,
    readonly hasher: RangeHasher,
    readonly direct: ReadCheckpoint[],
    readonly rebuilt: IndexBuilder | undefined,
    readonly indexNotes: ReadonlyMap<number, readonly StoredIndexNote[]>,
    readonly indexed: number,
    readonly sigs: SignedInOrder,
    readonly f: Findings,
  ) {
    const since = opts.since;
    this.expected = (since?.size ?? 0) + 1;
    this.prev = since?.prev ?? GENESIS_PREV;
    this.frontier = since?.frontier.clone() ?? new MerkleFrontier();
    this.rootN = n === (since?.size ?? 0) ? this.frontier.root() : undefined;
    this.seen = since?.size ?? 0;
    const first = since ? bundleFirst(since.size + 1) : 0;
    this.covered = since ? first + BUNDLE_SIZE - 1 - (first > since.size ? BUNDLE_SIZE : 0) : 0;
  }

  say(msg: string): void {
    this.intact = false;
    this.sigs.say(msg);
  }

  onItem(item: ScanItem, notes: string[]): void {
    if (item.kind === 'bundle') {
      if (item.first >= this.expected) this.openBundle(item);
    } else if (item.kind === 'leftover') notes.push(leftoverNote(item.name));
    else if (item.kind === 'unknown') this.f.foundJunk(strayProblem(item.name, item.why));
    else if (item.kind === 'missing') {
      this.say(missingProblem(item.name, item.seq));
      this.gaps = true;
      this.prev = undefined;
      this.expected = item.seq + 1;
    } else this.onEntry(item, notes);
  }

  private openBundle(item: Extract<ScanItem, { kind: 'bundle' }>): void {
    this.finishBundle(item.first);
    if (item.deleteMarkers > 0)
      this.say(`${item.name}: ${item.deleteMarkers} delete marker(s) on the bundle (attempted delete)`);
    for (const v of item.extraVersions) {
      if (!v.bytes.equals(item.bytes))
        this.f.foundJunk(
          `${item.name}: newer version ${v.versionId} differs from the bundle (never read: the oldest version is the bundle); ignored`,
        );
    }
    this.bundle = new BundleCheck(item.first, item.name, item.bytes);
  }

  finishBundle(seq: number): void {
    const b = this.bundle;
    if (b !== undefined && seq >= b.first + BUNDLE_SIZE) {
      const why = b.problem();
      if (why !== undefined) this.badBundles.push({ first: b.first, name: b.name, why, complete: b.complete });
      else this.covered = b.first + BUNDLE_SIZE - 1;
      this.bundle = undefined;
    }
  }

  private onEntry(item: Extract<ScanItem, { kind: 'entry' }>, notes: string[]): void {
    const { seq, name, bytes } = item;
    // The hash the entry before this one has (unknown after a gap): what a lost race chains onto.
    const before = seq === this.expected ? this.prev : undefined;
    this.finishBundle(seq);
    this.bundle?.check(seq, bytes);
    const { entry, problems } = checkEntry(bytes, seq, name, this.expected, this.prev);
    if (seq !== this.expected) {
      this.gaps = true;
      this.prev = undefined;
    }
    this.expected = seq + 1;
    this.countEntry(seq);
    this.hashLeaf(seq, leafHash(bytes));
    problems.forEach((p) => this.say(p));
    if (entry !== undefined) this.onDecoded(entry, name, notes);
    this.prev = entryHash(bytes);
    const v = versionProblems(item, before);
    v.problems.forEach((p) => this.say(p));
    v.junk.forEach((j) => this.f.foundJunk(j));
    v.claims.forEach((c) => this.races.claim(c));
  }

  private onDecoded(entry: StoredEntry, name: string, notes: string[]): void {
    if (this.intact) {
      this.opts.onEntry?.(entry);
      if (this.rebuilt && entry.seq <= this.indexed) {
        this.rebuilt.push(entry);
        if (this.indexNotes.has(entry.seq)) this.indexDue = entry.seq;
      }
    }
    if (this.opts.envelopeSignatures !== false) this.sigs.add(entry.envelopeBytes, name);
    this.races.see(entry.seq, entry.digest);
    const short = entry.digest.slice(7, 31);
    const first = this.firstOf.get(short);
    if (first === undefined) this.firstOf.set(short, entry.seq);
    else notes.push(`${name}: envelope already appended as entry ${first} (a duplicate; gates count only the first)`);
  }

  private countEntry(seq: number): void {
    if (seq !== this.seen + 1) return;
    this.seen = seq;
    const b = this.bundle;
    if (seq % BUNDLE_SIZE === 0 && this.covered < seq && !(b && b.first === seq - BUNDLE_SIZE + 1))
      this.missingBundles.push(seq - BUNDLE_SIZE + 1);
  }

  /** The leaf onto the tree; the proofs' subtrees and the checkpoints met on the way (resumed). */
  private hashLeaf(seq: number, leaf: Buffer): void {
    this.frontier.push(leaf);
    if (this.gaps || seq > this.n) return;
    this.hasher.push(leaf);
    if (seq === this.n) this.rootN = this.frontier.root();
    for (const c of this.direct) {
      if (c.cp.size === seq && !this.frontier.root().equals(c.cp.root)) {
        c.result.ok = false;
        this.say(notExtension(this.store, c));
      }
    }
  }
}

function notExtension(store: AuditStore, c: ReadCheckpoint): string {
  return `${c.source}: the log is not a consistent extension of this checkpoint (tree size ${c.cp.size}): entries at or below ${store.entryName(c.cp.size)} were rewritten`;
}

/**
 * Step 2: every object under the store, in order. Resumed, the stored index notes above the
 * checkpoint are rebuilt from its index (`IndexBuilder.after`); else the newest from entry 1.
 */
async function scanEntries(
  store: AuditStore,
  opts: VerifyOptions,
  read: { cps: ReadCheckpoint[] },
  n: number,
  f: Findings,
): Promise<{
  scan: LogScan;
  proofs: { c: ReadCheckpoint; ranges: LeafRange[] }[];
}> {
  const since = opts.since;
  // The tree size the consistency proofs are computed against (entries appended while this
  // runs are still checked entry by entry, but not covered by the proofs).
  const proofs = read.cps
    .filter((c) => c.cp.size > 0 && c.cp.size <= n && since === undefined)
    .map((c) => ({
      c,
      ranges: consistencyRanges(c.cp.size, n) as LeafRange[],
    }));
  // Resumed: checkpoints after the start are compared with the tree as it grows past them.
  const direct = since ? read.cps.filter((c) => c.cp.size > since.size && c.cp.size <= n) : [];
  const { notes, indexed } = await signedIndexes(store, opts, f);
  const rebuilt = rebuilderFor(indexed, since);
  const trust = envelopeTrust(opts);
  const sigs = new SignedInOrder(
    trust.keys,
    opts.workers ?? (n >= WORKERS_FROM ? defaultWorkers() : 0),
    (m) => f.problem(m),
    (m) => f.foundJunk(m),
    opts.approvers?.length ? approverNotes(opts.approvers, f) : undefined,
    trust.identities,
  );
  const scan = new LogScan(
    store,
    opts,
    n,
    new RangeHasher(proofs.flatMap((p) => p.ranges)),
    direct,
    rebuilt,
    notes,
    indexed,
    sigs,
    f,
  );
  try {
    for await (const item of store.scan({ from: scan.expected, prev: scan.prev })) {
      scan.onItem(item, f.notes);
      await compareIndexesAt(store, opts, scan, f);
      await sigs.maybeSend();
    }
    scan.finishBundle(Number.MAX_SAFE_INTEGER);
    await sigs.finish();
  } finally {
    await sigs.close();
  }
  return { scan, proofs };
}

/** The envelopes verify trusts: signed by a --pub or --approver key, or a bundle of a trusted identity. */
function envelopeTrust(opts: VerifyOptions): EnvelopeTrust {
  return { keys: [...opts.trusted, ...(opts.approvers ?? []).map((a) => a.key)], identities: opts.identities };
}

/** Notes, one per approver key, naming the entries only that key signs (listed on the report's notes at the end). */
function approverNotes(
  approvers: readonly { readonly name: string; readonly key: TrustedKey }[],
  f: Findings,
): { keys: number; signed: (name: string, key: TrustedKey) => void } {
  const by = new Map<TrustedKey, string[]>();
  f.atEnd.push(() => {
    for (const a of approvers) {
      const names = by.get(a.key) ?? [];
      if (names.length === 0) continue;
      const shown = names.slice(0, 5).join(', ') + (names.length > 5 ? ` and ${names.length - 5} more` : '');
      f.notes.push(
        `${names.length} envelope(s) verify under approver ${a.name}'s key (--approver), not under --pub: ${shown}; approvals count once their key is given, also those appended before it was committed`,
      );
    }
  });
  return { keys: approvers.length, signed: (name, key) => (by.get(key) ?? by.set(key, []).get(key)!).push(name) };
}

/** The builder the newest stored index is compared with (undefined: none to compare). */
function rebuilderFor(indexed: number, since: SinceStart | undefined): IndexBuilder | undefined {
  if (since === undefined) return indexed > 0 ? new IndexBuilder() : undefined;
  // A format 1 index cannot be continued (it holds no subjects).
  return indexed > since.size && since.index.version >= 2 ? IndexBuilder.after(since.index) : undefined;
}

/** Step 3: each newer version of an entry is a lost append race or an attempted overwrite. */
function settleLostRaces(scan: LogScan, opts: VerifyOptions, f: Findings): void {
  const { problems, notes, junk } = scan.races.settle(envelopeTrust(opts));
  problems.forEach((p) => f.problem(p));
  f.notes.push(...notes);
  junk.forEach((j) => f.foundJunk(j));
}

/** Step 4, during the scan: the signed index notes of the size the rebuilt index has just reached. */
async function compareIndexesAt(store: AuditStore, opts: VerifyOptions, scan: LogScan, f: Findings): Promise<void> {
  const size = scan.indexDue;
  if (size === undefined || scan.rebuilt === undefined) return;
  scan.indexDue = undefined;
  scan.indexChecked.add(size);
  const notes = scan.indexNotes.get(size) ?? [];
  for (const p of await checkIndexNotes(store, scan.rebuilt, opts.origin, notes)) f.problem(p);
}

/** Step 4, after the scan: a signed index note the log does not reach covers entries it lacks. */
function compareIndexes(store: AuditStore, scan: LogScan, f: Findings): void {
  for (const [size, notes] of scan.indexNotes) {
    if (scan.indexChecked.has(size) || size <= scan.frontier.size) continue;
    for (const note of notes)
      f.problem(
        `${note.name}: signed index of ${size} entries but the log has ${scan.frontier.size}: ${store.entryName(scan.frontier.size + 1)} to ${store.entryName(size)} are missing (truncated tail)`,
      );
  }
}

/**
 * Step 5: bundles that do not match their entries, and complete ranges without a bundle (a
 * problem below the newest index, whose checkpoint wrote every bundle under it; a note above it
 * or in an older layout). Each bundle there was compared with its entries during the scan.
 *
 * A bundle is an unsigned copy; what a trusted key signs is its range's root, in the index
 * notes (readers check a bundle against it and else read the entries). So a bundle that does not
 * match is junk — never read, never a jam — unless it was written after a signed index covering
 * its range: that index's checkpoint wrote or checked it, so it is damage (a problem). One
 * written before (a forgery placed before its range completed, or before the checkpoint) stays
 * junk for good, however many checkpoints come later.
 */
async function checkBundles(store: AuditStore, scan: LogScan, f: Findings): Promise<void> {
  for (const b of scan.badBundles) {
    const note = b.complete ? coveringIndex(scan, b.first + BUNDLE_SIZE - 1) : undefined;
    const written = note && (await store.writtenAt?.(bundlePath(b.first)));
    const signedAt = note && (await store.writtenAt?.(note.path));
    if (note && written !== undefined && signedAt !== undefined && written > signedAt)
      f.problem(`${b.name}: ${b.why} — altered after ${note.name} covered its range`);
    else
      f.foundJunk(
        `${b.name}: ${b.why}; written before any signed index covered its range, so never the ledger's: ignored`,
      );
  }
  for (const first of scan.missingBundles) {
    const what = `${store.derivedName(bundlePath(first))}: bundle of entries ${first}–${first + BUNDLE_SIZE - 1} is missing`;
    if (first + BUNDLE_SIZE - 1 <= scan.indexed)
      f.problem(`${what} (deleted: the checkpoint at ${scan.indexed} wrote it)`);
    else f.notes.push(`${what} (derived data; readers use the entries; "kfm audit checkpoint" writes it)`);
  }
}

/** The first signed index note (smallest size) that covers entry `last`. */
function coveringIndex(scan: LogScan, last: number): StoredIndexNote | undefined {
  let best: number | undefined;
  for (const size of scan.indexNotes.keys()) if (size >= last && (best === undefined || size < best)) best = size;
  return best === undefined ? undefined : scan.indexNotes.get(best)?.[0];
}

/** Step 6: the log is a consistent extension of every checkpoint, and none covers more than it holds. */
function proveCheckpoints(
  store: AuditStore,
  cps: ReadCheckpoint[],
  proofs: { c: ReadCheckpoint; ranges: LeafRange[] }[],
  scan: LogScan,
  f: Findings,
): void {
  const n = scan.n;
  if (!scan.gaps && scan.rootN !== undefined) {
    const hashes = scan.hasher.hashes();
    let off = 0;
    for (const p of proofs) {
      const proof = hashes.slice(off, off + p.ranges.length);
      off += p.ranges.length;
      if (!verifyConsistency(p.c.cp.size, n, p.c.cp.root, scan.rootN, proof)) {
        p.c.result.ok = false;
        f.problem(notExtension(store, p.c));
      }
    }
  } else if (proofs.length > 0) {
    for (const p of proofs) p.c.result.ok = false;
    f.problem(`checkpoints not provable: the log has gaps (see above); ${proofs.map((p) => p.c.source).join(', ')}`);
  }
  for (const c of cps) {
    if (c.cp.size > n) {
      c.result.ok = false;
      f.problem(
        `${c.source}: checkpoint covers ${c.cp.size} entries but the log has ${n}: ${store.entryName(n + 1)} to ${store.entryName(c.cp.size)} are missing (truncated tail)`,
      );
    }
  }
}

/** Step 7: with a quorum, some checkpoint is witnessed, and what it does not cover is named. */
function checkWitnesses(
  store: AuditStore,
  opts: VerifyOptions,
  witnessedSize: number,
  found: number,
  f: Findings,
): void {
  const quorum = opts.quorum ?? 0;
  if (quorum === 0) return;
  if (witnessedSize < 0)
    f.problem(`no checkpoint has a quorum of ${quorum} witness cosignature(s); the log is not witnessed`);
  else if (witnessedSize < found)
    f.notes.push(
      `entries ${store.entryName(witnessedSize + 1)} to ${store.entryName(found)} are not yet covered by a witnessed checkpoint`,
    );
}

export async function verifyLog(store: AuditStore, opts: VerifyOptions): Promise<VerifyReport> {
  if (opts.trusted.length === 0) throw new ReceiptError('USAGE', 'kfm audit verify: pass at least one --pub');
  // Sized by the names (cheap); when the run ends in objects that do not chain (planted ahead
  // of the log: junk), the log is shorter and the steps are redone at its real size.
  let n = store.listedSize ? await store.listedSize() : await store.size();
  let f = new Findings(opts.maxProblems ?? 200);
  let read = await readCheckpoints(store, opts, f);
  const held: StoredEntry[] = [];
  const first = opts.onEntry && !opts.onReread ? { ...opts, onEntry: (e: StoredEntry) => void held.push(e) } : opts;
  let { scan, proofs } = await scanEntries(store, first, read, n, f);
  if (scan.frontier.size < n && !scan.gaps) {
    opts.onReread?.();
    n = scan.frontier.size;
    f = new Findings(opts.maxProblems ?? 200);
    read = await readCheckpoints(store, opts, f);
    ({ scan, proofs } = await scanEntries(store, opts, read, n, f));
  } else held.forEach((e) => opts.onEntry?.(e));
  settleLostRaces(scan, opts, f);
  compareIndexes(store, scan, f);
  f.atEnd.forEach((g) => g());
  await checkBundles(store, scan, f);
  proveCheckpoints(store, read.cps, proofs, scan, f);
  checkWitnesses(store, opts, read.witnessedSize, scan.frontier.size, f);
  return {
    ok: f.count === 0 && !(opts.strict === true && f.junkCount > 0),
    store: store.spec,
    size: scan.frontier.size,
    root: scan.frontier.root().toString('base64'),
    problemCount: f.count,
    problems: f.problems,
    notes: f.notes,
    checkpoints: read.results,
    junk: f.junk,
    junkCount: f.junkCount,
  };
}
