import { printable } from '../core/printable';
import { DEFAULT_ORIGIN } from '../ledger/checkpoint';
import { Witness } from '../ledger/cosignature';
import { openStore, OpenStoreOptions } from '../ledger/open-store';
import { CheckpointInput, CheckpointResult, verifyLog, VerifyReport } from '../ledger/verify';
import { TrustedKey } from '../attest/sign/ed25519';
import type { IdentityTrust } from '../attest/sigstore/trusted-signer';
import { GateRead, readForGate, verifyKeys } from '../ledger/gate-read';
import { checkpointPathParts, CHECKPOINTS_DIR } from '../ledger/layout';
import { AuditStore } from '../ledger/store';
import { checkFreshness } from './fresh-witnesses';
import { LedgerEntry } from './evidence';
import { GateItem } from './promote';

/**
 * What the gate trusts a checkpoint on: the `--checkpoint` files it was given (kept where the
 * appender cannot write), and, with witnesses, their cosignatures. Witnessed checkpoints slot in
 * here: `anchorOf` is the one place that decides whether a read is anchored.
 */
export interface AnchorOptions {
  readonly checkpoints: readonly CheckpointInput[];
  readonly witnesses?: readonly Witness[];
  readonly quorum?: number;
  /**
   * The keys that sign the log's checkpoints and indexes (the gate's `--pub` keys, not approvers'):
   * only they anchor a read by proof.
   * @default every trusted key
   */
  readonly signers?: readonly TrustedKey[];
  /**
   * Where to ask each witness the size it holds (gates/fresh-witnesses.ts); a witness without a
   * URL cannot be asked.
   * @default none: no witness can be asked, so a witnessed read blocks unless acceptStoreView
   */
  readonly urls?: ReadonlyMap<string, string>;
  /** Judge the store's view when too few witnesses answer. @default false */
  readonly acceptStoreView?: boolean;
  /** @default 10 000 */
  readonly witnessTimeoutMs?: number;
}

/** The ledger as judged: recorded in the promotion manifest. */
export interface LedgerJudged {
  readonly store: string;
  readonly size: number;
  /** base64 RFC 6962 root over entries 1..size. */
  readonly root: string;
  /** Whether some trusted checkpoint held by the caller covers this read (see anchorOf). */
  readonly anchored: boolean;
  readonly checkpoints: readonly {
    source: string;
    size: number | null;
    witnessed?: boolean;
    cosigners?: readonly string[];
  }[];
  /** With --quorum: the newest witnessed checkpoint, whose entries (1..size) are all that is judged. */
  readonly witnessed?: {
    readonly source: string;
    readonly size: number;
    readonly quorum: number;
    readonly cosigners: readonly string[];
  };
}

/**
 * A read is anchored when at least one checkpoint the caller gave (not one found in the store,
 * which the appender could delete) verified and the log is consistent with it. With a quorum,
 * the checkpoint must be witnessed, and then one found in the store anchors too: its
 * cosignatures, not where it was kept, are what make it trustworthy. Problems with any
 * checkpoint already fail verify.
 */
export function anchorOf(report: VerifyReport, given: readonly CheckpointInput[], quorum = 0): boolean {
  const sources = new Set(given.map((c) => c.source));
  const ok = (c: CheckpointResult) => c.ok && (quorum === 0 ? sources.has(c.source) : c.witnessed === true);
  return report.ok && report.checkpoints.some(ok);
}

/** The largest witnessed checkpoint within the log verified, or undefined. */
function newestWitnessed(report: VerifyReport): CheckpointResult | undefined {
  return report.checkpoints
    .filter((c) => c.ok && c.witnessed === true && c.size !== null && c.size <= report.size)
    .reduce<CheckpointResult | undefined>((a, c) => (a === undefined || c.size! > a.size! ? c : a), undefined);
}

