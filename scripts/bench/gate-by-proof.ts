/**
 * The gate's ledger read by proof, through the library (used by ledger-scale.ts while
 * `kfm gate promote --checkpoint` is not wired): `tsx gate-by-proof.ts STORE PUB CHECKPOINT COMMIT`.
 * Reads the commit's entries through the index (each proven against the checkpoint), then every
 * entry after it, classifies them as the gate does and prints the count.
 */
import { readFileSync } from 'node:fs';
import { parseTrustedKey } from '../../attest/sign/ed25519';
import { classifyEntries } from '../../gates/evidence';
import { parseCheckpoint, verifyCheckpoint, DEFAULT_ORIGIN } from '../../ledger/checkpoint';
import { readByProof } from '../../ledger/log-index-read';
import { openStore } from '../../ledger/open-store';

async function main(): Promise<void> {
  const [spec, pubFile, cpFile, commit] = process.argv.slice(2);
  const trusted = [parseTrustedKey(readFileSync(pubFile), pubFile)];
  const cp = parseCheckpoint(readFileSync(cpFile, 'utf8'), cpFile);
  verifyCheckpoint(cp, trusted, DEFAULT_ORIGIN, cpFile);
  const store = openStore(spec, { env: process.env });
  const read = await readByProof(store, cp, trusted, commit);
  if (read === undefined) throw new Error('no index for the checkpoint');
  const { evidence, rejected } = classifyEntries(read.entries, trusted);
  console.log(
    JSON.stringify({
      size: read.size,
      read: read.entries.length,
      evidence: evidence.length,
      rejected: rejected.length,
    }),
  );
}

main().catch((e) => {
  console.error((e as Error).message);
  process.exit(1);
});
