/**
 * A C2SP tlog-witness (https://c2sp.org/tlog-witness): the `add-checkpoint` state machine,
 * without HTTP (cli/commands/witness.ts serves it). For each configured log it remembers the
 * latest checkpoint it cosigned and cosigns a new one only when a consistency proof shows the
 * new tree extends it.
 *
 * Request body: `old <size>\n`, up to 63 base64 consistency-proof lines, a blank line, then
 * the checkpoint note. Answers, in the order the spec checks them:
 *   400 malformed body, or old size above the checkpoint's size
 *   404 unknown origin
 *   403 no signature by a trusted key of that log (or one that matches a key and fails)
 *   409 `old` is not the size it holds (body: that size, Content-Type text/x.tlog.size)
 *   422 bad consistency proof; same size with a different root; size 0 with a non-empty root
 *   200 its cosignature line(s)
 *
 * Requests for one log are serialized, and the new state is on disk (write, fsync, rename,
 * fsync the directory) before the answer leaves, so the witness never cosigns two trees that
 * are inconsistent with each other, across restarts too. The state is one file per log,
 * `<sha256(origin) hex>.checkpoint`: the checkpoint it last cosigned with its cosignature, which
 * is also what GET /<sha256(origin) hex>/checkpoint serves to monitors.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ReceiptError, isReceiptError } from '../../core/errors';
import { SigningKey, TrustedKey, verifyBytes } from '../../attest/sign/ed25519';
import { noteKeyHash, parseCheckpoint, SignedCheckpoint } from '../checkpoint';
import { EMPTY_ROOT, HASH_SIZE, verifyConsistency } from '../merkle';
import { checkWitnessName, cosign } from '../cosignature';

/** The most consistency-proof lines a client may send (tlog-witness). */
export const MAX_PROOF_LINES = 63;
/** The largest request body the witness reads. */
export const MAX_BODY_BYTES = 256 * 1024;
export const SIZE_CONTENT_TYPE = 'text/x.tlog.size';

export interface WitnessedLog {
  readonly origin: string;
  /** The log's note keys; the key name is the origin. */
  readonly keys: readonly TrustedKey[];
}

export interface WitnessOptions {
  readonly name: string;
  readonly key: SigningKey;
  readonly logs: readonly WitnessedLog[];
  readonly stateDir: string;
  /** POSIX seconds, for the cosignature timestamps. */
  readonly now: () => number;
}

export interface WitnessAnswer {
  readonly status: 200 | 400 | 403 | 404 | 409 | 422 | 500;
  readonly contentType: string;
  readonly body: string;
}

const text = (status: WitnessAnswer['status'], body: string): WitnessAnswer => ({
  status,
  contentType: 'text/plain; charset=utf-8',
  body: body.endsWith('\n') ? body : `${body}\n`,
});

export function originHash(origin: string): string {
  return createHash('sha256').update(origin, 'utf8').digest('hex');
}

interface Parsed {
  readonly old: number;
  readonly proof: Buffer[];
  readonly note: string;
}

/** Split a request body; a string is the 400 reason. */
export function parseAddCheckpoint(body: Buffer): Parsed | string {
  const s = body.toString('utf8');
  if (!Buffer.from(s, 'utf8').equals(body)) return 'body is not UTF-8';
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(s)) return 'body has control characters other than newline';
  const sep = s.indexOf('\n\n');
  if (sep < 0) return 'no blank line between the old size and proof lines and the checkpoint';
  const [first, ...proofLines] = s.slice(0, sep).split('\n');
  const m = /^old (0|[1-9][0-9]{0,15})$/.exec(first);
  if (!m || !Number.isSafeInteger(Number(m[1]))) return 'first line is not "old <size>"';
  if (proofLines.length > MAX_PROOF_LINES) return `more than ${MAX_PROOF_LINES} consistency proof lines`;
  const proof: Buffer[] = [];
  for (const l of proofLines) {
    const h = Buffer.from(l, 'base64');
    if (h.length !== HASH_SIZE || h.toString('base64') !== l)
      return 'a consistency proof line is not base64 of 32 bytes';
    proof.push(h);
  }
  return { old: Number(m[1]), proof, note: s.slice(sep + 2) };
}

/** The request body a client sends. */
export function formatAddCheckpoint(old: number, proof: readonly Buffer[], note: string): string {
  return `old ${old}\n${proof.map((h) => `${h.toString('base64')}\n`).join('')}\n${note}`;
}

/** Whether a trusted log key signed `cp`: 'ok', or 'none' / 'bad' (a matching line that fails). */
function logSignature(cp: SignedCheckpoint, keys: readonly TrustedKey[]): 'ok' | 'none' | 'bad' {
  const msg = Buffer.from(cp.text, 'utf8');
  let ok = false;
  for (const s of cp.signatures) {
    for (const k of keys) {
      if (s.name !== cp.origin || !noteKeyHash(s.name, k.publicKey).equals(s.keyHash)) continue;
      if (!verifyBytes(k, msg, s.sig)) return 'bad';
      ok = true;
    }
  }
  return ok ? 'ok' : 'none';
}