/**
 * Read the audit ledger for a gate: the entries, and whether the log itself verifies. With a
 * commit and a trusted anchor (a `--checkpoint`, or witnesses with a quorum) the read is by proof
 * (ledger/gate-read.ts: the commit's entries proven against the anchor, and the entries after
 * it), falling back to the whole log on any defect of the index. Otherwise the whole log is
 * verified (chain, sequence, signatures under the trusted keys, consistency with every
 * checkpoint given and stored). A ledger that does not verify is a failing gate item, never a
 * pass; its entries are still returned so every other missing piece is reported too.
 */
export async function readLedger(
  spec: string,
  opts: OpenStoreOptions,
  trusted: readonly TrustedKey[],
  anchor: AnchorOptions = { checkpoints: [] },
  commit?: string,
  identities?: IdentityTrust,
): Promise<LedgerRead> {
  const store = openStore(spec, opts);
  const read = await readOnce(store, spec, trusted, anchor, commit, identities);
  return (anchor.quorum ?? 0) > 0 ? askWitnesses(store, read, anchor) : read;
}

/** What a gate read: the entries judged, the ledger item, what was judged and how. */
export interface LedgerRead {
  readonly entries: LedgerEntry[];
  readonly integrity: GateItem;
  readonly judged: LedgerJudged;
  readonly via: 'proof' | 'full';
  /** The signed note of the checkpoint judged by proof. */
  readonly note?: string;
  /** Too few witnesses answered and the store's view was accepted (--accept-store-view). */
  readonly storeViewAccepted?: boolean;
  /**
   * With a quorum: verified entries after the witnessed tree judged. Never evidence for a
   * decision; they can deny (gates/unwitnessed.ts).
   */
  readonly unwitnessed?: LedgerEntry[];
}

async function readOnce(
  store: AuditStore,
  spec: string,
  trusted: readonly TrustedKey[],
  anchor: AnchorOptions,
  commit?: string,
  identities?: IdentityTrust,
): Promise<LedgerRead> {
  const quorum = anchor.quorum ?? 0;
  if (commit !== undefined && commit !== '' && (anchor.checkpoints.length > 0 || quorum > 0)) {
    const r = await readForGate(store, commit, {
      trusted,
      origin: DEFAULT_ORIGIN,
      checkpoints: anchor.checkpoints,
      witnesses: anchor.witnesses,
      quorum,
      checkpointSigners: anchor.signers,
      identities,
    });
    if (r.via === 'proof') return { ...byProof(spec, r, quorum), note: r.proof!.anchor.note, ...tailOf(r.unwitnessed) };
    return judgeFullRead(spec, r.report!, r.entries, anchor, r.problems[0]);
  }
  // One pass: the entries are collected as verify reads them (up to the first defect; the
  // integrity item already fails the gate then, and every other missing piece is still reported).
  // They are exactly the entries verified: what is appended later is not judged.
  const entries: LedgerEntry[] = [];
  const report = await verifyLog(store, {
    ...verifyKeys(trusted, anchor.signers),
    identities,
    origin: DEFAULT_ORIGIN,
    onEntry: (e) => entries.push({ seq: e.seq, envelopeBytes: e.envelopeBytes }),
    checkpoints: anchor.checkpoints,
    witnesses: anchor.witnesses,
    quorum: anchor.quorum,
  });
  return judgeFullRead(spec, report, entries, anchor);
}

/** The unwitnessed entries as the gate keeps them (only when there are some). */
function tailOf(entries: readonly { seq: number; envelopeBytes: Buffer }[] | undefined): {
  unwitnessed?: LedgerEntry[];
} {
  if (entries === undefined || entries.length === 0) return {};
  return { unwitnessed: entries.map((e) => ({ seq: e.seq, envelopeBytes: e.envelopeBytes })) };
}

