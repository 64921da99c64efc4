/**
 * What a gate reads for one commit when it holds a trusted checkpoint (`kfm gate … --checkpoint`,
 * or witnesses with a quorum): by proof when the store has a valid index for the checkpoint it
 * anchors on (the log index, ledger/log-index-read.ts), otherwise the whole log through verify.
 *
 * By proof, the gate reads: the checkpoint notes it needs, the index note for the anchor and the
 * one shard naming the commit, one bundle per 256-entry range holding the commit's entries (each
 * entry proven by an RFC 6962 inclusion proof against the anchor), the records that name one of
 * those entries as an in-toto subject (a drift report or smoke record bound to the commit's
 * apply, made at a later commit: the shard of each entry's digest), and — without a quorum — the
 * entries after the anchor, chained onto its last entry and signature-checked. Every other given
 * checkpoint must be consistent with the anchor (RFC 6962 consistency proof from the index).
 * With a quorum, only what a quorum of witnesses cosigned is judged, so nothing after the newest
 * witnessed checkpoint is read. The cost grows with log n and with what came after the anchor,
 * not with the history.
 *
 * The index makes the gate faster, never blind: any defect (no index, an altered or missing
 * shard or bundle, a seq whose entry does not claim the commit, a bad signature, a checkpoint
 * that does not verify or is not consistent, a format 1 index that holds no subjects, a checkpoint
 * signed by a key that is not the log's, a damaged entry after the anchor) sends the gate to
 * the full read, which names the problem and fails the gate when the log is damaged. An index
 * that omits an entry while signed by the trusted checkpoint key is as wrong as a forged
 * checkpoint by that key: `kfm audit verify` rebuilds every index and names it (exit 3).
 */
import { isReceiptError, ReceiptError } from '../core/errors';
import { TrustedKey } from '../attest/sign/ed25519';
import { parseCheckpoint, SignedCheckpoint, verifyCheckpoint } from './checkpoint';
import { checkQuorum, describeQuorum, Witness } from './cosignature';
import { checkpointPathSize, checkpointsFrom, CHECKPOINTS_DIR } from './layout';
import { Index, indexFor, provenBoundTo, provenOfCommit, readAfter } from './log-index-read';
import { consistencyRanges, verifyConsistency } from './merkle';
import { all, REQUESTS_IN_FLIGHT } from './pool';
import { AuditStore, StoredEntry } from './store';
import { CheckpointInput, verifyLog, VerifyOptions } from './verify';

/** A checkpoint the proof read used: given by the caller or (with a quorum) found witnessed in the store. */
export interface ProofCheckpoint {
  readonly source: string;
  readonly size: number;
  /** base64 root. */
  readonly root: string;
  readonly given: boolean;
  readonly witnessed?: boolean;
  readonly cosigners?: readonly string[];
  /** The signed note itself (what a gate submits to witnesses to learn the size they hold). */
  readonly note?: string;
}

export interface GateRead {
  /** What the gate judges: by proof, the commit's entries (and without a quorum every entry after the anchor); else all. */
  readonly entries: StoredEntry[];
  /**
   * By proof with a quorum: the entries after the witnessed anchor, chained and signed but not yet
   * cosigned. Never evidence for a decision; the gates let them deny (gates/unwitnessed.ts).
   */
  readonly unwitnessed?: StoredEntry[];
  /** The tree size judged (by proof with a quorum: the newest witnessed checkpoint's). */
  readonly size: number;
  readonly root: string;
  /** 'proof' (index + inclusion proofs + the entries after the anchor) or 'full' (verify of the whole log). */
  readonly via: 'proof' | 'full';
  /** Why the read fell back to the whole log, then the full read's integrity problems. */
  readonly problems: readonly string[];
  /** False when the full read found the log damaged (a failing gate item). */
  readonly ok: boolean;
  /**
   * What the read passed over as junk, never evidence (objects planted ahead of the log, S3
   * versions that are not the entry, stray objects, envelopes no trusted key signed), as verify
   * lists them. By proof: what was read after the anchor.
   */
  readonly junk?: readonly string[];
  /** By proof: the anchor, the other checkpoints checked against it, and the index note read. */
  readonly proof?: {
    readonly anchor: ProofCheckpoint;
    readonly checkpoints: readonly ProofCheckpoint[];
    readonly index: string;
    /** Entries of the commit, and records bound to them, proven against the anchor. */
    readonly proven: number;
    /** Of those, the records bound to the commit's entries (made at another commit). */
    readonly bound: number;
    /** Entries read after the anchor. */
    readonly after: number;
  };
  /** Full read: the verify report (checkpoints, witnesses), for the caller's own judgement. */
  readonly report?: Awaited<ReturnType<typeof verifyLog>>;
}

