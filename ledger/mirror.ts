/**
 * `mirrorLedger(from, to)`: copy an audit ledger (entries, bundles, index shards and notes,
 * checkpoints) from one store to another, through the AuditStore interface only, then check that
 * both stores have the same Merkle root at every checkpoint. Four named steps.
 *
 * - Idempotent and resumable: what the mirror already holds is compared, never written again; an
 *   interrupted run is finished by running it again.
 * - Refuses to write into a store whose existing content disagrees: the first object that differs
 *   fails with one LOG_INTEGRITY line naming it, before anything after it is written.
 * - Entries are appended in order (the mirror's own chain is the source's, byte for byte: an entry
 *   not in the one canonical encoding cannot be reproduced by `append` and is refused).
 * - Checkpoints go last, so a mirror never holds a checkpoint over entries it does not hold.
 */
import { ReceiptError } from '../core/errors';
import { parseCheckpoint } from './checkpoint';
import { encodeEntry, entryHash, GENESIS_PREV } from './entry';
import {
  BUNDLES_DIR,
  bundlePathFirst,
  CHECKPOINTS_DIR,
  checkpointPathParts,
  INDEX_DIR,
  indexPathSize,
  isShardPath,
} from './layout';
import { leafHash, MerkleFrontier } from './merkle';
import { AuditStore, StoredEntry } from './store';

/** Counts of one kind of object: written now, already there (and equal). */
export interface CopyCount {
  copied: number;
  present: number;
}

/** The root both stores have at one checkpoint's tree size. */
export interface MirroredRoot {
  readonly size: number;
  /** The RFC 6962 root, base64 as in checkpoint notes and `kfm audit verify`: equal in both stores and the note. */
  readonly root: string;
  /** The checkpoint note's name in the mirror. */
  readonly checkpoint: string;
}

export interface MirrorReport {
  readonly from: string;
  readonly to: string;
  readonly entries: CopyCount;
  readonly derived: CopyCount;
  readonly checkpoints: CopyCount;
  /** One per checkpoint of the source, in size order. */
  readonly roots: MirroredRoot[];
}

export interface MirrorOptions {
  /** Called after each entry copied or compared (a progress bar). @default - nothing */
  readonly onEntry?: (seq: number) => void;
}

/** Derived data in copy order (a note after the shards it names), and the paths that are data. */
const DERIVED: readonly { dir: string; isData: (path: string) => boolean }[] = [
  { dir: BUNDLES_DIR, isData: (p) => bundlePathFirst(p) !== undefined },
  { dir: `${INDEX_DIR}/shards`, isData: isShardPath },
  { dir: INDEX_DIR, isData: (p) => indexPathSize(p) !== undefined },
];
/** The file name of a checkpoint (`<size>.<keyhash>.txt`), the same in both stores. */
const checkpointFile = (name: string): string | undefined => checkpointPathParts(name)?.file;

function disagree(name: string, what: string): ReceiptError {
  return new ReceiptError('LOG_INTEGRITY', `${name}: ${what}; refusing to mirror into a store whose content disagrees`);
}

async function next(it: AsyncIterator<StoredEntry> | undefined): Promise<StoredEntry | undefined> {
  if (!it) return undefined;
  const r = await it.next();
  return r.done ? undefined : r.value;
}

/** Step 1: entries, in order; the mirror's existing entries are compared, the rest appended. */
async function copyEntries(from: AuditStore, to: AuditStore, opts: MirrorOptions): Promise<CopyCount> {
  const count: CopyCount = { copied: 0, present: 0 };
  const have = (await to.size()) > 0 ? to.entries()[Symbol.asyncIterator]() : undefined;
  let prev = GENESIS_PREV;
  for await (const e of from.entries()) {
    const mirrored = await next(have);
    if (mirrored) {
      if (!mirrored.entryBytes.equals(e.entryBytes))
        throw disagree(to.entryName(e.seq), `differs from ${from.entryName(e.seq)}`);
      count.present++;
    } else {
      if (!encodeEntry(e.seq, prev, e.envelopeBytes).equals(e.entryBytes))
        throw disagree(from.entryName(e.seq), 'is not in the canonical entry encoding, so append cannot reproduce it');
      const r = await to.append(e.envelopeBytes);
      if (r.existing || r.seq !== e.seq)
        throw disagree(
          to.entryName(r.seq),
          `took entry ${e.seq} of ${from.spec} as ${r.existing ? 'a replay of' : 'seq'} ${r.seq}`,
        );
      count.copied++;
    }
    prev = entryHash(e.entryBytes);
    opts.onEntry?.(e.seq);
  }
  if (await next(have)) throw disagree(to.spec, `holds more entries than ${from.spec}`);
  return count;
}

