/**
 * The log's side of C2SP tlog-witness: submit a signed checkpoint to each witness with a
 * consistency proof from the size that witness last cosigned, and collect the cosignatures.
 *
 * Each witness gets one request, and on 409 one retry with the size it reported (and the proof
 * from that size; one more, proof-less, when it reports this very size). A witness that holds a larger tree than the log has is a rolled-back or
 * truncated log: it is never asked again. Every answer becomes one line for the operator.
 */
import { ReceiptError } from '../../core/errors';
import { parseCheckpoint, SignedCheckpoint } from '../checkpoint';
import { checkCosignatures, Witness } from '../cosignature';
import { formatAddCheckpoint, SIZE_CONTENT_TYPE } from './witness';

export interface WitnessEndpoint {
  readonly witness: Witness;
  /** Submission prefix; `/add-checkpoint` is appended. */
  readonly url: string;
}

export interface WitnessAnswerLine {
  readonly witness: string;
  readonly cosigned: boolean;
  /** The cosignature line (with its newline) when cosigned. */
  readonly line?: string;
  /** What the witness answered, for the operator, one line. */
  readonly answer: string;
  /** The tree size it holds, when that is larger than the checkpoint's (rollback, or the log grew meanwhile). */
  readonly ahead?: number;
}

export interface SubmitOptions {
  /** The log-signed checkpoint note. */
  readonly note: string;
  /** The size each witness probably holds (from earlier witnessed checkpoints); 0 if unknown. */
  readonly firstOld: (witness: string) => number;
  /** The RFC 6962 consistency proof from `old` to the checkpoint's size (old ≥ 1). */
  readonly proof: (old: number) => Promise<Buffer[]>;
  readonly timeoutMs: number;
}

const REASONS: Record<number, string> = {
  400: '400 Bad Request (it could not parse the request)',
  403: '403 Forbidden (it does not trust the key that signed the checkpoint)',
  404: '404 Not Found (it does not witness this origin)',
  422: '422 Unprocessable Entity (the consistency proof from the tree it holds does not verify: the log was rewritten or forked)',
};

/**
 * POST to a witness. A kept-alive connection the witness closed while idle (undici reports
 * UND_ERR_SOCKET or ECONNRESET before any answer) is retried once on a new connection: the
 * request never reached the witness.
 */
async function post(
  url: string,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; type: string; body: string }> {
  try {
    return await postOnce(url, body, timeoutMs);
  } catch (e) {
    const code = (e as { cause?: { code?: string } })?.cause?.code;
    if (code !== 'UND_ERR_SOCKET' && code !== 'ECONNRESET') throw e;
    return postOnce(url, body, timeoutMs);
  }
}