export interface GateReadOptions extends Omit<VerifyOptions, 'onEntry' | 'since' | 'checkpoints'> {
  readonly trusted: readonly TrustedKey[];
  /**
   * The keys that sign the log's checkpoints and indexes (the gate's `--pub` keys). A checkpoint
   * or index under any other trusted key (an approver's) is never the anchor of a read by proof:
   * cosignatures cover only the note text, so such a key could re-sign a witnessed tree and
   * vouch for an index that leaves evidence out.
   * @default trusted
   */
  readonly checkpointSigners?: readonly TrustedKey[];
  /** The trusted checkpoints the caller holds (kept where the appender cannot write). */
  readonly checkpoints: readonly CheckpointInput[];
  readonly witnesses?: readonly Witness[];
  /** With a quorum ≥ 1 the anchor is the newest checkpoint a quorum cosigned. @default 0 */
  readonly quorum?: number;
}

/**
 * The stored checkpoint notes of size ≥ `size` signed under a checkpoint signer, as verify
 * requires; junk (a note no signer signed, one whose name names another size, a forged
 * cosignature) is skipped, as verify lists it and never uses it.
 */
async function storedFrom(
  store: AuditStore,
  size: number,
  opts: GateReadOptions,
): Promise<{ name: string; cp: SignedCheckpoint }[]> {
  const names = await storedNotes(store, checkpointsFrom.atOrAbove(size));
  const read = await all(names, REQUESTS_IN_FLIGHT, async (path) => {
    const name = store.derivedName(path);
    const bytes = await store.getDerived(path);
    if (bytes === undefined) throw new ReceiptError('LOG_INTEGRITY', `${name}: listed but not readable`);
    const c = storedNote(store, path, bytes, opts);
    return c && { name, cp: c.cp };
  });
  return read.filter((c): c is { name: string; cp: SignedCheckpoint } => c !== undefined);
}

/** A stored note as a checkpoint, or undefined when it is junk (see storedFrom). */
function storedNote(store: AuditStore, path: string, bytes: Buffer, opts: GateReadOptions): Checked | undefined {
  let c: Checked;
  try {
    c = checkedCheckpoint(store.derivedName(path), bytes.toString('utf8'), false, opts);
  } catch (e) {
    if (isReceiptError(e) && e.code !== 'STORE_UNAVAILABLE') return undefined;
    throw e;
  }
  if (c.cp.size !== checkpointPathSize(path)) return undefined;
  const q = (opts.quorum ?? 0) > 0 ? checkQuorum(c.cp, opts.witnesses ?? [], opts.quorum!) : undefined;
  if (q && q.checks.some((x) => x.status === 'invalid')) return undefined;
  return c;
}

/** The checkpoint notes listed after `after` (a layout bound), by name. */
async function storedNotes(store: AuditStore, after: string | undefined): Promise<string[]> {
  return (await store.listDerived(CHECKPOINTS_DIR, { after })).filter((n) => checkpointPathSize(n) !== undefined);
}

/**
 * The gate's read for `commit`: by proof when it can be trusted, else the whole log. Never
 * throws for a damaged store (that is a failing read); throws only for a broken store connection.
 */
export async function readForGate(store: AuditStore, commit: string, opts: GateReadOptions): Promise<GateRead> {
  let why: string;
  try {
    const r = await readByProofForGate(store, commit, opts);
    if (typeof r !== 'string') return r;
    why = r;
  } catch (e) {
    if (!isReceiptError(e) || e.code === 'STORE_UNAVAILABLE') throw e;
    why = e.message;
  }
  const entries: StoredEntry[] = [];
  const report = await verifyLog(store, {
    ...opts,
    ...verifyKeys(opts.trusted, opts.checkpointSigners),
    checkpoints: opts.checkpoints,
    onEntry: (e) => entries.push(e),
  });
  return {
    entries,
    size: report.size,
    root: report.root,
    via: 'full',
    problems: [`read the whole log (${why})`, ...report.problems],
    ok: report.ok,
    junk: report.junk,
    report,
  };
}

