import {
  closeSync,
  fstatSync,
  fsyncSync,
  linkSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  unlinkSync,
  writeSync,
  mkdirSync,
} from 'node:fs';
import { isAscii } from 'node:buffer';
import { createHash, randomBytes } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { ReceiptError } from './errors';
import { parseJsonNoEcho } from './json';

/**
 * Read a whole input file, failing with one line that names it.
 * Empty files are refused: no Terraform output or envelope is ever empty.
 */
export function readInputFile(path: string, what = 'input'): Buffer {
  const data = readStep(path, what, () => readFileSync(path));
  if (data.length === 0) throw new ReceiptError('FILE_EMPTY', `${path}: ${what} file is empty`);
  return data;
}

/** `fn`, its file errors as one line naming `path` and `what`. */
function readStep<T>(path: string, what: string, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ReceiptError('FILE_NOT_FOUND', `${path}: ${what} file not found`);
    if (code === 'EISDIR') throw new ReceiptError('INPUT_INVALID', `${path}: ${what} is a directory, expected a file`);
    throw new ReceiptError('IO_ERROR', `${path}: cannot read ${what} (${code ?? 'error'})`);
  }
}

/** A whole input file read once: the SHA-256 of its bytes, and either its text or its bytes. */
export interface DigestedInput {
  /** `sha256:<hex>` of exactly the bytes read. */
  readonly digest: string;
  /** The text, when every byte is ASCII (then the bytes and their UTF-8 text are the same). */
  readonly ascii?: string;
  /** The bytes, when one is not ASCII: the caller's decoder judges them (UTF-8, BOM, UTF-16). */
  readonly bytes?: Buffer;
}

/** Read in pieces of this size: one piece of memory, reused, instead of a buffer the size of the file. */
const PIECE = 1 << 20;
/** Files under this size are read whole. */
const SMALL = 4 * PIECE;

