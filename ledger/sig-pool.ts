/**
 * Ed25519 verification of DSSE envelopes in batches, on worker threads, for `verifyLog`.
 *
 * One signature check costs ~60 µs of OpenSSL time (≈ 70 % of verifying a log), so it is
 * spread over a pool of worker threads. A batch is packed into one transferable buffer
 * (PAE messages and signature bytes) plus a small index; the answer is one byte per
 * envelope (1 = some signature verifies under some trusted key). Batches are answered in
 * the order they were sent to a given worker, and the caller awaits them in its own order,
 * so results never reorder.
 *
 * The check is the same as `verifyEnvelope`: every signature against every trusted key
 * until one verifies. The keyid is advisory: when it names a trusted key that key is tried
 * first, then all the others, so a wrong or missing keyid never changes the answer.
 */
import { availableParallelism } from 'node:os';
import { verify } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { isReceiptError } from '../core/errors';
import { DsseEnvelope, parseEnvelope } from '../attest/dsse/envelope';
import { pae } from '../attest/dsse/pae';
import { TrustedKey } from '../attest/sign/ed25519';
import type { IdentityTrust } from '../attest/sigstore/trusted-signer';
import { sigstoreBundleProblem, isSigstoreBundle, unsignedProblem } from './entry-check';

/** A packed batch: `index` holds, per envelope, [msgStart, msgLen, nsig, (sigStart, sigLen, hint) × nsig]. */
export interface PackedBatch {
  readonly data: Uint8Array;
  readonly index: Int32Array;
  readonly count: number;
}

/** Batch buffers start at this size (grown by doubling) and are recycled after each batch. */
const BUFFER_BYTES = 256 * 1024;

/**
 * Collects envelopes for one batch, copying their PAE message and signature bytes into one
 * buffer right away, so nothing per envelope stays alive until the batch is sent.
 */
export class BatchBuilder {
  private readonly index: number[] = [];
  private buf: Buffer;
  private bytes = 0;
  private n = 0;

  constructor(
    private readonly hints: ReadonlyMap<string, number>,
    recycled: ArrayBuffer | undefined,
  ) {
    this.buf = Buffer.from(recycled ?? new ArrayBuffer(BUFFER_BYTES));
  }

  get count(): number {
    return this.n;
  }

  /** Adds an envelope (already parsed strictly); returns its position in the batch. */
  add(env: DsseEnvelope): number {
    const message = pae(env.payloadType, Buffer.from(env.payload, 'base64'));
    this.index.push(this.bytes, message.length, env.signatures.length);
    this.append(message);
    for (const s of env.signatures) {
      const sig = Buffer.from(s.sig, 'base64');
      this.index.push(this.bytes, sig.length, this.hints.get(s.keyid) ?? -1);
      this.append(sig);
    }
    return this.n++;
  }

  finish(): PackedBatch {
    return {
      data: new Uint8Array(this.buf.buffer, 0, this.bytes),
      index: Int32Array.from(this.index),
      count: this.n,
    };
  }

  private append(b: Buffer): void {
    if (this.bytes + b.length > this.buf.length) {
      const bigger = Buffer.from(new ArrayBuffer(Math.max(2 * this.buf.length, this.bytes + b.length)));
      this.buf.copy(bigger, 0, 0, this.bytes);
      this.buf = bigger;
    }
    b.copy(this.buf, this.bytes);
    this.bytes += b.length;
  }
}

type KeyLike = Parameters<typeof verify>[2];

/** The check itself, on the calling thread (small logs); the workers run the same function. */
export function checkBatch(batch: PackedBatch, keys: readonly KeyLike[]): Uint8Array {
  return checkPacked(batch.data, batch.index, batch.count, keys, tryVerify);
}

/**
 * The one verification loop. It uses nothing but its arguments, so WORKER_SOURCE embeds its own
 * source text (`checkPacked.toString()`): the worker and the calling thread run the same code,
 * from compiled dist/ and from TypeScript sources under tsx/jest alike.
 */
function checkPacked(
  data: Uint8Array,
  index: Int32Array,
  count: number,
  keys: readonly KeyLike[],
  check: (msg: Uint8Array, key: KeyLike, sig: Uint8Array) => boolean,
): Uint8Array {
  const out = new Uint8Array(count);
  let p = 0;
  for (let e = 0; e < count; e++) {
    const msg = data.subarray(index[p], index[p] + index[p + 1]);
    const nsig = index[p + 2];
    p += 3;
    // 0: no key; else 1 + the index of the key that verified (255: that or a later one).
    let by = 0;
    for (let s = 0; s < nsig; s++, p += 3) {
      if (by > 0) continue;
      const sig = data.subarray(index[p], index[p] + index[p + 1]);
      const hint = index[p + 2];
      if (hint >= 0 && check(msg, keys[hint], sig)) by = Math.min(255, hint + 1);
      for (let k = 0; by === 0 && k < keys.length; k++)
        if (k !== hint && check(msg, keys[k], sig)) by = Math.min(255, k + 1);
    }
    out[e] = by;
  }
  return out;
}

