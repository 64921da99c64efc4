/**
 * Where an appender holding the log's public key starts reading the chain: at the newest index
 * note that VERIFIES under that key (issue 24). Without the key (or with no such note) the
 * appender reads the chain from entry 1, as every appender did before: an index note is anyone's
 * to write, and only the key tells the signer's note from a planted one.
 *
 * A note is used only when all of these hold, else the next older one is tried:
 * - its signature verifies under one of the given keys (a note signed by another key is junk);
 * - its name's size is the size inside it (an older note copied under a name that sorts last
 *   disagrees with its name and is passed over; a copy under its own name is just that older note,
 *   and the newest verified one still wins because candidates are tried largest first);
 * - its range roots and last leaves fold to the root it signs;
 * - the entry it commits to at its last seq is in the store: the object (S3: a version) at that
 *   seq whose leaf hash is the note's last leaf (or, when the size ends a 256-entry range, the
 *   last entry of the bundle whose root is the note's last range root). That entry's hash is what
 *   the next entry chains onto, so the appender reads on from there with the same chain rule.
 * The entries the note covers are trusted as the log up to its size, and the replay check of an
 * envelope among them ("already appended") asks the note's digest shards (checked against the
 * digests the signed note names).
 */
import { ReceiptError } from '../core/errors';
import { TrustedKey, verifyBytes } from '../attest/sign/ed25519';
import { decodeEntry, entryHash } from './entry';
import {
  BUNDLE_SIZE,
  BUNDLES_DIR,
  bundlePath,
  bundlePathFirst,
  INDEX_DIR,
  indexNotes,
  indexPathSize,
  shardCopyTag,
} from './layout';
import { Index } from './log-index-read';
import { IndexBody, parseIndex, rootOfUnits, signedBytes, splitLines } from './log-index-format';
import { leafHash, rootOfLeafHashes } from './merkle';
import type { AppendStart, AuditStore } from './store';

/** The objects stored under entry `seq`'s name (`AuditStore.entryVersions`). */
type EntryVersions = (seq: number, wanted?: (bytes: Buffer) => boolean) => Promise<Buffer[]>;

/** Candidate notes tried before giving up (planted notes each cost a read): then the full read. */
export const MAX_NOTES_TRIED = 32;

/**
 * The newest index note that verifies under `keys` and whose last entry is in the store, as an
 * AppendStart; undefined when there is none (the caller reads from entry 1). Store outages
 * (STORE_UNAVAILABLE) propagate: the full read would meet them too.
 */
export async function verifiedAppendStart(
  store: AuditStore,
  keys: readonly TrustedKey[],
  entryVersions: EntryVersions,
): Promise<AppendStart | undefined> {
  if (keys.length === 0) return undefined;
  let tried = 0;
  const seen = new Set<string>();
  for (const round of [recentNotes, allNotes]) {
    const names = (await round(store)).filter((n) => !seen.has(n));
    for (const path of names) {
      seen.add(path);
      if (++tried > MAX_NOTES_TRIED) return undefined;
      const start = await usable(store, path, keys, entryVersions).catch((e: unknown) => {
        if (e instanceof ReceiptError && e.code !== 'STORE_UNAVAILABLE' && e.code !== 'INTERNAL') return undefined;
        throw e;
      });
      if (start !== undefined) return start;
    }
  }
  return undefined;
}

/** Whether the store holds any index note at all (signed by anyone). */
export async function hasIndexNotes(store: AuditStore): Promise<boolean> {
  return (await store.listDerived(INDEX_DIR)).some((n) => indexPathSize(n) !== undefined);
}

const bySizeDesc = (names: string[]): string[] =>
  names
    .filter((n) => (indexPathSize(n) ?? 0) > 0)
    .sort((a, b) => indexPathSize(b)! - indexPathSize(a)! || (a < b ? 1 : a > b ? -1 : 0));

/** Notes at or above the newest bundle's range (the cheap listing), largest first. */
async function recentNotes(store: AuditStore): Promise<string[]> {
  const bundles = await store.listDerived(BUNDLES_DIR);
  const from = bundlePathFirst(bundles[bundles.length - 1] ?? '') ?? 0;
  if (from <= 1) return [];
  return bySizeDesc(await store.listDerived(INDEX_DIR, { after: indexNotes.above(from - 1) }));
}

/** Every note, largest first (when none above the newest bundle verifies). */
async function allNotes(store: AuditStore): Promise<string[]> {
  return bySizeDesc(await store.listDerived(INDEX_DIR));
}

