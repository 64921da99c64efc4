/**
 * Create an audit store explicitly (`kfm audit init`): an append to a store that does not exist
 * is refused, so a mistyped `--store` never starts a second ledger.
 *
 *   directory  creates the directory and its entries/ and checkpoints/ folders; an existing
 *              ledger directory is left as it is (idempotent); a directory holding anything that
 *              is not the ledger's is refused.
 *   S3         the bucket is Terraform's (the audit stack): init writes only the store marker
 *              (layout.ts, `kfm-audit-store.json` at the prefix; first version wins, never
 *              overwritten), which is what makes an empty prefix a store, and counts the entries.
 *
 * `kfm audit append` writes only into a store that exists (`requireStore`): a directory store's
 * entries/ folder, an S3 prefix with an entry or the marker (so ledgers from before init count),
 * or, with `--init`, one it creates exactly as `kfm audit init` does.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { isReceiptError, ReceiptError } from '../core/errors';
import { fsError } from '../core/files';
import { CHECKPOINTS_DIR, ENTRIES_DIR, STORE_DIRS, STORE_MARKER, STORE_MARKER_BYTES } from './layout';
import type { AuditStore } from './store';

export interface InitResult {
  readonly store: string;
  /** True when this call created the directory store. */
  readonly created: boolean;
  /** Entries already in the store. */
  readonly entries: number;
}

const isS3 = (spec: string) => /^s3:\/\//i.test(spec);

/** Make `spec` a store; `open` opens it (ledger/open-store.ts) once it exists. */
export async function initStore(spec: string, open: (spec: string) => AuditStore): Promise<InitResult> {
  if (isS3(spec)) {
    const store = open(spec);
    const entries = await store.size();
    const created = (await store.putDerived(STORE_MARKER, STORE_MARKER_BYTES)) && entries === 0;
    return { store: spec, created, entries };
  }
  const existing = listOrUndefined(spec);
  if (existing !== undefined) {
    const foreign = existing.filter((n) => !STORE_DIRS.includes(n));
    if (foreign.length > 0)
      throw new ReceiptError(
        'STORE_INVALID',
        `${spec}: holds ${foreign.slice(0, 3).join(', ')}, which are not an audit store's; choose an empty or new directory`,
      );
  }
  for (const sub of [ENTRIES_DIR, CHECKPOINTS_DIR]) {
    try {
      mkdirSync(join(spec, sub), { recursive: true });
    } catch (e) {
      throw fsError(join(spec, sub), 'cannot create the store folder', e);
    }
  }
  return { store: spec, created: !existing?.includes(ENTRIES_DIR), entries: await open(spec).size() };
}

/**
 * Before an append writes anything: the store must exist, or be created here when `init` says
 * so (`--init`). A mistyped --store therefore fails instead of starting a second ledger.
 */
export async function requireStore(
  spec: string,
  store: AuditStore,
  init: boolean,
  open: (spec: string) => AuditStore,
): Promise<void> {
  if (await store.isStore()) return;
  if (!init)
    throw new ReceiptError(
      'STORE_INVALID',
      `${spec}: no audit store here (check --store); create it with "kfm audit init --store ${spec}", or pass --init to create it with this append`,
    );
  await initStore(spec, open);
}

function listOrUndefined(dir: string): string[] | undefined {
  try {
    if (!statSync(dir).isDirectory())
      throw new ReceiptError('STORE_INVALID', `${dir}: is a file, not a directory; choose a directory for the store`);
    return readdirSync(dir);
  } catch (e) {
    if (isReceiptError(e)) throw e;
    const code = (e as NodeJS.ErrnoException).code;
    // ENOTDIR: a path component is a file; creating the folders names it (IO_ERROR).
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw fsError(dir, 'cannot read the store directory', e);
  }
}