/**
 * The keys a gate's full verify runs under: checkpoints, index notes (and so every problem they
 * can raise) only under the checkpoint signers (the gate's `--pub` keys); the other trusted keys
 * (approvers') verify envelopes only. An approver's note of a tree that never existed is then
 * junk, never a jam of every gate.
 */
export function verifyKeys(
  trusted: readonly TrustedKey[],
  signers: readonly TrustedKey[] | undefined,
): Pick<VerifyOptions, 'trusted' | 'approvers'> {
  if (signers === undefined) return { trusted };
  const own = new Set(signers.map((k) => k.keyid));
  const others = trusted.filter((k) => !own.has(k.keyid)).map((key) => ({ name: key.source, key }));
  return { trusted: signers, approvers: others };
}

type Checked = { cp: SignedCheckpoint; info: ProofCheckpoint; signer: TrustedKey };

/**
 * The proof read, or why it cannot be used (a sentence); LOG_INTEGRITY for a defect found on the
 * way. Steps: the anchor, its index, the other checkpoints against it, the commit's entries
 * proven, then every entry after the anchor (with a quorum: kept apart as not yet witnessed).
 */
export async function readByProofForGate(
  store: AuditStore,
  commit: string,
  opts: GateReadOptions,
): Promise<GateRead | string> {
  const given = opts.checkpoints.map((c) => checkedCheckpoint(c.source, c.text, true, opts));
  const anchor = await chooseAnchor(store, given, opts);
  if (typeof anchor === 'string') return anchor;
  // Only the anchor's own signer vouches for its index: another trusted key (an approver's, say)
  // could sign an index that leaves an entry out.
  const index = await indexFor(store, anchor.cp, [anchor.signer]);
  if (index === undefined) return `${store.spec} holds no index for ${anchor.info.source}`;
  if (index.version < 2)
    return `${index.name} is a format 1 index, which cannot find records bound to the commit's receipts (run kfm audit checkpoint)`;
  await checkConsistentWithAnchor(given, anchor, index);
  // The commit's entries, and those bound to them (a drift report made at a later commit names
  // the apply receipt it checked as a subject): the gate binds records the same way.
  const own = await provenOfCommit(index, anchor.cp, commit);
  const bound = await provenBoundTo(index, anchor.cp, own);
  const proven = [...own, ...bound].sort((x, y) => x.seq - y.seq);
  // Every entry after the anchor is read. Without a quorum they are judged; with one they are not
  // yet witnessed, so they can only deny (gates/unwitnessed.ts).
  const read = await readAfterAnchor(store, index, anchor, opts);
  const after = (opts.quorum ?? 0) === 0 ? read : undefined;
  return {
    entries: after ? [...proven, ...after.entries] : proven,
    ...(after ? {} : { unwitnessed: read.entries }),
    size: after?.size ?? anchor.cp.size,
    root: after?.root ?? anchor.info.root,
    via: 'proof',
    problems: [],
    ok: true,
    junk: read.junk,
    proof: {
      anchor: anchor.info,
      checkpoints: given.filter((c) => c !== anchor).map((c) => c.info),
      index: index.name,
      proven: proven.length,
      bound: bound.length,
      after: after?.entries.length ?? 0,
    },
  };
}

/** A checkpoint signed by one of the log's checkpoint signers; a given one must have its quorum. */
function checkedCheckpoint(source: string, text: string, given: boolean, opts: GateReadOptions): Checked {
  const quorum = opts.quorum ?? 0;
  const cp = parseCheckpoint(text, source);
  const signer = verifyCheckpoint(cp, opts.checkpointSigners ?? opts.trusted, opts.origin, source);
  const q = quorum > 0 ? checkQuorum(cp, opts.witnesses ?? [], quorum) : undefined;
  if (q && !q.ok && given)
    throw new ReceiptError('CHECKPOINT_INVALID', `${source}: not witnessed: ${describeQuorum(q)}`);
  const info: ProofCheckpoint = {
    source,
    size: cp.size,
    root: cp.root.toString('base64'),
    given,
    ...(q ? { witnessed: q.ok, cosigners: q.cosigners } : {}),
    note: text,
  };
  return { cp, info, signer };
}

