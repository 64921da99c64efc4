/**
 * The log index as the appender's replay check uses it (given to a store when openStore makes
 * it): the newest index note, unverified; a digest it lists is confirmed against the entry
 * before it counts, so an index that is missing, damaged or lies about an absence costs at most
 * a re-read or a duplicate, which verify notes and the gates count once.
 */
import type { AuditStore, ReplayIndex } from './store';
import { Index, newestIndex } from './log-index-read';

export function replayIndexOf(store: AuditStore): ReplayIndex {
  let index: Index | undefined;
  return {
    open: async () => {
      try {
        index = await newestIndex(store);
      } catch {
        index = undefined;
      }
      return index === undefined ? undefined : { size: index.size };
    },
    prefetch: async (digests) => {
      if (index !== undefined) await index.prefetchDigests(digests);
    },
    lookup: async (digest) => {
      if (index === undefined) return undefined;
      try {
        for (const seq of await index.seqsOfDigest(digest)) {
          if ((await store.get(seq)).digest === digest) return seq;
        }
      } catch {
        return undefined;
      }
      return undefined;
    },
  };
}
