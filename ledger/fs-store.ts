/**
 * The embedded default store: a directory, laid out as ledger/layout.ts says
 * (`<dir>/entries/000000000001.json`, `<dir>/checkpoints/…`, `<dir>/bundles/…`, `<dir>/index/…`).
 *
 * Every file is written to a temp file (`.<name>.tmp-<pid>-<random>`), fsynced, published
 * with link(2) (fails if the name exists) and the directory fsynced, so a partial write is
 * never visible as an entry. A crash can leave a temp file: `scan` reports it as a leftover.
 */
import { closeSync, constants, fstatSync, lstatSync, openSync, opendirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiptError, isReceiptError } from '../core/errors';
import { fsError, writeFileExclusive } from '../core/files';
import {
  BUNDLE_SIZE,
  BUNDLES_DIR,
  bundlePath,
  checkpointFileSize,
  checkpointPath,
  CHECKPOINTS_DIR,
  classifyPath,
  entryPath,
  ENTRIES_DIR,
  notChaining,
  pastTheChain,
  pastTheEnd,
  STORE_DIRS,
  STORE_MARKER,
  TEMP_FILE,
} from './layout';
import { entryHash, GENESIS_PREV } from './entry';
import { chainsOnto } from './entry-check';
import { BaseStore, BaseStoreOptions, ListOptions, ScanItem, ScanOptions, StoredCheckpoint } from './store';

export class FsStore extends BaseStore {
  private readonly entriesDir: string;
  private readonly checkpointsDir: string;

  constructor(
    private readonly dir: string,
    opts: BaseStoreOptions = {},
  ) {
    super(dir, opts);
    this.entriesDir = join(dir, ENTRIES_DIR);
    this.checkpointsDir = join(dir, CHECKPOINTS_DIR);
  }

