import { PREDICATE_TYPES } from '../attest/predicate-types';
import { TrustedKey } from '../attest/sign/ed25519';
import type { IdentityTrust } from '../attest/sigstore/trusted-signer';
import { OpenStoreOptions } from '../ledger/open-store';
import { classifyEntries, Evidence, Rejected } from './evidence';
import { AnchorOptions, readLedger } from './ledger';

/** The keys evidence is judged under: `--pub` keys sign receipts and records; approver keys sign approvals as NAME. */
export interface EvidenceKeys {
  readonly receiptKeys: readonly TrustedKey[];
  readonly approvers: readonly { readonly name: string; readonly key: TrustedKey }[];
  /**
   * The log's own keys (`--log-pub`): checkpoints and indexes only, never a record's signer.
   * @default none: the receipt keys sign checkpoints
   */
  readonly logKeys?: readonly TrustedKey[];
  /**
   * Trusted identities per role under a Sigstore trusted root (`--trusted-root`,
   * `--identity-policy`): keyless records count when their certificate's identity may sign them.
   * @default - keyless records are never evidence
   */
  readonly identities?: IdentityTrust;
}

/** Where and how to read the ledger: the store, its options, the trusted anchor and the commit judged. */
export interface EvidenceSource {
  readonly store: string;
  readonly options: OpenStoreOptions;
  /** Trusted checkpoints (and witnesses); none is an unanchored read. */
  readonly anchor?: AnchorOptions;
  /** With a commit and an anchor, the ledger is read by proof for that commit's evidence. */
  readonly commit?: string;
}

/** The ledger as read (entries, integrity item, what was judged), its evidence and what was rejected. */
export interface GatheredEvidence {
  readonly ledger: Awaited<ReturnType<typeof readLedger>>;
  readonly evidence: Evidence[];
  readonly rejected: Rejected[];
  /** With entries after the witnessed tree: the evidence of the witnessed tree and of them together (they can only deny). */
  readonly withUnwitnessed?: { readonly evidence: Evidence[]; readonly rejected: Rejected[] };
}

/**
 * What `kfm gate` and `kfm report` judge: read and verify the ledger under every key, then keep
 * each statement only in its signer's role (gates/evidence.ts), a key's or a trusted identity's. Checkpoints and their indexes
 * count only under the log's keys (the receipt keys and `logKeys`), never an approver's; a
 * `logKeys` key never makes a record evidence.
 */
export async function gatherEvidence(source: EvidenceSource, keys: EvidenceKeys): Promise<GatheredEvidence> {
  const signers = [...keys.receiptKeys, ...(keys.logKeys ?? [])];
  const recordKeys = [...keys.receiptKeys, ...keys.approvers.map((a) => a.key)];
  const anchored = source.anchor && { ...source.anchor, signers };
  const ledger = await readLedger(
    source.store,
    source.options,
    [...signers, ...keys.approvers.map((a) => a.key)],
    anchored,
    source.commit,
    keys.identities,
  );
  const roles = {
    receiptSigners: new Set(keys.receiptKeys.map((k) => k.keyid)),
    approvers: new Map(keys.approvers.map((a) => [a.key.keyid, a.name])),
  };
  // Roles first, then replays: a copy signed out of its role never suppresses the real record.
  const classify = (entries: typeof ledger.entries) =>
    classifyEntries(entries, recordKeys, { roles, approvalType: PREDICATE_TYPES.approval }, keys.identities);
  const classified = classify(ledger.entries);
  const tail = ledger.unwitnessed;
  return {
    ledger,
    evidence: classified.evidence,
    rejected: classified.rejected,
    ...(tail && tail.length > 0 ? { withUnwitnessed: classify([...ledger.entries, ...tail]) } : {}),
  };
}