function tryVerify(msg: Uint8Array, key: KeyLike, sig: Uint8Array): boolean {
  try {
    return verify(null, msg, key, sig);
  } catch {
    return false;
  }
}

/**
 * The worker: plain JavaScript (no imports from this project, so it runs the same from
 * compiled dist/ and from TypeScript sources under tsx/jest); its loop is checkPacked's own source.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createPublicKey, verify } = require('node:crypto');
const keys = workerData.keys.map((der) => createPublicKey({ key: Buffer.from(der), format: 'der', type: 'spki' }));
const tryVerify = (msg, key, sig) => { try { return verify(null, msg, key, sig); } catch { return false; } };
const checkPacked = ${checkPacked.toString()};
parentPort.on('message', ({ id, data, index, count }) => {
  const out = checkPacked(data, index, count, keys, tryVerify);
  parentPort.postMessage({ id, out, data }, [out.buffer, data.buffer]);
});
`;

/** How many worker threads `verifyLog` uses by default: one per available core. */
export function defaultWorkers(): number {
  return availableParallelism();
}

/** Verifies packed batches, on `workers` threads (0 = on the calling thread). */
export class SignaturePool {
  private readonly workers: Worker[] = [];
  private readonly load: number[] = [];
  private readonly waiting = new Map<
    number,
    {
      worker: number;
      resolve: (r: Uint8Array) => void;
      reject: (e: Error) => void;
    }
  >();
  private nextId = 0;
  /** Batch buffers back from the workers, for the next batches (bounded by the caller's window). */
  private readonly free: ArrayBuffer[] = [];
  private failure: Error | undefined;
  readonly hints: ReadonlyMap<string, number>;
  private readonly localKeys: readonly KeyLike[];

  constructor(trusted: readonly TrustedKey[], workers: number) {
    const hints = new Map<string, number>();
    trusted.forEach((k, i) => {
      if (!hints.has(k.keyid)) hints.set(k.keyid, i);
    });
    this.hints = hints;
    this.localKeys = trusted.map((k) => k.publicKey);
    const keys = trusted.map((k) => k.publicKey.export({ format: 'der', type: 'spki' }));
    for (let i = 0; i < workers; i++) {
      const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { keys } });
      w.on('message', ({ id, out, data }: { id: number; out: Uint8Array; data: Uint8Array }) => {
        this.recycle(data.buffer as ArrayBuffer);
        const job = this.waiting.get(id);
        if (job === undefined) return;
        this.waiting.delete(id);
        this.load[job.worker]--;
        job.resolve(out);
      });
      w.on('error', (e) => this.fail(e));
      w.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`signature worker exited with code ${code}`));
      });
      this.workers.push(w);
      this.load.push(0);
    }
  }

  /** Worker threads in use (0 = the calling thread). */
  get size(): number {
    return this.workers.length;
  }

  newBatch(): BatchBuilder {
    return new BatchBuilder(this.hints, this.free.pop());
  }

  /** One byte per envelope in the batch, in order: 0 when no trusted key verifies it, else 1 + that key's index (255 at most). */
  verify(batch: PackedBatch): Promise<Uint8Array> {
    if (this.failure) return Promise.reject(this.failure);
    if (this.workers.length === 0) {
      const out = checkBatch(batch, this.localKeys);
      this.recycle(batch.data.buffer as ArrayBuffer);
      return Promise.resolve(out);
    }
    let w = 0;
    for (let i = 1; i < this.workers.length; i++) if (this.load[i] < this.load[w]) w = i;
    const id = this.nextId++;
    this.load[w]++;
    const result = new Promise<Uint8Array>((resolve, reject) => {
      this.waiting.set(id, { worker: w, resolve, reject });
      this.workers[w].postMessage({ id, data: batch.data, index: batch.index, count: batch.count }, [
        batch.data.buffer as ArrayBuffer,
        batch.index.buffer as ArrayBuffer,
      ]);
    });
    result.catch(() => undefined); // awaited by the caller in order; never an unhandled rejection meanwhile
    return result;
  }

  async close(): Promise<void> {
    const ws = this.workers.splice(0);
    await Promise.all(ws.map((w) => w.terminate()));
  }

  private recycle(b: ArrayBuffer): void {
    if (b.byteLength === BUFFER_BYTES && this.free.length < 64) this.free.push(b);
  }

  private fail(e: Error): void {
    if (this.workers.length === 0) return; // closing
    this.failure = e;
    for (const job of this.waiting.values()) job.reject(e);
    this.waiting.clear();
  }
}