  entryName(seq: number): string {
    return join(this.dir, entryPath(seq));
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

  /**
   * The last of the contiguous entries start, start + 1, …: from entry 1 one listing of
   * entries/; from a later (confirmed) entry one stat per entry after it.
   */
  protected async tailFrom(start: number): Promise<number> {
    if (start > 1) {
      let tail = start - 1;
      while (await this.exists(tail + 1)) tail++;
      return tail;
    }
    const seqs = new Set<number>();
    for (const name of listDir(this.entriesDir)) {
      const c = classifyPath(`${ENTRIES_DIR}/${name}`);
      if (c.kind === 'entry') seqs.add(c.seq);
    }
    let tail = 0;
    while (seqs.has(tail + 1)) tail++;
    return tail;
  }

  async isStore(): Promise<boolean> {
    return isDir(this.entriesDir);
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
    // Objects that are not the ledger's are reported in every folder whatever part of the log
    // is read (listing a directory is cheap), so every reader judges them alike.
    const strays = opts.strays ?? true;
    if (strays) {
      for (const name of listDir(this.dir))
        if (!STORE_DIRS.includes(name) && name !== STORE_MARKER) yield { kind: 'unknown', name: join(this.dir, name) };
    }
    // Pass 1 streams the directories: classify names, find the highest seq (and which exist:
    // the last object of the run is judged by whether it chains, below).
    let max = 0;
    const named = new Set<number>();
    for (const name of listDir(this.entriesDir)) {
      const c = classifyPath(`${ENTRIES_DIR}/${name}`);
      if (c.kind === 'entry') {
        max = Math.max(max, c.seq);
        if (c.seq >= from) named.add(c.seq);
      } else if (strays) yield stray(c.kind, join(this.entriesDir, name));
    }
    const bundles = new Set<number>();
    if (opts.bundles !== false || strays) {
      for (const name of listDir(join(this.dir, BUNDLES_DIR))) {
        const c = classifyPath(`${BUNDLES_DIR}/${name}`);
        if (c.kind === 'bundle') {
          if (opts.bundles !== false && c.first + BUNDLE_SIZE - 1 >= from) bundles.add(c.first);
        } else if (strays) yield stray(c.kind, join(this.dir, BUNDLES_DIR, name));
      }
    }
    if (strays) {
      for (const name of listDir(this.checkpointsDir)) {
        const c = classifyPath(`${CHECKPOINTS_DIR}/${name}`);
        if (c.kind !== 'checkpoint') yield stray(c.kind, join(this.checkpointsDir, name));
      }
    }
    // Pass 2 reads the log in order: from `from` to the first seq with no entry (layout.ts: the
    // log ends there), each bundle before its first entry. Past the end it walks names, never
    // seqs: one object named 999999999999 must not make a reader count to it.
    // The last object of the run is part of the log only when it chains onto the entry before
    // it: one that does not was planted at a seq the log had not reached (the appender refuses
    // to write past it), and it is junk. An object inside the run that does not chain is damage:
    // entries were appended after it (a directory store's writer can rewrite, S3's cannot).
    let end = from - 1;
    let planted = 0;
    let prev = from === 1 ? GENESIS_PREV : opts.prev;
    if (prev === undefined) {
      const before = readOrUndefined(this.entryName(from - 1));
      prev = before === undefined ? undefined : entryHash(before);
    }
    const firstOf = [...bundles].filter((f) => f >= from).sort((x, y) => x - y);
    let b = 0;
    for (let seq = from; seq <= max; seq++) {
      for (; b < firstOf.length && firstOf[b]! <= seq; b++) yield* this.bundleItem(firstOf[b]!);
      const name = this.entryName(seq);
      const got = readEntryFile(name);
      if (got === undefined) break;
      if (!(got instanceof Buffer) || (prev !== undefined && !chainsOnto(got, seq, prev))) {
        const run = prev === undefined ? undefined : this.plantedRun(seq, named);
        if (run !== undefined) {
          // Planted ahead of the log (with whatever was chained onto it): junk, the log ends here.
          if (strays)
            for (let s = seq; s <= run; s++) {
              const what = s === seq && got instanceof ReceiptError ? `${notAFileWhat(got, name)}; ` : '';
              yield {
                kind: 'unknown',
                name: this.entryName(s),
                why: `${what}${s === seq ? notChaining(seq) : pastTheChain(seq - 1)}`,
              };
            }
          planted = run;
          break;
        }
        if (!(got instanceof Buffer)) throw got;
      }
      const bytes = got;
      end = seq;
      prev = entryHash(bytes);
      yield { kind: 'entry', seq, name, bytes, extraVersions: [], deleteMarkers: 0 };
    }
    // Bundles past the end (verify judges them), then the entry objects past it: junk.
    for (; b < firstOf.length; b++) yield* this.bundleItem(firstOf[b]!);
    if (!strays || Math.max(end, planted) >= max) return;
    const past: number[] = [];
    for (const name of listDir(this.entriesDir)) {
      const c = classifyPath(`${ENTRIES_DIR}/${name}`);
      if (c.kind === 'entry' && c.seq > Math.max(end + 1, planted)) past.push(c.seq);
    }
    for (const seq of past.sort((x, y) => x - y))
      yield { kind: 'unknown', name: this.entryName(seq), why: pastTheEnd(firstMissing(named, end + 1)) };
  }

  /**
   * Whether the object at `seq` (which does not chain onto the entry before it) was planted ahead
   * of the log: it and every object after it in the run form a chain of their own to the run's
   * end (nothing the log's appender wrote follows: it never writes past such an object). Then the
   * last seq of that run; undefined when an object after it does not chain onto the one before
   * (entries were appended onto what it replaced: damage).
   */
  private plantedRun(seq: number, named: ReadonlySet<number>): number | undefined {
    let s = seq;
    let got = readEntryFile(this.entryName(s));
    while (named.has(s + 1)) {
      const next = readEntryFile(this.entryName(s + 1));
      if (next === undefined) break;
      if (!(got instanceof Buffer) || !(next instanceof Buffer) || !chainsOnto(next, s + 1, entryHash(got)))
        return undefined;
      got = next;
      s++;
    }
    return s;
  }

  /** A bundle as the scan yields it (nothing when it is gone). */
  private *bundleItem(first: number): Generator<ScanItem> {
    const path = bundlePath(first);
    const bytes = readOrUndefined(join(this.dir, path));
    if (bytes !== undefined)
      yield { kind: 'bundle', first, name: this.derivedName(path), bytes, extraVersions: [], deleteMarkers: 0 };
  }

  derivedName(path: string): string {
    return join(this.dir, path);
  }

  async writtenAt(path: string): Promise<number | undefined> {
    try {
      return lstatSync(join(this.dir, path)).mtimeMs;
    } catch {
      return undefined;
    }
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
    const name = join(this.dir, checkpointPath(size, keyHashHex));
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
    for (const n of listDir(this.checkpointsDir)) {
      const size = checkpointFileSize(n);
      if (size !== undefined && size > above) names.push(n);
    }
    names.sort();
    for (const n of names) {
      const name = join(this.checkpointsDir, n);
      let bytes: Buffer | undefined;
      try {
        bytes = readOrUndefined(name);
      } catch (e) {
        // Not a regular file: no note (verify lists it as junk, naming it); never read.
        if (!(isReceiptError(e) && e.code === 'LOG_INTEGRITY')) throw e;
        bytes = Buffer.from(`${e.message}\n`, 'utf8');
      }
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

/** The first seq from `from` on with no entry object (the gap a past-the-end object lies beyond). */
function firstMissing(named: ReadonlySet<number>, from: number): number {
  let s = from;
  while (named.has(s)) s++;
  return s;
}

/** A name in a store folder that is not the ledger's: a temp file left by a crash, or a stray. */
function stray(kind: string, name: string): ScanItem {
  return kind === 'leftover' ? { kind: 'leftover', name } : { kind: 'unknown', name };
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

/**
 * The bytes of a regular file in the store, or undefined when there is none. Only regular files
 * are read: the name is opened without following a symbolic link and without blocking (a FIFO
 * or a device never stalls a reader), and anything else where a log file belongs — a directory,
 * a FIFO, a device, a symbolic link (to /dev/zero, say) — is LOG_INTEGRITY naming it, not read.
 */
function readOrUndefined(path: string): Buffer | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOFOLLOW);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    if (code === 'ELOOP') throw notAFile(path, 'a symbolic link');
    throw ioError(path, e);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile())
      throw notAFile(
        path,
        st.isDirectory() ? 'a directory' : st.isFIFO() ? 'a FIFO' : st.isSocket() ? 'a socket' : 'a device',
      );
    return readFileSync(fd);
  } catch (e) {
    if (isReceiptError(e)) throw e;
    throw ioError(path, e);
  } finally {
    closeSync(fd);
  }
}

/** An entry file's bytes, undefined when absent, or the LOG_INTEGRITY error of a file that is not a regular one. */
function readEntryFile(path: string): Buffer | ReceiptError | undefined {
  try {
    return readOrUndefined(path);
  } catch (e) {
    if (isReceiptError(e) && e.code === 'LOG_INTEGRITY') return e;
    throw e;
  }
}

/** "is a FIFO where a log file belongs (not read)" of such an error. */
function notAFileWhat(e: ReceiptError, path: string): string {
  return e.message.startsWith(`${path}: `) ? e.message.slice(path.length + 2) : e.message;
}

/** Something that is not a regular file where a log file belongs is tampering, not an I/O fault. */
function notAFile(path: string, what: string): ReceiptError {
  return new ReceiptError('LOG_INTEGRITY', `${path}: is ${what} where a log file belongs (not read)`);
}

/** A file-system fault, named with its path and cause (exit 4: the store, not the log, failed). */
function ioError(path: string, e: unknown): ReceiptError {
  return fsError(path, 'cannot read', e);
}
