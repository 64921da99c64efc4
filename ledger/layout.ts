/**
 * The ledger's storage layout: every path and name pattern, in one place. The directory store,
 * the S3 store, the index, the checkpointing and every reader import it; nobody builds a path
 * by hand. Paths are relative to the store's root (a directory, or `s3://BUCKET/PREFIX/`):
 *
 *   entries/<seq 12>.json                  one entry, never rewritten
 *   checkpoints/<size 12>.<keyhash 8>.txt  signed checkpoint notes
 *   bundles/<first seq 12>.jsonl           the 256 entries first … first + 255 (derived)
 *   index/<size 12>.<keyhash 8>.json       the index note of the checkpoint of that size (derived)
 *   index/shards/<sha256 hex>.json         content-addressed index shards (derived)
 *   index/shards/<sha256 hex>.<16 hex>.json  a shard's copy, named by the note that names it
 *
 * The log is the contiguous run entries/1 … n: n is the last seq before the first one with no
 * object (the tail every appender and reader takes). An entry object past that first gap is
 * not part of the log — junk, like any stray object: nothing an appender writes chains onto it,
 * and one PutObject past the end must neither move the tail nor stop the ledger. A deletion
 * inside the log makes it end there, which every checkpoint and witness larger than that fails.
 *
 * `kfm-audit-store.json` at the root marks a store `kfm audit init` created before its first
 * entry (S3, where folders do not exist); a directory store is marked by its entries/ folder.
 * `kfm audit append` writes only into a store that exists: one with entries or the marker.
 *
 * A directory store may also hold `.<name>.tmp-<pid>-<random>` files, leftovers of an
 * interrupted write. Anything else in these folders is not the ledger's.
 */
import { sha256Hex } from '../core/digest';
import { seqName } from './entry';

export { seqName };

export const ENTRIES_DIR = 'entries';
export const CHECKPOINTS_DIR = 'checkpoints';
export const BUNDLES_DIR = 'bundles';
export const INDEX_DIR = 'index';
/** Folders of derived data (written by `kfm audit checkpoint` and the appender; never evidence). */
export const DERIVED_DIRS: readonly string[] = [BUNDLES_DIR, INDEX_DIR];
/** Every top-level folder of a store. */
export const STORE_DIRS: readonly string[] = [ENTRIES_DIR, CHECKPOINTS_DIR, ...DERIVED_DIRS];

/** The object `kfm audit init` writes at an S3 store's root (a store before its first entry). */
export const STORE_MARKER = 'kfm-audit-store.json';
/** The marker's bytes (canonical JSON and a newline). */
export const STORE_MARKER_BYTES = Buffer.from('{"v":"kfm-audit-store/1"}\n', 'utf8');

/** Entries per bundle: a bundle holds entries 256·k+1 … 256·k+256 (C2SP tlog-tiles' width). */
export const BUNDLE_SIZE = 256;

/** First seq of the bundle holding `seq`. */
export function bundleFirst(seq: number): number {
  return Math.floor((seq - 1) / BUNDLE_SIZE) * BUNDLE_SIZE + 1;
}

const ENTRY_FILE = /^([0-9]{12})\.json$/;
const CHECKPOINT_FILE = /^([0-9]{12})\.([0-9a-f]{8})\.txt$/;
const BUNDLE_FILE = /^([0-9]{12})\.jsonl$/;
const INDEX_FILE = /^([0-9]{12})\.([0-9a-f]{8})\.json$/;
/** A directory store's temp file (`.<name>.tmp-<pid>-<random>`), left by an interrupted write. */
export const TEMP_FILE = /^\..+\.tmp-[0-9]+-[0-9a-f]+$/;

/** Why an entry object past the log's end (the first missing seq is `firstMissing`) is junk. */
export function pastTheEnd(firstMissing: number): string {
  return `entry object past the end of the log (entry ${firstMissing} does not exist, so the log ends at ${firstMissing - 1}; a deletion there fails every checkpoint and witness above ${firstMissing - 1})`;
}