/** The signed note of the witnessed checkpoint judged: given by the caller, or read from the store. */
async function witnessedNote(store: AuditStore, read: LedgerRead, anchor: AnchorOptions): Promise<string | undefined> {
  if (read.note !== undefined) return read.note;
  const source = read.judged.witnessed?.source;
  if (source === undefined) return undefined;
  const given = anchor.checkpoints.find((c) => c.source === source);
  if (given) return given.text;
  const parts = checkpointPathParts(source);
  const bytes = parts && (await store.getDerived(`${CHECKPOINTS_DIR}/${parts.file}`));
  return bytes?.toString('utf8');
}

/**
 * Ask the witnesses whether the tree judged is the newest a quorum of them cosigned
 * (gates/fresh-witnesses.ts); their answer joins the ledger item.
 */
async function askWitnesses(store: AuditStore, read: LedgerRead, anchor: AnchorOptions): Promise<LedgerRead> {
  if (!read.integrity.ok || read.judged.witnessed === undefined) return read;
  const fresh = await checkFreshness(await witnessedNote(store, read, anchor), read.judged.size, {
    witnesses: (anchor.witnesses ?? []).map((w) => ({ witness: w, url: anchor.urls?.get(w.name) })),
    quorum: anchor.quorum ?? 0,
    acceptStoreView: anchor.acceptStoreView,
    timeoutMs: anchor.witnessTimeoutMs,
    logSize: read.unwitnessed?.at(-1)?.seq ?? read.judged.size,
  });
  const integrity: GateItem = fresh.ok
    ? { ...read.integrity, detail: `${read.integrity.detail}; witnesses ${fresh.detail}` }
    : { requirement: read.integrity.requirement, ok: false, detail: `${read.judged.store}: ${fresh.detail}` };
  return { ...read, integrity, ...(fresh.accepted ? { storeViewAccepted: true } : {}) };
}

/**
 * What the read passed over as junk (never evidence: objects planted ahead of the log, versions
 * that are not the entry, envelopes no trusted key signed), summarised: a count and the first.
 */
function junkClause(count: number, first: string | undefined): string {
  if (count === 0) return '';
  // `first` names an object an appender may have named: printable, never a line of its own.
  return `; ignored ${count} object(s) that are not evidence (kfm audit verify lists them; first: ${first === undefined ? 'see verify' : printable(first)})`;
}

/** The gate's view of a read by proof: anchored by construction. */
function byProof(
  spec: string,
  r: GateRead,
  quorum: number,
): { entries: LedgerEntry[]; integrity: GateItem; judged: LedgerJudged; via: 'proof' } {
  const p = r.proof!;
  const used = [...p.checkpoints, p.anchor];
  const judged: LedgerJudged = {
    store: spec,
    size: r.size,
    root: r.root,
    anchored: true,
    checkpoints: used
      .filter((c) => c.given || c === p.anchor)
      .map((c) => ({
        source: c.source,
        size: c.size,
        ...(c.witnessed !== undefined ? { witnessed: c.witnessed, cosigners: c.cosigners ?? [] } : {}),
      })),
    ...(quorum > 0
      ? { witnessed: { source: p.anchor.source, size: r.size, quorum, cosigners: p.anchor.cosigners ?? [] } }
      : {}),
  };
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const detail =
    `${spec}: read by proof against ${p.anchor.source} (tree size ${p.anchor.size}): ` +
    `${plural(p.proven - p.bound, 'entry', 'entries')} of the commit` +
    (p.bound > 0 ? ` and ${plural(p.bound, 'record', 'records')} bound to them` : '') +
    ` proven by inclusion through ${p.index}` +
    (quorum > 0
      ? `; witnessed: entries 1 to ${r.size} judged, cosigned by ${(p.anchor.cosigners ?? []).join(', ')} (quorum ${quorum}); entries after them are not yet witnessed, not judged`
      : `, ${plural(p.after, 'entry', 'entries')} after it chained and signed (root ${r.root})`) +
    (p.checkpoints.length > 0
      ? `; consistent with ${plural(p.checkpoints.length, 'more trusted checkpoint', 'more trusted checkpoints')}`
      : '') +
    junkClause(r.junk?.length ?? 0, r.junk?.[0]);
  return {
    entries: r.entries.map((e) => ({ seq: e.seq, envelopeBytes: e.envelopeBytes })),
    integrity: { requirement: 'audit ledger', ok: true, detail },
    judged,
    via: 'proof',
  };
}