/** The whole file as bytes, and their digest. */
function bytesInput(path: string, what: string): DigestedInput {
  const bytes = readInputFile(path, what);
  return { digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`, bytes };
}

/**
 * `readInputFile` and the digest of what it read, for large inputs that are mostly ASCII (plan
 * JSON: Terraform writes other characters as they are, but most plans hold none). A file of 4 MiB
 * or more is read in 1 MiB pieces, hashing each and keeping its text, so no buffer the size of the
 * file is made, written and read again (on a 22 MB plan that spares 30-40 ms of a process's CPU
 * and 20 MB of memory). The first piece that is not ASCII (or starts with a NUL, as UTF-16 does)
 * sends the whole file to `readInputFile` (read again, hashed again), as a small file goes: one
 * rule for every other file. Reading stops once past `maxBytes`: a file that never ends (a FIFO,
 * /dev/zero) is refused by the caller's size check, not read forever.
 */
export function readDigestedInput(path: string, what: string, maxBytes: number): DigestedInput {
  const fd = readStep(path, what, () => openSync(path, 'r'));
  const st = readStep(path, what, () => fstatSync(fd));
  // A small file costs less as one buffer (a piece and its text would be most of it).
  if (st.isFile() && st.size < SMALL) {
    closeSync(fd);
    return bytesInput(path, what);
  }
  const hash = createHash('sha256');
  const parts: string[] = [];
  let size = 0;
  let ascii = true;
  try {
    const piece = Buffer.allocUnsafeSlow(PIECE);
    for (;;) {
      const n = readStep(path, what, () => readSync(fd, piece, 0, PIECE, null));
      if (n === 0) break;
      const got = piece.subarray(0, n);
      // UTF-16 text is ASCII bytes and NULs: the byte path names it.
      if (!isAscii(got) || (size === 0 && got.subarray(0, 4).includes(0))) {
        ascii = false;
        break;
      }
      hash.update(got);
      parts.push(piece.toString('latin1', 0, n));
      size += n;
      if (size > maxBytes) break;
    }
  } finally {
    closeSync(fd);
  }
  if (!ascii) return bytesInput(path, what);
  if (size === 0) throw new ReceiptError('FILE_EMPTY', `${path}: ${what} file is empty`);
  return { digest: `sha256:${hash.digest('hex')}`, ascii: parts.length === 1 ? parts[0]! : parts.join('') };
}

/**
 * Parse JSON text, failing with one line naming the file. Never quotes the input: Node's own
 * message echoes the text around the error, which may hold a secret from a plan.
 */
export function parseJsonText(text: string, path: string, what = 'JSON'): unknown {
  return parseJsonNoEcho(text, path, what);
}

/**
 * The one error for a path that already exists (FILE_EXISTS, exit 2): nothing is ever overwritten.
 * `what` names the thing refused ("a key"); `hint` says how to choose another path.
 */
export function existsError(path: string, hint = 'choose a new --out', what?: string): ReceiptError {
  return new ReceiptError(
    'FILE_EXISTS',
    `${path}: already exists; refusing to overwrite${what ? ` ${what}` : ''} (${hint})`,
  );
}

/** Refuse an existing `path` before doing any work (writeFileExclusive re-checks atomically). */
export function refuseExisting(path: string, hint?: string, what?: string): void {
  if (fileExists(path)) throw existsError(path, hint, what);
}

export function fileExists(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** What `writeFileExclusive` writes: bytes, text (as UTF-8), or a writer handing bytes to `put` in order. */
export type FileContent = Buffer | string | ((put: (piece: Buffer) => void) => void);

/**
 * Write `data` to `path` only if `path` does not exist, atomically and durably:
 * temp file in the same directory, fsync, hard-link to the final name (fails if it exists),
 * unlink the temp, fsync the directory (and the parent of every directory it had to create).
 * A partial write is never visible under `path`.
 * Throws FILE_EXISTS if `path` exists (never overwrites).
 * `data` may be a writer that hands the content to `put` in pieces (a 10 MB receipt is then never
 * one buffer); if it throws, nothing is published and no temp file stays behind.
 */
export function writeFileExclusive(path: string, data: FileContent, mode = 0o644): void {
  const dir = dirname(path);
  // The first directory this call created (undefined when `dir` existed).
  const made = fsStep(dir, 'cannot create the directory', () => mkdirSync(dir, { recursive: true }));
  refuseExisting(path);
  const tmp = join(dir, `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
  const fd = fsStep(path, 'cannot create a file next to', () => openSync(tmp, 'wx', mode));
  try {
    const put = (buf: Buffer): void =>
      fsStep(path, 'cannot write', () => {
        for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off, buf.length - off);
      });
    if (typeof data === 'function') data(put);
    else put(typeof data === 'string' ? Buffer.from(data, 'utf8') : data);
    fsStep(path, 'cannot write', () => fsyncSync(fd));
  } catch (e) {
    // Disk full, quota, file too large: nothing is published, and no temp file stays behind.
    closeSync(fd);
    removeQuietly(tmp);
    throw e;
  }
  closeSync(fd);
  try {
    linkSync(tmp, path);
  } catch (e) {
    removeQuietly(tmp);
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw existsError(path);
    throw fsError(path, 'cannot publish', e);
  }
  removeQuietly(tmp);
  fsStep(dir, 'cannot sync the directory', () => {
    fsyncDir(dir);
    // A directory made here is durable only once its own name is: fsync the parent of each.
    if (made !== undefined) for (const d of madeDirs(resolve(made), resolve(dir))) fsyncDir(dirname(d));
  });
}

/** One file-system step; an errno becomes IO_ERROR naming `path` and the cause. */
function fsStep<T>(path: string, what: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof ReceiptError) throw e;
    throw fsError(path, what, e);
  }
}

const ERRNO_MEANING: Record<string, string> = {
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large',
  EIO: 'input/output error',
  ENOENT: 'a directory on the way does not exist',
  ENOTDIR: 'a path component is not a directory',
};

/** IO_ERROR (exit 4) for a failed file-system call: the path, the errno and what it means. */
export function fsError(path: string, what: string, e: unknown): ReceiptError {
  const code = (e as NodeJS.ErrnoException)?.code;
  const why = code ? `${code}: ${ERRNO_MEANING[code] ?? 'file-system error'}` : String((e as Error)?.message ?? e);
  return new ReceiptError(
    'IO_ERROR',
    `${path}: ${what} (${why}); fix the file system, then re-run the same command (a half-written file is never read)`,
  );
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // already gone, or the file system refuses: the temp name is never read as a log file
  }
}

/** The directories from `first` (the outermost created) down to `dir`, innermost first. */
function madeDirs(first: string, dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    out.push(d);
    if (d === first || dirname(d) === d) return out;
  }
}

/** fsync a directory so a new name in it survives a crash. */
export function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
