/**
 * The checks every reader of the log runs on each place in it, written once: the full verify
 * (verify.ts), the resumed verify (`kfm audit verify --since`, the same steps from a checkpoint),
 * the gate's read by proof (gate-read.ts, through `readAfter`) and the store's own `entries()`.
 * A reader collects the problems (verify) or stops at the first (the others); the rule and its
 * message are the same, so the readers cannot disagree on what is damage.
 *
 *  - a place in the scan that is not an entry: a stray object is junk (reported, never evidence,
 *    never a failure but under `--strict`), a temp file left by an interrupted append a note, a
 *    missing entry a problem;
 *  - an entry decodes, its `seq` field is its place, and its `prev` is the hash of the entry
 *    before it (the chain);
 *  - its envelope is signed by a trusted key, or it is a Sigstore bundle whose signer (a key, or
 *    a keyless certificate's identity) is trusted for that record's role (`sigstoreBundleProblem`);
 *    one that is not (an unknown key or identity, not a DSSE
 *    envelope) still occupies its seq — its entry bytes are a leaf of the tree and the next entry
 *    chains onto them — but is junk: not evidence, reported, never a failure but under `--strict`;
 *  - S3 versions: a delete marker is an attempted delete; a newer version is a lost append race
 *    when it is an entry for the same seq whose envelope is appended again later in the log
 *    (`LostRaces` settles that once the later entries are read), the leftover of an interrupted
 *    append when it chains onto the entry before it and a trusted key signed its envelope (a
 *    note naming the append to re-run), and else an attempted overwrite — junk: the oldest
 *    version is always the entry, so a newer one is never read, and one PutObject must not jam
 *    the ledger.
 */
import { isReceiptError, ReceiptError } from '../core/errors';
import { parseEnvelope, verifyEnvelope } from '../attest/dsse/envelope';
import { TrustedKey } from '../attest/sign/ed25519';
import { bundleMediaType } from '../attest/sigstore/bundle';
import { IdentityTrust, readVerifiedRecord } from '../attest/sigstore/trusted-signer';
import { decodeEntry, LedgerEntry, ScanItem, StoredEntry } from './entry';

/**
 * Whether `bytes` is entry `seq` of the log that `prev` (the hash of entry seq - 1) ends: it
 * decodes, names seq, and carries prev. The rule that makes an object part of the log, once:
 * on S3 the entry at a seq is the oldest version for which this holds (a version planted there
 * before the log reached it does not chain, so it neither counts nor jams), and an appender
 * chains only onto objects for which it holds.
 */
export function chainsOnto(bytes: Buffer, seq: number, prev: string): boolean {
  try {
    const e = decodeEntry(bytes, 'entry');
    return e.seq === seq && e.prev === prev;
  } catch {
    return false;
  }
}

/**
 * The version of an S3 entry item that counts: the oldest that chains onto `prev` (undefined
 * prev: not known, the oldest). Undefined when none chains: the log ends before this seq.
 */
export function chosenVersion(
  item: Extract<ScanItem, { kind: 'entry' }>,
  prev: string | undefined,
): Extract<ScanItem, { kind: 'entry' }> | undefined {
  if (prev === undefined || chainsOnto(item.bytes, item.seq, prev)) return item;
  const oldestFirst = [...item.extraVersions].reverse();
  const i = oldestFirst.findIndex((v) => !v.older && chainsOnto(v.bytes, item.seq, prev));
  if (i < 0) return undefined;
  const chosen = oldestFirst[i]!;
  const older = [
    { versionId: item.versionId ?? 'oldest', bytes: item.bytes, older: true as const },
    ...oldestFirst.slice(0, i).map((v) => ({ versionId: v.versionId, bytes: v.bytes, older: true as const })),
  ];
  const newer = oldestFirst.slice(i + 1);
  return {
    ...item,
    bytes: chosen.bytes,
    versionId: chosen.versionId,
    extraVersions: [...newer.reverse(), ...older.reverse()],
  };
}

type EntryItem = Extract<ScanItem, { kind: 'entry' }>;

/** An object in the store that is not an entry, checkpoint, bundle or index: junk, never evidence. */
export function strayProblem(name: string, why?: string): string {
  if (why !== undefined) return `${name}: ${why}; not the ledger's, ignored`;
  return `${name}: unexpected object in the log (not an entry or checkpoint); not the ledger's, ignored`;
}

/** A directory store's temp file: not an entry, never read. */
export function leftoverNote(name: string): string {
  return `${name}: leftover of an interrupted append (not an entry; safe to delete)`;
}

export function missingProblem(name: string, seq: number): string {
  return `${name}: entry ${seq} is missing (deleted or never published)`;
}

/**
 * The message for an envelope no trusted key signed (the full verify checks signatures in
 * batches): junk, never evidence. An approval appended before its approver's key was committed
 * counts once that key is given.
 */
export function unsignedProblem(name: string, trusted: readonly TrustedKey[]): string {
  return `${name}: envelope not signed by a trusted key (${trusted.map((k) => k.source).join(', ')}); not evidence, ignored (an approval appended before its approver's key was committed counts once that key is passed with --pub or --approver)`;
}