/** Step 2: bundles, index shards, then index notes (a note after the shards it names). */
async function copyDerived(from: AuditStore, to: AuditStore): Promise<CopyCount> {
  const count: CopyCount = { copied: 0, present: 0 };
  for (const { dir, isData } of DERIVED) {
    for (const path of (await from.listDerived(dir)).filter(isData)) {
      const bytes = await from.getDerived(path);
      if (bytes === undefined) continue;
      if (await to.putDerived(path, bytes)) {
        count.copied++;
        continue;
      }
      const existing = await to.getDerived(path);
      if (!existing?.equals(bytes)) throw disagree(to.derivedName(path), `differs from ${from.derivedName(path)}`);
      count.present++;
    }
  }
  return count;
}

/** Step 3: checkpoint notes (putCheckpoint refuses a different note for the same size and key). */
async function copyCheckpoints(from: AuditStore, to: AuditStore): Promise<CopyCount> {
  const before = new Set((await to.listDerived(CHECKPOINTS_DIR)).map(checkpointFile));
  const count: CopyCount = { copied: 0, present: 0 };
  for await (const cp of from.checkpoints()) {
    const parts = checkpointPathParts(cp.name);
    if (!parts) continue;
    await to.putCheckpoint(parts.size, parts.keyHashHex, cp.bytes);
    if (before.has(parts.file)) count.present++;
    else count.copied++;
  }
  return count;
}

/** Roots of a store's tree at each of `sizes` (ascending), streaming its entries once. */
async function rootsAt(store: AuditStore, sizes: readonly number[]): Promise<Map<number, string>> {
  const out = new Map<number, string>();
  const frontier = new MerkleFrontier();
  const wanted = new Set(sizes);
  if (wanted.has(0)) out.set(0, frontier.root().toString('base64'));
  const last = sizes.length > 0 ? sizes[sizes.length - 1]! : 0;
  if (last === 0) return out;
  for await (const e of store.entries()) {
    frontier.push(leafHash(e.entryBytes));
    if (wanted.has(e.seq)) out.set(e.seq, frontier.root().toString('base64'));
    if (e.seq >= last) break;
  }
  return out;
}

/**
 * Step 4: both stores have the same root at every checkpoint of the source, equal to the root the
 * checkpoint states, and the mirror holds the same checkpoint notes.
 */
export async function compareRoots(from: AuditStore, to: AuditStore): Promise<MirroredRoot[]> {
  const notes: { size: number; root: string; name: string; bytes: Buffer }[] = [];
  for await (const cp of from.checkpoints()) {
    const c = parseCheckpoint(cp.bytes.toString('utf8'), cp.name);
    notes.push({ size: c.size, root: c.root.toString('base64'), name: cp.name, bytes: cp.bytes });
  }
  const mirrorNotes = new Map<string, { name: string; bytes: Buffer }>();
  for await (const cp of to.checkpoints()) mirrorNotes.set(checkpointFile(cp.name) ?? cp.name, cp);
  const sizes = [...new Set(notes.map((n) => n.size))].sort((a, b) => a - b);
  const [a, b] = await Promise.all([rootsAt(from, sizes), rootsAt(to, sizes)]);
  return notes.map((n) => {
    const mirrored = mirrorNotes.get(checkpointFile(n.name) ?? n.name);
    if (!mirrored || !mirrored.bytes.equals(n.bytes))
      throw disagree(mirrored?.name ?? to.spec, `lacks or differs from checkpoint ${n.name}`);
    if (a.get(n.size) !== n.root)
      throw disagree(
        n.name,
        `states root ${n.root} but ${from.spec} has ${a.get(n.size) ?? 'no tree'} at size ${n.size}`,
      );
    if (b.get(n.size) !== n.root)
      throw disagree(
        mirrored.name,
        `states root ${n.root} but ${to.spec} has ${b.get(n.size) ?? 'no tree'} at size ${n.size}`,
      );
    return { size: n.size, root: n.root, checkpoint: mirrored.name };
  });
}

/** Copy the ledger `from` → `to` (entries, derived data, checkpoints), then compare their roots. */
export async function mirrorLedger(from: AuditStore, to: AuditStore, opts: MirrorOptions = {}): Promise<MirrorReport> {
  const entries = await copyEntries(from, to, opts);
  const derived = await copyDerived(from, to);
  const checkpoints = await copyCheckpoints(from, to);
  const roots = await compareRoots(from, to);
  return { from: from.spec, to: to.spec, entries, derived, checkpoints, roots };
}