/**
 * Why an entry object at `seq`, the first place whose object does not chain onto entry seq - 1,
 * is not part of the log: it was planted at a seq the log had not reached (or it replaced the
 * log's last entry, which every checkpoint and witness covering it catches as a truncation).
 */
export function notChaining(seq: number): string {
  return `entry object that does not chain onto entry ${seq - 1} (planted at a seq the log had not reached yet, or the last entry replaced), so the log ends at ${seq - 1}; never evidence (a directory store's appender refuses to write past it: move it out of entries/; a replaced entry fails every checkpoint and witness above ${seq - 1})`;
}

/** Why an entry object after the one `notChaining` names is not part of the log either. */
export function pastTheChain(end: number): string {
  return `entry object past the end of the log (entry ${end + 1} does not chain onto entry ${end}, so the log ends at ${end})`;
}

/** `entries/<seq>.json`. */
export function entryPath(seq: number): string {
  return `${ENTRIES_DIR}/${seqName(seq)}.json`;
}

/** The seq of an entry file name (inside entries/), or undefined for any other name. */
export function entryFileSeq(fileName: string): number | undefined {
  const m = ENTRY_FILE.exec(fileName);
  return m && Number(m[1]) >= 1 ? Number(m[1]) : undefined;
}

/** `checkpoints/<size>.<keyhash>.txt`. */
export function checkpointPath(size: number, keyHashHex: string): string {
  return `${CHECKPOINTS_DIR}/${seqName(size)}.${keyHashHex}.txt`;
}

/** The tree size a checkpoint file name (inside checkpoints/) names, or undefined for any other name. */
export function checkpointFileSize(fileName: string): number | undefined {
  const m = CHECKPOINT_FILE.exec(fileName);
  return m ? Number(m[1]) : undefined;
}

/** The tree size a checkpoint path (`checkpoints/…`) or full name (ending in it) names, or undefined. */
export function checkpointPathSize(path: string): number | undefined {
  const i = path.lastIndexOf(`${CHECKPOINTS_DIR}/`);
  return i < 0 ? undefined : checkpointFileSize(path.slice(i + CHECKPOINTS_DIR.length + 1));
}

/** Size, key hash and file name of a checkpoint path (`checkpoints/…`) or full name ending in it. */
export function checkpointPathParts(path: string): { size: number; keyHashHex: string; file: string } | undefined {
  const i = path.lastIndexOf(`${CHECKPOINTS_DIR}/`);
  const m = i < 0 ? null : CHECKPOINT_FILE.exec(path.slice(i + CHECKPOINTS_DIR.length + 1));
  return m ? { size: Number(m[1]), keyHashHex: m[2]!, file: m[0] } : undefined;
}

/**
 * A listing bound for checkpoints: `atOrAbove` lists those of tree size ≥ size, `above` those
 * of a larger tree size ("~" sorts after every key hash).
 */
export const checkpointsFrom = {
  atOrAbove: (size: number): string => `${CHECKPOINTS_DIR}/${seqName(size)}`,
  above: (size: number): string => `${CHECKPOINTS_DIR}/${seqName(size)}.~`,
};

/** `bundles/<first>.jsonl`. */
export function bundlePath(first: number): string {
  return `${BUNDLES_DIR}/${seqName(first)}.jsonl`;
}

/** A listing bound for bundles: names sorting after it are the bundles whose first seq is ≥ seq. */
export function bundlesFrom(seq: number): string {
  return `${BUNDLES_DIR}/${seqName(seq)}`;
}

/** The first seq a bundle file name (inside bundles/) holds, or undefined for any other name. */
export function bundleFileFirst(fileName: string): number | undefined {
  const m = BUNDLE_FILE.exec(fileName);
  return m && Number(m[1]) % BUNDLE_SIZE === 1 ? Number(m[1]) : undefined;
}