export function toStored(e: LedgerEntry, entryBytes: Buffer): StoredEntry {
  return { seq: e.seq, envelopeBytes: e.envelopeBytes, digest: e.digest, entryBytes };
}

export interface EntryCheck {
  /** The decoded entry (also when its place or chain is wrong), undefined when it does not decode. */
  readonly entry?: StoredEntry;
  readonly problems: readonly string[];
}

/**
 * Entry `seq` (stored as `name`), where `expected` was due, chained onto `prev` (the hash of the
 * entry before it; undefined after a gap, when the link cannot be judged).
 */
export function checkEntry(
  bytes: Buffer,
  seq: number,
  name: string,
  expected: number,
  prev: string | undefined,
): EntryCheck {
  const problems: string[] = [];
  if (seq !== expected) problems.push(`${name}: expected entry ${expected} before it (entries missing)`);
  let e: LedgerEntry;
  try {
    e = decodeEntry(bytes, name);
  } catch (err) {
    if (!isReceiptError(err)) throw err;
    return { problems: [...problems, err.message] };
  }
  if (e.seq !== seq) {
    problems.push(
      `${name}: field "seq" is ${e.seq} but the entry is stored as ${seq} (swapped, moved or forged entry)`,
    );
  } else if (prev !== undefined && seq === expected && e.prev !== prev) {
    problems.push(
      `${name}: field "prev" does not match the hash of entry ${seq - 1} (chain broken: an entry before it was altered, inserted or removed)`,
    );
  }
  return { entry: toStored(e, bytes), problems };
}

/**
 * One place of a scan read by a reader that stops at the first problem (the store's entries(),
 * the read after a checkpoint): leftovers, bundles and stray objects (junk, see `strayProblem`)
 * are the caller's to skip — they hold no entry and no problem here.
 */
export function firstProblem(item: ScanItem, expected: number, prev: string | undefined): EntryCheck {
  if (item.kind === 'unknown') return { problems: [] };
  if (item.kind === 'missing') return { problems: [missingProblem(item.name, item.seq)] };
  if (item.kind !== 'entry') return { problems: [] };
  return checkEntry(item.bytes, item.seq, item.name, expected, prev);
}

/**
 * The signature check of a Sigstore bundle in the log (a keyless one is itself the record), by
 * the one hook every reader of records uses (attest/sigstore/trusted-signer.ts): a trusted key,
 * or a certificate identity trusted for that record's kind, tier and principal. Undefined when
 * it verifies; else why it is junk. Without identity trust a keyless bundle is junk that says
 * how to trust it.
 */
export function sigstoreBundleProblem(
  envelopeBytes: Buffer,
  name: string,
  trusted: readonly TrustedKey[],
  identities: IdentityTrust | undefined,
): string | undefined {
  try {
    readVerifiedRecord(envelopeBytes, name, trusted, identities);
    return undefined;
  } catch (err) {
    if (!isReceiptError(err)) throw err;
    return `${err.message}; not evidence, ignored`;
  }
}

/** True when an entry's envelope bytes are a Sigstore bundle (checked by `sigstoreBundleProblem`, never batched). */
export const isSigstoreBundle = (envelopeBytes: Buffer): boolean =>
  bundleMediaType(envelopeBytes.toString('utf8')) !== undefined;

/**
 * The envelopes the ledger trusts: signed by one of `keys` (the log's and the approvers'), or a
 * Sigstore bundle whose signer `identities` trusts for its record's role.
 */
export interface EnvelopeTrust {
  readonly keys: readonly TrustedKey[];
  readonly identities?: IdentityTrust;
}

/** The signature check of one envelope, sequentially (the full verify batches the same check). */
export function signatureProblem(
  e: Pick<StoredEntry, 'envelopeBytes'>,
  name: string,
  trusted: readonly TrustedKey[],
  identities?: IdentityTrust,
): string | undefined {
  if (isSigstoreBundle(e.envelopeBytes)) return sigstoreBundleProblem(e.envelopeBytes, name, trusted, identities);
  let env;
  try {
    env = parseEnvelope(e.envelopeBytes, `${name}: envelope`);
  } catch (err) {
    if (!isReceiptError(err)) throw err;
    return err.message;
  }
  try {
    verifyEnvelope(env, trusted, name);
    return undefined;
  } catch (err) {
    if (!isReceiptError(err)) throw err;
    return unsignedProblem(name, trusted);
  }
}

/** A newer version of an entry that is an entry for the same seq: a lost append race if its envelope comes again. */
export interface RaceClaim {
  readonly seq: number;
  readonly name: string;
  readonly versionId: string;
  /** The envelope digest the newer version holds. */
  readonly digest: string;
  /** The envelope the newer version holds (a leftover to re-run only when a trusted key signed it). */
  readonly envelopeBytes: Buffer;
  /**
   * True when the newer version chains onto the entry before it (its `prev` is the hash the
   * reader expected): an append that lost the race and was interrupted before re-appending.
   */
  readonly chained?: boolean;
}

