/**
 * A bounded pool of parallel requests whose answers come back in the order they were asked:
 * readers of a remote store keep up to `limit` requests in flight and still see entries in
 * sequence order, with memory bounded by `limit` answers.
 */

/** Requests in flight per reader of an S3 store (the SDK's socket pool is larger). */
export const REQUESTS_IN_FLIGHT = 32;

/**
 * `f` over `jobs` with at most `limit` calls in flight, answers yielded in job order. A failing
 * call fails the iteration at its place in the order (earlier answers are still yielded).
 */
export async function* ordered<T, R>(
  jobs: Iterable<T> | AsyncIterable<T>,
  limit: number,
  f: (job: T) => Promise<R>,
): AsyncGenerator<R> {
  const queue: Promise<R>[] = [];
  for await (const job of jobs) {
    const p = f(job);
    p.catch(() => undefined); // awaited in order below; never an unhandled rejection meanwhile
    queue.push(p);
    if (queue.length >= limit) yield await queue.shift()!;
  }
  while (queue.length > 0) yield await queue.shift()!;
}

/** `f` over `jobs`, at most `limit` at once; resolves with the answers in job order. */
export async function all<T, R>(jobs: readonly T[], limit: number, f: (job: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for await (const r of ordered(jobs, limit, f)) out.push(r);
  return out;
}
