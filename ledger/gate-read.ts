/**
 * What a gate holding a trusted checkpoint reads for one commit (the evidence issue wires this
 * into `kfm gate … --checkpoint`): by proof when the store has a valid index for that checkpoint
 * (ledger/index.ts), otherwise the whole log through verify, anchored on the checkpoint.
 */
import { isReceiptError } from '../core/errors';
import { TrustedKey } from '../attest/sign/ed25519';
import { SignedCheckpoint } from './checkpoint';
import { readByProof } from './index';
import { AuditStore, StoredEntry } from './store';
import { CheckpointInput, verifyLog, VerifyOptions } from './verify';

export interface GateRead {
  /** What the gate judges: by proof, the commit's entries and every entry after the checkpoint; else all. */
  readonly entries: StoredEntry[];
  readonly size: number;
  readonly root: string;
  /** 'proof' (index + inclusion proofs + the entries after the checkpoint) or 'full' (verify of the whole log). */
  readonly via: 'proof' | 'full';
  /** Why the read fell back to the whole log, then the full read's integrity problems. */
  readonly problems: readonly string[];
  /** False when the full read found the log damaged (a failing gate item). */
  readonly ok: boolean;
}

/**
 * The index can make the gate faster, never blind: no index, or one that fails any check
 * (altered or missing shard, a seq whose entry does not claim the commit, a bad signature,
 * entries that no longer prove against the checkpoint) sends the gate to the full read, which
 * names the problem. `cp` must already be verified as trusted; `cpInput` is its text.
 */
export async function readForGate(
  store: AuditStore,
  cp: SignedCheckpoint,
  cpInput: CheckpointInput,
  commit: string,
  opts: Omit<VerifyOptions, 'onEntry' | 'since'> & { readonly trusted: readonly TrustedKey[] },
): Promise<GateRead> {
  let why: string;
  try {
    const r = await readByProof(store, cp, opts.trusted, commit);
    if (r !== undefined)
      return { entries: r.entries, size: r.size, root: r.root, via: 'proof', problems: [], ok: true };
    why = `${store.spec} holds no index for ${cpInput.source}`;
  } catch (e) {
    if (!isReceiptError(e)) throw e;
    why = e.message;
  }
  const entries: StoredEntry[] = [];
  const report = await verifyLog(store, {
    ...opts,
    checkpoints: [...(opts.checkpoints ?? []), cpInput],
    onEntry: (e) => entries.push(e),
  });
  return {
    entries,
    size: report.size,
    root: report.root,
    via: 'full',
    problems: [`read the whole log (${why})`, ...report.problems],
    ok: report.ok,
  };
}
