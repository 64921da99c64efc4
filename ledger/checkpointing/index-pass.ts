/** The pass that builds a checkpoint's index (and the bundles missing under it) from the entries. */
import { ReceiptError } from '../../core/errors';
import { StoredEntry } from '../entry';
import { bundlePath, BUNDLES_DIR } from '../layout';
import { IndexBuilder, resumeIndex } from '../log-index-build';
import { SinceStart } from '../log-index-read';
import { AuditStore } from '../store';

/** Which complete ranges already have a bundle (the index pass writes the others). */
export async function bundlesHeld(store: AuditStore): Promise<(first: number) => boolean> {
  const have = new Set(await store.listDerived(BUNDLES_DIR));
  return (first) => have.has(bundlePath(first));
}

/** The index of entries 1..size: continued from `since`'s index, or built from entry 1. */
export async function indexUpTo(
  store: AuditStore,
  size: number,
  haveBundle: (first: number) => boolean,
  since: SinceStart | undefined,
  visit?: (e: StoredEntry) => void,
): Promise<IndexBuilder> {
  // A format 1 index holds no subjects: it cannot be continued, so the new index starts at entry 1.
  if (since !== undefined && since.size <= size && since.index.version >= 2)
    return resumeIndex(store, since.index, size, haveBundle);
  const builder = new IndexBuilder(haveBundle);
  // Exactly the entries verified (anything appended meanwhile waits for the next checkpoint).
  for await (const e of store.entries()) {
    if (e.seq > size) break;
    builder.push(e);
    visit?.(e);
  }
  if (builder.next !== size + 1)
    throw new ReceiptError(
      'LOG_INTEGRITY',
      `${store.spec}: log ended at ${builder.next - 1} entries, expected ${size}`,
    );
  return builder;
}