/** The newest given checkpoint, or with a quorum the newest one a quorum cosigned; else why there is none. */
async function chooseAnchor(store: AuditStore, given: Checked[], opts: GateReadOptions): Promise<Checked | string> {
  const quorum = opts.quorum ?? 0;
  let anchor = given.reduce<Checked | undefined>(
    (a, c) => (a === undefined || c.cp.size > a.cp.size ? c : a),
    undefined,
  );
  if (quorum > 0) {
    // The newest checkpoint a quorum cosigned; stored ones above the given anchor only (the
    // listing starts there). A stored note that does not verify is left to the full read.
    // Read from the largest name down to the first witnessed note: names sort by the size they
    // name; junk (a note whose name names another size than it holds — an older witnessed note
    // copied under a name that sorts last —, one that does not verify) is never the anchor, and
    // the witnesses, asked at decision time, hold the newest tree (gates/fresh-witnesses.ts).
    const after = anchor ? checkpointsFrom.atOrAbove(anchor.cp.size) : undefined;
    for (const name of (await storedNotes(store, after)).reverse()) {
      const bytes = await store.getDerived(name);
      const c = bytes && storedNote(store, name, bytes, opts);
      if (c === undefined) continue; // junk: never the anchor (verify lists it)
      if (c.info.witnessed !== true) continue; // not (yet) witnessed: not judged, as in the full read
      if (anchor === undefined || c.cp.size > anchor.cp.size) anchor = c;
      break;
    }
  }
  if (anchor === undefined)
    return quorum > 0 ? 'no checkpoint a quorum of witnesses cosigned' : 'no trusted checkpoint given';
  if (anchor.cp.size === 0) return 'the trusted checkpoint is of the empty log';
  return anchor;
}

/** Every other given checkpoint: the anchor's tree is a consistent extension of it. */
async function checkConsistentWithAnchor(given: Checked[], anchor: Checked, index: Index): Promise<void> {
  for (const c of given) {
    if (c === anchor || c.cp.size === 0) continue;
    const ok =
      c.cp.size === anchor.cp.size
        ? c.cp.root.equals(anchor.cp.root)
        : verifyConsistency(
            c.cp.size,
            anchor.cp.size,
            c.cp.root,
            anchor.cp.root,
            await Promise.all(
              consistencyRanges(c.cp.size, anchor.cp.size).map((r) => index.subtreeHash(r.start, r.end)),
            ),
          );
    if (!ok)
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `${c.info.source}: not consistent with ${anchor.info.source} (tree sizes ${c.cp.size} and ${anchor.cp.size}): the log was rewritten`,
      );
  }
}

/**
 * Everything appended after the anchor, judged as verify judges it (ledger/entry-check.ts):
 * chained onto it, and signed. The checkpoints stored at or above the anchor must each be a
 * state of this log: one larger than the log, or with another root, means deleted or rewritten entries.
 */
async function readAfterAnchor(store: AuditStore, index: Index, anchor: Checked, opts: GateReadOptions) {
  const stored = await storedFrom(store, anchor.cp.size, opts);
  const sizes = stored.map((c) => c.cp.size);
  const after = await readAfter(store, index, anchor.cp, sizes, { keys: opts.trusted, identities: opts.identities });
  for (const c of stored) {
    const at = after.roots.get(c.cp.size);
    if (at === undefined)
      throw new ReceiptError(
        'LOG_INTEGRITY',
        `${c.name}: checkpoint of ${c.cp.size} entries, the log holds ${after.size} (entries deleted)`,
      );
    if (at !== c.cp.root.toString('base64'))
      throw new ReceiptError('LOG_INTEGRITY', `${c.name}: not consistent with the log (rewritten)`);
  }
  return after;
}
