import { DEFAULT_ORIGIN } from '../ledger/checkpoint';
import { openStore, OpenStoreOptions } from '../ledger/open-store';
import { verifyLog } from '../ledger/verify';
import { TrustedKey } from '../attest/sign/ed25519';
import { LedgerEntry } from './evidence';
import { GateItem } from './promote';

/**
 * Read the whole audit ledger for a gate: the entries, and whether the log itself verifies
 * (chain, sequence, signatures under the trusted keys). A ledger that does not verify is a
 * failing gate item, never a pass; its entries are still returned so every other missing piece
 * is reported too.
 */
export async function readLedger(
  spec: string,
  opts: OpenStoreOptions,
  trusted: readonly TrustedKey[],
): Promise<{ entries: LedgerEntry[]; integrity: GateItem }> {
  const store = openStore(spec, opts);
  // One pass: the entries are collected as verify reads them (up to the first defect; the
  // integrity item already fails the gate then, and every other missing piece is still reported).
  const entries: LedgerEntry[] = [];
  const report = await verifyLog(store, {
    trusted,
    origin: DEFAULT_ORIGIN,
    onEntry: (e) => entries.push({ seq: e.seq, envelopeBytes: e.envelopeBytes }),
  });
  const integrity: GateItem = report.ok
    ? { requirement: 'audit ledger', ok: true, detail: `${spec}: ${report.size} entries verify (root ${report.root})` }
    : {
        requirement: 'audit ledger',
        ok: false,
        detail: `${spec} does not verify (${report.problemCount} problem(s)); first: ${report.problems[0] ?? 'unknown'}`,
      };
  return { entries, integrity };
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
