/**
 * Create an audit store explicitly (`kfm audit init`): an append to a store that does not exist
 * is refused, so a mistyped `--store` never starts a second ledger.
 *
 *   directory  creates the directory and its entries/ and checkpoints/ folders; an existing
 *              ledger directory is left as it is (idempotent); a directory holding anything that
 *              is not the ledger's is refused.
 *   S3         the bucket is Terraform's (the audit stack): init creates nothing, it checks that
 *              the bucket answers a listing and counts the entries under the prefix.
 */
import { mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiptError } from '../core/errors';
import { CHECKPOINTS_DIR, ENTRIES_DIR, STORE_DIRS } from './layout';
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
  if (isS3(spec)) return { store: spec, created: false, entries: await open(spec).size() };
  const existing = listOrUndefined(spec);
  if (existing !== undefined) {
    const foreign = existing.filter((n) => !STORE_DIRS.includes(n));
    if (foreign.length > 0)
      throw new ReceiptError(
        'STORE_INVALID',
        `${spec}: holds ${foreign.slice(0, 3).join(', ')}, which are not an audit store's; choose an empty or new directory`,
      );
  }
  mkdirSync(join(spec, ENTRIES_DIR), { recursive: true });
  mkdirSync(join(spec, CHECKPOINTS_DIR), { recursive: true });
  return { store: spec, created: !existing?.includes(ENTRIES_DIR), entries: await open(spec).size() };
}

function listOrUndefined(dir: string): string[] | undefined {
  try {
    if (!statSync(dir).isDirectory())
      throw new ReceiptError('STORE_INVALID', `${dir}: is a file, not a directory; choose a directory for the store`);
    return readdirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}