async function postOnce(
  url: string,
  body: string,
  timeoutMs: number,
): Promise<{ status: number; type: string; body: string }> {
  const res = await fetch(`${url.replace(/\/+$/, '')}/add-checkpoint`, {
    method: 'POST',
    body,
    headers: { 'content-type': 'text/plain; charset=utf-8' },
    signal: AbortSignal.timeout(timeoutMs),
    // A witness answers itself (c2sp.org/tlog-witness has no redirects): a 307 would re-POST the
    // checkpoint wherever the witness's operator points it, from the CI runner's network.
    redirect: 'manual',
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: text };
}

function unreachable(e: unknown, timeoutMs: number): string {
  const err = e as { name?: string; cause?: { code?: string } };
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') return `no answer within ${timeoutMs / 1000}s`;
  return `unreachable (${err?.cause?.code ?? err?.name ?? 'network error'})`;
}

/** Submit to one witness (one retry on 409; see below). Never throws for what the witness does. */
export async function requestCosignature(
  ep: WitnessEndpoint,
  cp: SignedCheckpoint,
  opts: SubmitOptions,
): Promise<WitnessAnswerLine> {
  const name = ep.witness.name;
  const fail = (answer: string): WitnessAnswerLine => ({ witness: name, cosigned: false, answer });
  let old = opts.firstOld(name);
  if (old > cp.size) old = 0;
  for (let attempt = 0; attempt < 3; attempt++) {
    const proof = old === 0 || old === cp.size ? [] : await opts.proof(old);
    let res;
    try {
      res = await post(ep.url, formatAddCheckpoint(old, proof, opts.note), opts.timeoutMs);
    } catch (e) {
      return fail(unreachable(e, opts.timeoutMs));
    }
    if (res.status === 200) {
      let got: SignedCheckpoint;
      try {
        got = parseCheckpoint(`${cp.text}\n${res.body}`, `${name} answer`);
      } catch {
        return fail('answered 200 with a body that is not signature lines');
      }
      const [check] = checkCosignatures(got, [ep.witness]);
      if (check.status !== 'valid') return fail('answered 200 but with no valid cosignature under its configured key');
      const line = res.body.split('\n').find((l) => {
        if (!l.startsWith(`\u2014 ${name} `)) return false;
        const one = parseCheckpoint(`${cp.text}\n${l}\n`, `${name} answer`);
        return checkCosignatures(one, [ep.witness])[0].status === 'valid';
      })!;
      return { witness: name, cosigned: true, line: `${line}\n`, answer: `cosigned tree size ${cp.size}` };
    }
    if (res.status === 409) {
      const m = /^(0|[1-9][0-9]{0,15})\n$/.exec(res.body);
      if (!res.type.startsWith(SIZE_CONTENT_TYPE) || !m) return fail('answered 409 without its tree size');
      const held = Number(m[1]);
      if (held > cp.size) {
        return {
          ...fail(
            `holds tree size ${held} but the log has ${cp.size} entries: the log was truncated or rolled back (not cosigned)`,
          ),
          ahead: held,
        };
      }
      // One retry from the size it holds. A second 409 is final, unless the witness now holds
      // exactly this tree size (another checkpointer of the same log got there first): then a
      // proof-less submission decides, 200 if the roots agree, 422 if they do not.
      if (attempt === 2 || (attempt === 1 && held !== cp.size))
        return fail(`answered 409 twice (holds tree size ${held}; another submitter is racing)`);
      old = held;
      continue;
    }
    return fail(`answered ${REASONS[res.status] ?? `HTTP ${res.status}`}`);
  }
  throw new ReceiptError('INTERNAL', 'unreachable');
}

/** Submit to every witness in parallel; answers in configuration order. */
export async function collectCosignatures(
  endpoints: readonly WitnessEndpoint[],
  opts: SubmitOptions,
): Promise<{ note: string; answers: WitnessAnswerLine[] }> {
  const cp = parseCheckpoint(opts.note, 'checkpoint');
  const answers = await Promise.all(endpoints.map((ep) => requestCosignature(ep, cp, opts)));
  const lines = answers.filter((a) => a.cosigned).map((a) => a.line!);
  return { note: opts.note + lines.join(''), answers };
}

/** What one witness said about the tree size it holds for this log. */
export interface HeldSize {
  readonly witness: string;
  /** The size it holds; undefined when it could not be learned (unreachable, no URL, an error answer). */
  readonly held?: number;
  /** It holds a different tree of this very size (422): the log was forked or rewritten. */
  readonly conflict?: boolean;
  /** What it answered, one line for the operator. */
  readonly answer: string;
}

/**
 * Ask a witness the size it holds for the log of `note` (a log-signed checkpoint of `size`
 * entries): submit it through `add-checkpoint` as an extension of itself (`old <size>`, no proof).
 * A witness that holds exactly this tree answers 200 (it cosigns it again); one that holds
 * another size answers 409 with that size (c2sp.org/tlog-witness); 422 means it holds another
 * tree of this size. Never throws for what the witness does.
 */
export async function askHeldSize(
  ep: WitnessEndpoint,
  note: string,
  size: number,
  timeoutMs: number,
): Promise<HeldSize> {
  const witness = ep.witness.name;
  let res;
  try {
    res = await post(ep.url, formatAddCheckpoint(size, [], note), timeoutMs);
  } catch (e) {
    return { witness, answer: unreachable(e, timeoutMs) };
  }
  if (res.status === 200) {
    // Its cosignature of this very note authenticates "I hold this tree" (a 409 only ever blocks).
    try {
      const cp = parseCheckpoint(note, 'checkpoint');
      const got = parseCheckpoint(`${cp.text}\n${res.body}`, `${witness} answer`);
      if (checkCosignatures(got, [ep.witness])[0]!.status === 'valid')
        return { witness, held: size, answer: `holds tree size ${size}` };
    } catch {
      // not signature lines: as below
    }
    return { witness, answer: 'answered 200 without a valid cosignature under its configured key' };
  }
  if (res.status === 409) {
    const m = /^(0|[1-9][0-9]{0,15})\n$/.exec(res.body);
    if (!res.type.startsWith(SIZE_CONTENT_TYPE) || !m) return { witness, answer: 'answered 409 without its tree size' };
    return { witness, held: Number(m[1]), answer: `holds tree size ${m[1]}` };
  }
  if (res.status === 422)
    return { witness, conflict: true, answer: `holds another tree of size ${size}: the log was forked or rewritten` };
  return { witness, answer: `answered ${REASONS[res.status] ?? `HTTP ${res.status}`}` };
}

/**
 * Whether anything answers HTTP at a witness's URL: an empty `add-checkpoint` request, which a
 * witness refuses (400) without reading or changing what it holds. For when there is no
 * checkpoint to ask about yet.
 */
export async function askReachable(url: string, timeoutMs: number): Promise<{ reachable: boolean; answer: string }> {
  try {
    const res = await post(url, '', timeoutMs);
    return { reachable: true, answer: `answers (HTTP ${res.status} to an empty request)` };
  } catch (e) {
    return { reachable: false, answer: unreachable(e, timeoutMs) };
  }
}
