/**
 * Witnesses are asked, not inferred: before a gate judges the tree a quorum cosigned in the
 * store, it asks each witness the size it holds for this log (ledger/witness/client.ts,
 * `askHeldSize`). Deleting the newest witnessed note, or copying an older one where the newest
 * was, cannot then roll the gate back: the witnesses hold the larger tree.
 */
import { Witness } from '../ledger/cosignature';
import { askHeldSize, HeldSize } from '../ledger/witness/client';

/** A witness the gate trusts, and where to ask it (none: it cannot be asked). */
export interface AskedWitness {
  readonly witness: Witness;
  readonly url?: string;
}

export interface FreshnessOptions {
  readonly witnesses: readonly AskedWitness[];
  readonly quorum: number;
  /** Judge the store's view when too few witnesses answer (said in the decision). @default false */
  readonly acceptStoreView?: boolean;
  /** @default 10 000 */
  readonly timeoutMs?: number;
  /**
   * The entries the gate read from the store, witnessed or not. A witness that holds a larger
   * tree than that has cosigned entries the store no longer has: one such witness is enough.
   */
  readonly logSize?: number;
}

export interface Freshness {
  readonly ok: boolean;
  /** One clause for the gate's ledger item. */
  readonly detail: string;
  /** The store's view was judged because --accept-store-view said so. */
  readonly accepted?: boolean;
}

/** `w1 (tree size 9), w2 (unreachable …)`. */
function said(hs: readonly HeldSize[]): string {
  return hs.map((h) => `${h.witness} (${h.answer})`).join(', ');
}

/**
 * Whether the tree judged (`size` entries, the signed `note`) is the newest a quorum of witnesses
 * cosigned. Blocks, naming the witnesses and both sizes, when a quorum holds a larger tree (or
 * another tree of this size), or when any one witness holds a larger tree than the store has
 * entries (a quorum rule alone let one wiped or lying witness outvote the one that holds the
 * deleted entries: third review); when too few answer to rule that out, blocks unless the caller
 * accepts the store's view explicitly.
 */
export async function checkFreshness(note: string | undefined, size: number, o: FreshnessOptions): Promise<Freshness> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const answers = await Promise.all(
    o.witnesses.map((w) =>
      w.url === undefined || note === undefined
        ? Promise.resolve<HeldSize>({ witness: w.witness.name, answer: 'not asked: no --witness-url' })
        : askHeldSize({ witness: w.witness, url: w.url }, note, size, timeoutMs),
    ),
  );
  const gone = answers.filter((a) => a.held !== undefined && o.logSize !== undefined && a.held > o.logSize);
  if (gone.length > 0)
    return {
      ok: false,
      detail: `witness(es) ${said(gone)} cosigned a larger tree than the ${o.logSize} entries the store holds: entries a witness cosigned were deleted (the log was truncated or rolled back); one witness that holds them is enough to block, since a witness only holds trees the log signed (restore the entries, or remove a witness that lies from --witness)`,
    };
  const ahead = answers.filter((a) => a.conflict === true || (a.held !== undefined && a.held > size));
  const silent = answers.filter((a) => a.held === undefined && a.conflict !== true);
  if (ahead.length >= o.quorum)
    return {
      ok: false,
      detail: `witnesses ${said(ahead)} have cosigned a larger tree than the ${size} entries the store's newest witnessed checkpoint holds: a newer witnessed checkpoint was deleted or hidden (restore it, or run scripts/cosign.sh)`,
    };
  if (ahead.length + silent.length >= o.quorum) {
    const why = `only ${answers.length - silent.length} of ${answers.length} witness(es) answered (${said(answers)}), too few to rule out a larger witnessed tree than the ${size} entries judged`;
    return o.acceptStoreView === true
      ? { ok: true, accepted: true, detail: `${why}; the store's view accepted (--accept-store-view)` }
      : {
          ok: false,
          detail: `${why}: reach the witnesses (--witness-url NAME=URL) or pass --accept-store-view to judge the store's view`,
        };
  }
  return { ok: true, detail: `asked: ${said(answers)}` };
}