/**
 * Delete markers and newer versions of an entry (S3): the problems they are now, and the race
 * claims to settle. `prev`: the hash the entry before it has (undefined: not known, after a gap).
 */
export function versionProblems(
  item: EntryItem,
  prev?: string,
): { problems: string[]; claims: RaceClaim[]; junk: string[] } {
  const problems: string[] = [];
  const claims: RaceClaim[] = [];
  const junk: string[] = [];
  if (item.deleteMarkers > 0) {
    problems.push(
      `${item.name}: ${item.deleteMarkers} delete marker(s) on the entry (attempted delete; the oldest version still counts)`,
    );
  }
  for (const v of item.extraVersions) {
    if (v.older) {
      junk.push(
        `${item.name}: older version ${v.versionId} does not chain onto entry ${item.seq - 1} (planted before the log reached seq ${item.seq}); not the entry, never read`,
      );
      continue;
    }
    let x: LedgerEntry | undefined;
    try {
      x = decodeEntry(v.bytes, `${item.name} version ${v.versionId}`);
    } catch {
      x = undefined;
    }
    if (x === undefined || x.seq !== item.seq)
      junk.push(
        `${item.name}: newer version ${v.versionId} is not an entry for seq ${item.seq} (attempted overwrite; never read: the oldest version is the entry)`,
      );
    else
      claims.push({
        seq: item.seq,
        name: item.name,
        versionId: v.versionId,
        digest: x.digest,
        envelopeBytes: x.envelopeBytes,
        chained: prev !== undefined && x.prev === prev,
      });
  }
  return { problems, claims, junk };
}

/**
 * "A newer version of an entry is a lost append race, not an overwrite" — the rule, once: a
 * claim is settled by a later entry holding the same envelope (the loser appended it again).
 * An unsettled claim that chains onto the entry before it, holding an envelope a trusted key
 * signed, is what an append interrupted after losing the race leaves (an outage between its PUT
 * and its retry): a note naming the envelope to append again (never evidence: readers take the
 * oldest version). Any other — also one that chains but holds an envelope no trusted key signed
 * (anyone with PutObject can chain one; telling the user to append it would be the attacker's
 * advice) — is an attempted overwrite: junk.
 */
export class LostRaces {
  private readonly byDigest = new Map<string, { claim: RaceClaim; by?: number }[]>();
  private readonly all: { claim: RaceClaim; by?: number }[] = [];

  claim(c: RaceClaim): void {
    const p = { claim: c };
    this.all.push(p);
    this.byDigest.set(c.digest, [...(this.byDigest.get(c.digest) ?? []), p]);
  }

  /** Entry `seq` holds the envelope with `digest`. */
  see(seq: number, digest: string): void {
    for (const p of this.byDigest.get(digest) ?? []) if (p.by === undefined && p.claim.seq < seq) p.by = seq;
  }

  /**
   * Once every later entry was seen: the unsettled claims are leftovers of interrupted appends
   * (notes) or attempted overwrites (junk: never read). `trust`: the envelopes the reader trusts
   * (undefined: none can be judged, so no claim is a leftover). `problems` stays empty (kept
   * for callers).
   */
  settle(trust: EnvelopeTrust | undefined): { problems: string[]; notes: string[]; junk: string[] } {
    const problems: string[] = [];
    const notes: string[] = [];
    const junk: string[] = [];
    for (const { claim: c, by } of this.all) {
      const untrusted = by === undefined && c.chained === true ? leftoverDistrust(c, trust) : undefined;
      if (by === undefined && c.chained === true && untrusted === undefined) {
        notes.push(
          `${c.name}: newer version ${c.versionId} is the leftover of an interrupted append (it lost the race for seq ${c.seq} and was not appended again): re-run the same "kfm audit append" of the envelope ${c.digest} (appends are idempotent); never evidence`,
        );
      } else if (untrusted !== undefined) {
        junk.push(
          `${c.name}: newer version ${c.versionId} chains onto entry ${c.seq - 1} but is no append to re-run (attempted overwrite; never read: the oldest version is the entry): ${untrusted}`,
        );
      } else if (by === undefined) {
        junk.push(
          `${c.name}: newer version ${c.versionId} is not a lost append race (its envelope is not in the log later, and it does not chain onto the entry before it: attempted overwrite; never read: the oldest version is the entry)`,
        );
      } else
        notes.push(`${c.name}: newer version ${c.versionId} is a lost append race (appended again as entry ${by})`);
    }
    return { problems, notes, junk };
  }
}

/** Why a chained claim's envelope is not one the reader trusts (undefined: a trusted key or identity signed it). */
function leftoverDistrust(c: RaceClaim, trust: EnvelopeTrust | undefined): string | undefined {
  const name = `${c.name} version ${c.versionId}`;
  if (trust === undefined || trust.keys.length === 0)
    return `${name}: its envelope's signature was not checked (no trusted key given)`;
  return signatureProblem(c, name, trust.keys, trust.identities);
}

/** For the readers that stop at the first problem: LOG_INTEGRITY with it. */
export function integrityError(problem: string): ReceiptError {
  return new ReceiptError('LOG_INTEGRITY', problem);
}