async function usable(
  store: AuditStore,
  path: string,
  keys: readonly TrustedKey[],
  entryVersions: EntryVersions,
): Promise<AppendStart | undefined> {
  const name = store.derivedName(path);
  const named = indexPathSize(path)!;
  // What the store holds at the size the name says is read with the note (one round trip, not
  // two), and used only once the note is checked to be of that size.
  const [bytes, guess] = await Promise.all([
    store.getDerived(path, (b) => signedNote(b, name, keys, named) !== undefined),
    lastObject(store, named, entryVersions),
  ]);
  const body = bytes && signedNote(bytes, name, keys, named);
  if (bytes === undefined || body === undefined) return undefined;
  const index = new Index(store, name, body, shardCopyTag(bytes));
  if (
    index.blocks.length !== Math.floor(body.size / BUNDLE_SIZE) ||
    index.partial.length !== body.size % BUNDLE_SIZE ||
    !rootOfUnits(index.blocks, index.partial).equals(Buffer.from(body.root, 'base64'))
  )
    return undefined;
  const last = await lastEntry(store, index, entryVersions, guess);
  if (last === undefined) return undefined;
  return {
    seq: body.size,
    prev: entryHash(last),
    note: name,
    lookup: async (digest) => {
      const seqs = (await index.seqsOfDigest(digest)).filter((s) => s >= 1 && s <= body.size);
      return seqs.length === 0 ? undefined : Math.min(...seqs);
    },
    prefetch: (digests) => index.prefetchDigests(digests),
  };
}

/**
 * The body of a note signed under one of `keys` for the size its name says (`named`); undefined
 * for junk: not an index note, another key's, or a note of another size under this name.
 */
function signedNote(bytes: Buffer, name: string, keys: readonly TrustedKey[], named: number): IndexBody | undefined {
  let read: { body: IndexBody; sig: Buffer };
  try {
    read = parseIndex(bytes, name);
  } catch (e) {
    if (e instanceof ReceiptError && e.code !== 'STORE_UNAVAILABLE' && e.code !== 'INTERNAL') return undefined;
    throw e;
  }
  const { body, sig } = read;
  if (!keys.some((k) => verifyBytes(k, signedBytes(body), sig))) return undefined;
  if (named !== body.size || !Number.isSafeInteger(body.size) || body.size < 1) return undefined;
  return body;
}

/**
 * A first guess at what a note of `size` commits to, read before the note is checked: the
 * current object at that seq (S3: its current version), or when the size ends a 256-entry range
 * the current version of that range's bundle. `lastEntry` checks it and else looks further.
 */
async function lastObject(store: AuditStore, size: number, entryVersions: EntryVersions): Promise<Buffer | undefined> {
  if (size % BUNDLE_SIZE === 0) return store.getDerived(bundlePath(size - BUNDLE_SIZE + 1), () => true);
  return (await entryVersions(size, () => true))[0];
}

/**
 * The bytes of entry `index.size` as the note commits to them, or undefined when the store has
 * no such object: `guess` (lastObject) when it is that object, else every object (S3: every
 * version) at that seq, or the oldest version of the range's bundle.
 */
async function lastEntry(
  store: AuditStore,
  index: Index,
  entryVersions: EntryVersions,
  guess: Buffer | undefined,
): Promise<Buffer | undefined> {
  const size = index.size;
  const isEntry = (b: Buffer): boolean => {
    try {
      return decodeEntry(b, store.entryName(size)).seq === size;
    } catch {
      return false;
    }
  };
  if (index.partial.length > 0) {
    const leaf = index.partial[index.partial.length - 1]!;
    const wanted = (b: Buffer): boolean => leafHash(b).equals(leaf) && isEntry(b);
    if (guess !== undefined && wanted(guess)) return guess;
    return (await entryVersions(size)).find(wanted);
  }
  // The size ends a range: its bundle holds the range's entries, checked against the signed root.
  const root = index.blocks[index.blocks.length - 1]!;
  const rootOf = (b: Buffer): Buffer | undefined => {
    const lines = splitLines(b);
    return lines.length === BUNDLE_SIZE ? rootOfLeafHashes(lines.map(leafHash)) : undefined;
  };
  const matches = (b: Buffer | undefined): b is Buffer => b !== undefined && rootOf(b)?.equals(root) === true;
  const bundle = matches(guess) ? guess : await store.getDerived(bundlePath(size - BUNDLE_SIZE + 1));
  if (matches(bundle)) {
    const entry = splitLines(bundle)[BUNDLE_SIZE - 1]!;
    if (isEntry(entry)) return Buffer.from(entry);
  }
  // No usable bundle: this note is passed over (an older one, or the full read, starts the append).
  return undefined;
}
