/**
 * The embedded default store: a directory.
 *
 *   <dir>/entries/000000000001.json ...   one file per entry, never rewritten
 *   <dir>/checkpoints/<size 12 digits>.<keyhash 8 hex>.txt   signed checkpoint notes
 *
 * Every file is written to a temp file (`.<name>.tmp-<pid>-<random>`), fsynced, published
 * with link(2) (fails if the name exists) and the directory fsynced, so a partial write is
 * never visible as an entry. A crash can leave a temp file: `scan` reports it as a leftover.
 */
import { opendirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiptError, isReceiptError } from '../core/errors';
import { writeFileExclusive } from '../core/files';
import { seqName } from './entry';
import { BaseStore, BUNDLE_SIZE, bundlePath, ListOptions, ScanItem, ScanOptions, StoredCheckpoint } from './store';

const ENTRY_FILE = /^([0-9]{12})\.json$/;
const CHECKPOINT_FILE = /^[0-9]{12}\.[0-9a-f]{8}\.txt$/;
const TEMP_FILE = /^\..+\.tmp-[0-9]+-[0-9a-f]+$/;
const BUNDLE_FILE = /^([0-9]{12})\.jsonl$/;
/** Derived data: bundles/<first seq>.jsonl, index/<size>.<keyhash>.json, index/shards/<sha256>.json. */
const DERIVED_DIRS = ['bundles', 'index'];

export class FsStore extends BaseStore {
  private readonly entriesDir: string;
  private readonly checkpointsDir: string;

  constructor(private readonly dir: string) {
    super(dir);
    this.entriesDir = join(dir, 'entries');
    this.checkpointsDir = join(dir, 'checkpoints');
  }

  entryName(seq: number): string {
    return join(this.entriesDir, `${seqName(seq)}.json`);
  }

  protected async exists(seq: number): Promise<boolean> {
    try {
      statSync(this.entryName(seq));
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw ioError(this.entryName(seq), e);
    }
  }

  protected async read(seq: number): Promise<Buffer | undefined> {
    return readOrUndefined(this.entryName(seq));
  }

  protected async publish(seq: number, bytes: Buffer): Promise<boolean> {
    try {
      writeFileExclusive(this.entryName(seq), bytes, 0o444);
      return true;
    } catch (e) {
      if (isReceiptError(e) && e.code === 'FILE_EXISTS') return false;
      throw e;
    }
  }

  async *scan(opts: ScanOptions = {}): AsyncIterable<ScanItem> {
    if (opts.absentIsEmpty && !isDir(this.dir)) return;
    this.requireDir();
    const from = opts.from ?? 1;
    const full = from === 1;
    if (full) {
      for (const name of listDir(this.dir)) {
        if (name !== 'entries' && name !== 'checkpoints' && !DERIVED_DIRS.includes(name))
          yield { kind: 'unknown', name: join(this.dir, name) };
      }
    }
    // Pass 1 streams the directory (memory flat): classify names, find the highest seq.
    let max = 0;
    for (const name of listDir(this.entriesDir)) {
      const m = ENTRY_FILE.exec(name);
      if (m && Number(m[1]) >= 1) max = Math.max(max, Number(m[1]));
      else if (!full) continue;
      else if (TEMP_FILE.test(name)) yield { kind: 'leftover', name: join(this.entriesDir, name) };
      else yield { kind: 'unknown', name: join(this.entriesDir, name) };
    }
    const bundles = new Set<number>();
    if (opts.bundles !== false) {
      const dir = join(this.dir, 'bundles');
      for (const name of listDir(dir)) {
        const m = BUNDLE_FILE.exec(name);
        const first = m ? Number(m[1]) : 0;
        if (m && first % BUNDLE_SIZE === 1) {
          if (first + BUNDLE_SIZE - 1 >= from) bundles.add(first);
        } else if (!full) continue;
        else if (TEMP_FILE.test(name)) yield { kind: 'leftover', name: join(dir, name) };
        else yield { kind: 'unknown', name: join(dir, name) };
      }
    }
    if (full) {
      for (const name of listDir(this.checkpointsDir)) {
        if (TEMP_FILE.test(name)) yield { kind: 'leftover', name: join(this.checkpointsDir, name) };
        else if (!CHECKPOINT_FILE.test(name)) yield { kind: 'unknown', name: join(this.checkpointsDir, name) };
      }
    }
    // Pass 2 reads from..max in order (and reaches bundles beyond the last entry, for verify).
    let last = max;
    for (const first of bundles) last = Math.max(last, first);
    for (let seq = from; seq <= last; seq++) {
      if (bundles.has(seq)) {
        const path = bundlePath(seq);
        const bytes = readOrUndefined(join(this.dir, path));
        if (bytes !== undefined)
          yield {
            kind: 'bundle',
            first: seq,
            name: this.derivedName(path),
            bytes,
            extraVersions: [],
            deleteMarkers: 0,
          };
      }
      if (seq > max) continue;
      const name = this.entryName(seq);
      const bytes = readOrUndefined(name);
      if (bytes === undefined) yield { kind: 'missing', seq, name };
      else yield { kind: 'entry', seq, name, bytes, extraVersions: [], deleteMarkers: 0 };
    }
  }

