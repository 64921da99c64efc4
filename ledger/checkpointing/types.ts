/** What `checkpointLog` (checkpoint-log.ts) takes and returns. */
import { SigningKey, TrustedKey } from '../../attest/sign/ed25519';
import { Witness } from '../cosignature';
import { SinceStart } from '../log-index-read';
import { CheckpointInput } from '../verify';
import { WitnessAnswerLine, WitnessEndpoint } from '../witness/client';

export interface CheckpointLogOptions {
  readonly origin: string;
  /** The log's checkpoint key (it signs the note and the index). */
  readonly key: SigningKey;
  /** The key's public part, as a trusted key (its source names it in messages). */
  readonly own: TrustedKey;
  /** Trusted keys of the entries; none: entry signatures are not checked. */
  readonly pubs: readonly TrustedKey[];
  /**
   * Approver keys: the approvals they signed verify, but they are never trusted for checkpoints
   * or indexes (an approver could otherwise store a note of a tree that never existed and stop
   * every checkpoint). @default none: approvals are junk, listed and never a failure
   */
  readonly approvers?: readonly { readonly name: string; readonly key: TrustedKey }[];
  /** Earlier checkpoints the log must extend (kept elsewhere, in case the stored ones were deleted). */
  readonly checkpoints: readonly CheckpointInput[];
  /** Resume from this verified checkpoint: verify and index only what came after it. */
  readonly since?: SinceStart;
  /** Witnesses to ask for cosignatures (none: the note is signed by the log key only). */
  readonly endpoints: readonly WitnessEndpoint[];
  readonly witnesses: readonly Witness[];
  readonly quorum: number;
  readonly timeoutMs: number;
  /** Called once the log verified, before anything is signed. */
  readonly onVerified?: () => void;
  /** One line per witness answer when the quorum is not reached (before the error). */
  readonly onAnswer?: (a: WitnessAnswerLine) => void;
}

export interface CheckpointOutcome {
  readonly size: number;
  readonly root: Buffer;
  /** The note (cosigned when witnessed): what the caller writes out. */
  readonly note: string;
  /** Name of the stored note. */
  readonly stored: string;
  /** Name of the index note written with it. */
  readonly index: string;
  readonly witnessed?: { readonly cosigners: string[]; readonly answers: readonly WitnessAnswerLine[] };
}