/** The gate's view of a whole-log verify (`fellBack`: why a read by proof was not used). */
function judgeFullRead(
  spec: string,
  report: VerifyReport,
  all: readonly LedgerEntry[],
  anchor: AnchorOptions,
  fellBack?: string,
): { entries: LedgerEntry[]; integrity: GateItem; judged: LedgerJudged; via: 'full'; unwitnessed?: LedgerEntry[] } {
  const entries = all.map((e) => ({ seq: e.seq, envelopeBytes: e.envelopeBytes }));
  const quorum = anchor.quorum ?? 0;
  const anchored = anchorOf(report, anchor.checkpoints, quorum);
  const given = new Set(anchor.checkpoints.map((c) => c.source));
  // With witnesses, only what a quorum of them cosigned is judged: entries after the newest
  // witnessed checkpoint are not evidence yet (cosign after each append: scripts/cosign.sh).
  const witnessed = quorum > 0 ? newestWitnessed(report) : undefined;
  const size = quorum > 0 ? (witnessed?.size ?? 0) : report.size;
  const cut = entries.findIndex((e) => e.seq > size);
  const tail = cut >= 0 ? entries.splice(cut) : [];
  const judged: LedgerJudged = {
    store: spec,
    size,
    root: witnessed?.root ?? report.root,
    anchored,
    checkpoints: report.checkpoints
      .filter((c) => given.has(c.source) || c === witnessed)
      .map((c) => ({
        source: c.source,
        size: c.size,
        ...(c.witnessed !== undefined ? { witnessed: c.witnessed, cosigners: c.cosigners ?? [] } : {}),
      })),
    ...(witnessed
      ? { witnessed: { source: witnessed.source, size, quorum, cosigners: witnessed.cosigners ?? [] } }
      : {}),
  };
  const anchorText = witnessed
    ? `, witnessed: entries 1 to ${size} judged, cosigned by ${(witnessed.cosigners ?? []).join(', ')} (quorum ${quorum})${
        report.size > size
          ? `; ${report.size - size} newer entr${report.size - size === 1 ? 'y' : 'ies'} not yet witnessed, not judged`
          : ''
      }`
    : anchored
      ? `, consistent with ${judged.checkpoints.length} trusted checkpoint(s)`
      : ' (unanchored: no trusted --checkpoint)';
  const why = fellBack === undefined ? '' : ` (${fellBack})`;
  // A stored note whose name names another size than it holds is junk to verify (listed, never
  // used): the anchor is the largest verified note, and the witnesses are asked.
  const integrity: GateItem = report.ok
    ? {
        requirement: 'audit ledger',
        ok: true,
        detail: `${spec}: ${report.size} entries verify (root ${report.root})${anchorText}${junkClause(report.junkCount, report.junk[0])}${why}`,
      }
    : {
        requirement: 'audit ledger',
        ok: false,
        detail: `${spec} does not verify (${report.problemCount} problem(s)); first: ${report.problems[0] ?? 'unknown'}${why}`,
      };
  return { entries, integrity, judged, via: 'full', ...(report.ok ? tailOf(tail) : {}) };
}

/** Append one envelope to the ledger; returns its sequence number and digest. */
export async function appendToLedger(
  spec: string,
  opts: OpenStoreOptions,
  envelope: Buffer,
): Promise<{ seq: number; digest: string }> {
  const r = await openStore(spec, opts).append(envelope);
  return { seq: r.seq, digest: r.digest };
}
