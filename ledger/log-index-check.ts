/**
 * The comparison `kfm audit verify` makes: every stored index note of a size rebuilt from the
 * entries and compared (signature, tree, each shard). An index that omits an entry or names a
 * wrong seq is named here, with the entry and the commit, digest or subject.
 */
import { sha256Hex } from '../core/digest';
import { TrustedKey, verifyBytes } from '../attest/sign/ed25519';
import { INDEX_DIR, indexNotes, indexPathSize, shardPath } from './layout';
import type { AuditStore } from './store';
import { IndexBuilder } from './log-index-build';
import { IndexBody, IndexVersion, parseIndex, Shard, SHARD_KINDS, signedBytes, versionOf } from './log-index-format';

type Rebuilt = ReturnType<IndexBuilder['finish']>;

/**
 * Compare every stored index note of size `size` with the one rebuilt from the entries: the
 * signature, the tree it names, and each shard. Returns one problem per difference found.
 * A builder continued from a verified index (`IndexBuilder.after`, verify --since) is compared
 * as format 2 (merged with its base's shards); one built from entry 1 in each note's own format.
 */
export async function checkIndexes(
  store: AuditStore,
  rebuilt: IndexBuilder,
  origin: string,
  trusted: readonly TrustedKey[],
  size: number,
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
  const notes = await store.listDerived(INDEX_DIR, { prefix: indexNotes.ofSize(size) });
  for (const path of notes.filter((n) => indexPathSize(n) === size)) {
    const name = store.derivedName(path);
    const bytes = await store.getDerived(path);
    if (bytes === undefined) continue;
    let stored: { body: IndexBody; sig: Buffer };
    try {
      stored = parseIndex(bytes, name);
    } catch (e) {
      problems.push((e as Error).message);
      continue;
    }
    const { body, shardFiles } = await rebuiltAs(versionOf(stored.body.v)!);
    const msg = signedBytes(stored.body);
    if (!trusted.some((k) => verifyBytes(k, msg, stored.sig)))
      problems.push(`${name}: index signature does not verify under a trusted key (altered or forged)`);
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