/** Envelopes per signature batch, and how many batches may be in flight (memory stays bounded). */
const BATCH = 512;
const WINDOW_PER_WORKER = 3;

/**
 * Findings of one batch, in scan order: a string is a problem, `{ junk }` junk, a number stands
 * for "envelope #i of the batch" (junk when no trusted key signed it).
 */
interface Batch {
  readonly sigs: BatchBuilder;
  readonly events: (string | number | { readonly junk: string })[];
  readonly names: string[];
  result?: Promise<Uint8Array>;
}

/**
 * Signatures, checked in batches (on worker threads for big logs) while the scan goes on; each
 * batch keeps its problems in scan order, and batches are settled in order, so the report is
 * the same as checking every entry in turn.
 */
export class SignedInOrder {
  private readonly pool: SignaturePool;
  private readonly window: number;
  private readonly inflight: Batch[] = [];
  private batch: Batch;

  constructor(
    private readonly trusted: readonly TrustedKey[],
    workers: number,
    /** Where each problem goes, in scan order. */
    private readonly problem: (msg: string) => void,
    /**
     * Where junk goes, in scan order: an envelope no trusted key signed, or not a DSSE envelope.
     * @default - reported as a problem
     */
    private readonly junk: (msg: string) => void = problem,
    /** Called with each envelope that verifies only under one of the last `lateKeys` trusted keys. */
    private readonly late?: { readonly keys: number; readonly signed: (name: string, key: TrustedKey) => void },
    /**
     * Trusted identities for keyless Sigstore bundles in the log (checked on this thread, in scan order).
     * @default - keyless bundles are junk
     */
    private readonly identities?: IdentityTrust,
  ) {
    this.pool = new SignaturePool(trusted, workers);
    this.window = Math.max(1, this.pool.size) * WINDOW_PER_WORKER;
    this.batch = this.fresh();
  }

  private fresh(): Batch {
    return { sigs: this.pool.newBatch(), events: [], names: [] };
  }

  /** A problem, in its place among the signature checks. */
  say(msg: string): void {
    this.batch.events.push(msg);
  }

  /** Check the envelope's signature (the check of entry-check.ts, batched; a bundle's on this thread). */
  add(envelopeBytes: Buffer, name: string): void {
    if (isSigstoreBundle(envelopeBytes)) {
      const junk = sigstoreBundleProblem(envelopeBytes, name, this.trusted, this.identities);
      if (junk !== undefined) this.batch.events.push({ junk });
      return;
    }
    try {
      const env = parseEnvelope(envelopeBytes, `${name}: envelope`);
      this.batch.events.push(this.batch.sigs.add(env));
      this.batch.names.push(name);
    } catch (err) {
      if (!isReceiptError(err)) throw err;
      this.batch.events.push({ junk: `${err.message}; not evidence, ignored` });
    }
  }

  async maybeSend(): Promise<void> {
    if (this.batch.sigs.count >= BATCH || this.batch.events.length >= 4 * BATCH) await this.send();
  }

  private async send(): Promise<void> {
    const b = this.batch;
    if (b.events.length === 0) return;
    if (b.sigs.count > 0) b.result = this.pool.verify(b.sigs.finish());
    this.inflight.push(b);
    this.batch = this.fresh();
    while (this.inflight.length > this.window) await this.settle(this.inflight.shift()!);
  }

  private async settle(b: Batch): Promise<void> {
    const ok = b.result === undefined ? undefined : await b.result;
    for (const ev of b.events) {
      if (typeof ev === 'string') this.problem(ev);
      else if (typeof ev === 'object') this.junk(ev.junk);
      else if (ok![ev] === 0) this.junk(unsignedProblem(b.names[ev], this.trusted.slice(0, this.trusted.length - (this.late?.keys ?? 0))));
      else if (this.late && ok![ev] - 1 >= this.trusted.length - this.late.keys)
        this.late.signed(b.names[ev], this.trusted[Math.min(ok![ev] - 1, this.trusted.length - 1)]);
    }
  }

  async finish(): Promise<void> {
    await this.send();
    while (this.inflight.length > 0) await this.settle(this.inflight.shift()!);
  }

  close(): Promise<void> {
    return this.pool.close();
  }
}