export class WitnessCore {
  private readonly logs = new Map<string, WitnessedLog>();
  private readonly queues = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: WitnessOptions) {
    checkWitnessName(opts.name, 'kfm witness serve: --name');
    for (const l of opts.logs) {
      if (this.logs.has(l.origin))
        throw new ReceiptError(
          'USAGE',
          `kfm witness serve: --log origin "${l.origin}" is given twice; pass its keys once each`,
        );
      this.logs.set(l.origin, l);
    }
    mkdirSync(opts.stateDir, { recursive: true });
    // Read every state file now: a corrupt one stops the witness before it answers anything.
    for (const l of opts.logs) this.load(l.origin);
  }

  get name(): string {
    return this.opts.name;
  }

  private statePath(origin: string): string {
    return join(this.opts.stateDir, `${originHash(origin)}.checkpoint`);
  }

  /** The checkpoint last cosigned for `origin`, or undefined. Throws IO_ERROR on an unreadable or corrupt state file. */
  private load(origin: string): SignedCheckpoint | undefined {
    const path = this.statePath(origin);
    let raw: string;
    try {
      raw = readFileSync(path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ReceiptError('IO_ERROR', `${path}: cannot read witness state (${(e as NodeJS.ErrnoException).code})`);
    }
    try {
      const cp = parseCheckpoint(raw, path);
      if (cp.origin !== origin) throw new ReceiptError('CHECKPOINT_INVALID', `${path}: holds another origin`);
      return cp;
    } catch (e) {
      if (!isReceiptError(e)) throw e;
      throw new ReceiptError('IO_ERROR', `witness state is corrupt, refusing to cosign: ${e.message}`);
    }
  }

  /** Write `bytes` as the state of `origin`: temp file, fsync, rename over, fsync the directory. */
  private persist(origin: string, bytes: string): void {
    const path = this.statePath(origin);
    const tmp = join(this.opts.stateDir, `.tmp-${randomBytes(6).toString('hex')}`);
    const fd = openSync(tmp, 'wx', 0o644);
    try {
      writeSync(fd, bytes);
      fsyncSync(fd);
    } catch (e) {
      closeSync(fd);
      unlinkSync(tmp);
      throw e;
    }
    closeSync(fd);
    renameSync(tmp, path);
    const dir = openSync(this.opts.stateDir, 'r');
    try {
      fsyncSync(dir);
    } finally {
      closeSync(dir);
    }
  }

  /** What monitors GET: the latest cosigned checkpoint of the log with this origin hash. */
  latest(hash: string): string | undefined {
    for (const origin of this.logs.keys()) {
      if (originHash(origin) !== hash) continue;
      const cp = this.load(origin);
      return cp ? readFileSync(this.statePath(origin), 'utf8') : undefined;
    }
    return undefined;
  }

  /** Run `fn` after every earlier request for the same log has finished. */
  private serial<T>(origin: string, fn: () => T): Promise<T> {
    const prev = this.queues.get(origin) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    this.queues.set(
      origin,
      run.then(
        () => undefined,
        () => undefined,
      ),
    );
    return run;
  }

  async addCheckpoint(body: Buffer): Promise<WitnessAnswer> {
    const req = parseAddCheckpoint(body);
    if (typeof req === 'string') return text(400, req);
    const origin = req.note.slice(0, Math.max(0, req.note.indexOf('\n')));
    const log = this.logs.get(origin);
    if (!log) return text(404, 'unknown log origin');
    let cp: SignedCheckpoint;
    try {
      cp = parseCheckpoint(req.note, 'checkpoint');
    } catch (e) {
      if (!isReceiptError(e)) throw e;
      return text(400, e.message);
    }
    const sig = logSignature(cp, log.keys);
    if (sig === 'none') return text(403, 'no signature by a trusted key of this log');
    if (sig === 'bad') return text(403, 'a signature by a trusted key of this log does not verify');
    if (req.old > cp.size) return text(400, `old size ${req.old} is above the checkpoint size ${cp.size}`);
    if (cp.size === 0 && !cp.root.equals(EMPTY_ROOT)) return text(422, 'a tree of size 0 has the empty root');
    return this.serial(origin, () => {
      const held = this.load(origin);
      const heldSize = held?.size ?? 0;
      if (req.old !== heldSize) return { status: 409, contentType: SIZE_CONTENT_TYPE, body: `${heldSize}\n` } as const;
      if (req.old === 0) {
        if (req.proof.length > 0) return text(422, 'a proof from the empty tree must be empty');
      } else if (!verifyConsistency(req.old, cp.size, held!.root, cp.root, req.proof)) {
        return text(
          422,
          req.old === cp.size
            ? 'same tree size as the checkpoint held, different root hash'
            : `consistency proof from tree size ${req.old} does not verify`,
        );
      }
      const line = cosign(cp.text, this.opts.name, this.opts.key, this.opts.now());
      const kept = req.note.endsWith('\n') ? req.note : `${req.note}\n`;
      this.persist(origin, kept + line);
      return { status: 200, contentType: 'text/plain; charset=utf-8', body: line } as const;
    });
  }
}