  derivedName(path: string): string {
    return join(this.dir, path);
  }

  async getDerived(path: string): Promise<Buffer | undefined> {
    return readOrUndefined(join(this.dir, path));
  }

  async putDerived(path: string, bytes: Buffer): Promise<boolean> {
    try {
      writeFileExclusive(join(this.dir, path), bytes, 0o444);
      return true;
    } catch (e) {
      if (isReceiptError(e) && e.code === 'FILE_EXISTS') return false;
      throw e;
    }
  }

  async listDerived(dir: string, opts: ListOptions = {}): Promise<string[]> {
    const out: string[] = [];
    const start = `${dir}/${opts.prefix ?? ''}`;
    for (const name of listDir(join(this.dir, dir))) {
      const path = `${dir}/${name}`;
      if (TEMP_FILE.test(name) || !path.startsWith(start)) continue;
      if (opts.after !== undefined && path <= opts.after) continue;
      out.push(path);
    }
    return out.sort();
  }

  async putCheckpoint(size: number, keyHashHex: string, bytes: Buffer): Promise<string> {
    const name = join(this.checkpointsDir, `${seqName(size)}.${keyHashHex}.txt`);
    try {
      writeFileExclusive(name, bytes, 0o444);
    } catch (e) {
      if (!(isReceiptError(e) && e.code === 'FILE_EXISTS')) throw e;
      const existing = readOrUndefined(name);
      if (existing === undefined || !existing.equals(bytes)) {
        throw new ReceiptError(
          'LOG_INTEGRITY',
          `${name}: a different checkpoint for tree size ${size} is already stored; the log was rewritten — run "kfm audit verify"`,
        );
      }
    }
    return name;
  }

  async *checkpoints(opts: { readonly above?: number } = {}): AsyncIterable<StoredCheckpoint> {
    const names: string[] = [];
    const above = opts.above ?? -1;
    for (const n of listDir(this.checkpointsDir))
      if (CHECKPOINT_FILE.test(n) && Number(n.slice(0, 12)) > above) names.push(n);
    names.sort();
    for (const n of names) {
      const name = join(this.checkpointsDir, n);
      const bytes = readOrUndefined(name);
      if (bytes !== undefined) yield { name, bytes };
    }
  }

  private requireDir(): void {
    try {
      if (!statSync(this.dir).isDirectory()) throw new Error('not a directory');
    } catch {
      throw new ReceiptError('STORE_INVALID', `${this.dir}: no audit store here (directory missing); check --store`);
    }
  }
}

function isDir(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function* listDir(dir: string): Generator<string> {
  let d;
  try {
    d = opendirSync(dir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw ioError(dir, e);
  }
  try {
    for (let ent = d.readSync(); ent !== null; ent = d.readSync()) yield ent.name;
  } finally {
    d.closeSync();
  }
}

function readOrUndefined(path: string): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    // Something that is not a file where an entry or checkpoint belongs is tampering, not an I/O fault.
    if (code === 'EISDIR') throw new ReceiptError('LOG_INTEGRITY', `${path}: is a directory where a log file belongs`);
    throw ioError(path, e);
  }
}

function ioError(path: string, e: unknown): ReceiptError {
  return new ReceiptError('IO_ERROR', `${path}: ${(e as NodeJS.ErrnoException).code ?? 'I/O error'}`);
}
