/**
 * The comparison `kfm audit verify` makes: every stored index note signed by a trusted key,
 * compared with the index rebuilt from the entries at its size (tree, each shard). An index
 * that omits an entry or names a wrong seq is named here, with the entry and the commit, digest
 * or subject. A note no trusted key signed is junk: reported, never used, never a reason to
 * skip the comparison of the others.
 */
import { sha256Hex } from '../core/digest';
import { TrustedKey, verifyBytes } from '../attest/sign/ed25519';
import { INDEX_DIR, indexNotes, indexPathSize, shardPath } from './layout';
import type { AuditStore } from './store';
import { IndexBuilder } from './log-index-build';
import { IndexBody, IndexVersion, parseIndex, Shard, SHARD_KINDS, signedBytes, versionOf } from './log-index-format';

type Rebuilt = ReturnType<IndexBuilder['finish']>;

/** An index note as stored: parsed, its signature already checked by the caller. */
export interface StoredIndexNote {
  /** Relative path (`index/…`). */
  readonly path: string;
  readonly name: string;
  readonly body: IndexBody;
  readonly sig: Buffer;
}

/**
 * Each stored index note in `dir` (`index/`), read and sorted out: notes that parse and verify
 * under a trusted key (`signed`, by size) and everything else there (`junk`: a note nobody
 * trusted signed, a file that is no note — never evidence, never a reason to skip a check), and
 * the problems of signed notes stored under another size's name.
 * `above`: only the notes of a larger tree size.
 */
export async function readIndexNotes(
  store: AuditStore,
  trusted: readonly TrustedKey[],
  above = 0,
): Promise<{ signed: Map<number, StoredIndexNote[]>; junk: string[]; problems: string[] }> {
  const signed = new Map<number, StoredIndexNote[]>();
  const junk: string[] = [];
  const problems: string[] = [];
  const after = above > 0 ? indexNotes.above(above) : undefined;
  for (const path of await store.listDerived(INDEX_DIR, { after })) {
    const name = store.derivedName(path);
    const size = indexPathSize(path);
    if (path === `${INDEX_DIR}/shards`) continue;
    if (size === undefined) {
      junk.push(`${name}: not an index note (not the ledger's); ignored`);
      continue;
    }
    const bytes = await store.getDerived(path);
    if (bytes === undefined) continue;
    try {
      const note = parseIndex(bytes, name);
      if (!trusted.some((k) => verifyBytes(k, signedBytes(note.body), note.sig)))
        junk.push(`${name}: index note not signed by a trusted key; not used, ignored`);
      // A copy under another size's name: the name is not signed, so junk, never compared. As a
      // problem it let one object stop every verify and cosign, while a gate by proof (which reads
      // only its anchor's index notes) went on judging a frozen tree.
      else if (note.body.size !== size)
        junk.push(
          `${name}: signed index note for ${note.body.size} entries stored under the name of ${size} (a copy under another name); never used, ignored`,
        );
      else signed.set(size, [...(signed.get(size) ?? []), { path, name, ...note }]);
    } catch (e) {
      junk.push(`${(e as Error).message}; not used, ignored`);
    }
  }
  return { signed, junk, problems };
}

/**
 * Compare stored index notes (signed by a trusted key: damage to them is a problem) with the
 * one rebuilt from the entries, now at their size: the tree they name and each shard. Returns one
 * problem per difference found. A builder continued from a verified index (`IndexBuilder.after`,
 * verify --since) is compared as format 2 (merged with its base's shards); one built from entry 1
 * in each note's own format.
 */
export async function checkIndexNotes(
  store: AuditStore,
  rebuilt: IndexBuilder,
  origin: string,
  notes: readonly StoredIndexNote[],
): Promise<string[]> {
  const problems: string[] = [];
  // Rebuilt in each stored index's own format (one written before format 2 holds no subjects).
  const built = new Map<IndexVersion, Promise<Rebuilt>>();
  const rebuiltAs = (version: IndexVersion): Promise<Rebuilt> => {
    const v = rebuilt.resumed ? 2 : version;
    if (!built.has(v))
      built.set(v, rebuilt.resumed ? rebuilt.finishMerged(origin) : Promise.resolve(rebuilt.finish(origin, {}, v)));
    return built.get(v)!;
  };
  for (const stored of notes) {
    const name = stored.name;
    const { body, shardFiles } = await rebuiltAs(versionOf(stored.body.v)!);
    for (const f of ['origin', 'size', 'root', 'blocks', 'partial'] as const) {
      if (stored.body[f] !== body[f])
        problems.push(`${name}: index field "${f}" differs from the entries (altered or wrong index)`);
    }
    const names = new Set([...Object.keys(stored.body.shards ?? {}), ...Object.keys(body.shards)]);
    for (const shard of [...names].sort()) {
      const want = body.shards[shard];
      const have = stored.body.shards?.[shard];
      if (want === have) continue;
      const expected = want ? (JSON.parse(shardFiles.get(shardPath(want))!.toString('utf8')) as Shard) : undefined;
      const got = have ? await store.getDerived(shardPath(have)) : undefined;
      let actual: Shard | undefined;
      try {
        actual = got && `sha256:${sha256Hex(got)}` === have ? (JSON.parse(got.toString('utf8')) as Shard) : undefined;
      } catch {
        actual = undefined;
      }
      problems.push(`${name}: shard ${shard} ${describeShardDiff(expected, actual)}`);
    }
  }
  return problems;
}

function describeShardDiff(want: Shard | undefined, got: Shard | undefined): string {
  if (got === undefined) return 'is missing or does not match its digest (altered)';
  for (const kind of SHARD_KINDS) {
    const keys = new Set([...Object.keys(want?.[kind] ?? {}), ...Object.keys(got[kind] ?? {})]);
    for (const k of [...keys].sort()) {
      const w = want?.[kind]?.[k] ?? [];
      const g = got[kind]?.[k] ?? [];
      const omitted = w.filter((s) => !g.includes(s));
      const wrong = g.filter((s) => !w.includes(s));
      const what =
        kind === 'commits' ? `commit ${k}` : kind === 'digests' ? `digest sha256:${k}` : `subject sha256:${k}`;
      if (omitted.length > 0) return `omits entry ${omitted[0]} for ${what} (an index that hides evidence)`;
      if (wrong.length > 0) return `names entry ${wrong[0]} for ${what}, which does not hold it (wrong seq)`;
    }
  }
  return 'differs from the entries';
}