/** The first seq of a bundle path (`bundles/…`) or full name (ending in it), or undefined. */
export function bundlePathFirst(path: string): number | undefined {
  const i = path.lastIndexOf(`${BUNDLES_DIR}/`);
  return i < 0 ? undefined : bundleFileFirst(path.slice(i + BUNDLES_DIR.length + 1));
}

/** `index/<size>.<keyhash>.json`. */
export function indexPath(size: number, keyHashHex: string): string {
  return `${INDEX_DIR}/${seqName(size)}.${keyHashHex}.json`;
}

/** The tree size of an index note path (`index/…`), or undefined for any other path (shards included). */
export function indexPathSize(path: string): number | undefined {
  if (!path.startsWith(`${INDEX_DIR}/`)) return undefined;
  const m = INDEX_FILE.exec(path.slice(INDEX_DIR.length + 1));
  return m ? Number(m[1]) : undefined;
}

/** Listing bounds for index notes: the prefix of one size's notes, and "every note above size". */
export const indexNotes = {
  ofSize: (size: number): string => `${seqName(size)}.`,
  above: (size: number): string => `${INDEX_DIR}/${seqName(size)}.~`,
};

/**
 * `index/shards/<hex>.json` for a shard whose bytes have digest `sha256:<hex>`; with `copy` (the
 * `shardCopyTag` of a signed index note), `index/shards/<hex>.<copy>.json`: the copy the
 * checkpoint that signed that note wrote because the first name held other bytes.
 */
export function shardPath(digest: string, copy?: string): string {
  return `${INDEX_DIR}/shards/${digest.slice('sha256:'.length)}${copy === undefined ? '' : `.${copy}`}.json`;
}

/**
 * The name part of a shard's copy: 16 hex of the sha256 of the signed index note naming it. Nobody
 * can know it before the note is signed, and the checkpoint writes its copies before the note.
 */
export function shardCopyTag(note: Buffer): string {
  return sha256Hex(note).slice(0, 16);
}

const SHARD_PATH = new RegExp(`^${INDEX_DIR}/shards/[0-9a-f]{64}(\\.[0-9a-f]{16})?\\.json$`);

/** Whether a path is an index shard or a shard's copy (`index/shards/<sha256 hex>[.<copy>].json`). */
export function isShardPath(path: string): boolean {
  return SHARD_PATH.test(path);
}

/** What a path relative to the store's root is, by the layout alone. */
export type StorePath =
  | { readonly kind: 'entry'; readonly seq: number }
  | { readonly kind: 'checkpoint'; readonly size: number }
  | { readonly kind: 'bundle'; readonly first: number }
  | { readonly kind: 'derived' }
  | { readonly kind: 'leftover' }
  | { readonly kind: 'marker' }
  | { readonly kind: 'unknown' };

/**
 * Classify a path under the store's root. Derived index data is the index's to judge (a note or
 * shard is only ever read when a signed note names it); `leftover` is a directory store's temp file;
 * `marker` the root object `kfm audit init` writes (never evidence, never junk).
 */
export function classifyPath(path: string): StorePath {
  const slash = path.indexOf('/');
  const dir = slash < 0 ? '' : path.slice(0, slash);
  const file = path.slice(slash + 1);
  if (path === STORE_MARKER) return { kind: 'marker' };
  if (slash >= 0 && TEMP_FILE.test(file) && !file.includes('/')) return { kind: 'leftover' };
  if (dir === ENTRIES_DIR) {
    const seq = entryFileSeq(file);
    return seq === undefined ? { kind: 'unknown' } : { kind: 'entry', seq };
  }
  if (dir === CHECKPOINTS_DIR) {
    const size = checkpointFileSize(file);
    return size === undefined ? { kind: 'unknown' } : { kind: 'checkpoint', size };
  }
  if (dir === BUNDLES_DIR) {
    const first = bundleFileFirst(file);
    return first === undefined ? { kind: 'unknown' } : { kind: 'bundle', first };
  }
  if (dir === INDEX_DIR) return { kind: 'derived' };
  return { kind: 'unknown' };
}
