/**
 * C2SP tlog-proof (c2sp.org/tlog-proof@v1): one text file that proves, offline, that an entry is
 * in the log: its index, its inclusion path, and the (cosigned) checkpoint the path leads to.
 * No copy of the spec text was available when this was written; the layout follows the issue's
 * description and the signed-note conventions of ./checkpoint.ts, and is documented in
 * docs/audit-ledger.md ("C2SP tlog-proof"):
 *
 *   c2sp.org/tlog-proof@v1\n
 *   extra <base64 of the entry bytes: the leaf, with the envelope digest inside>\n
 *   index <leaf index, decimal, 0-based>\n
 *   <base64 of one 32-byte inclusion-path hash>\n     (zero or more, leaf to root, RFC 6962)
 *   \n
 *   <the checkpoint: a C2SP signed note, with its signature and any cosignature lines>
 *
 * The leaf hash is RFC 6962's SHA-256(0x00 ‖ entry bytes); the tree size and root are the
 * checkpoint's. Reading it gives what `checkInclusionProof` checks for the JSON format.
 */
import { ReceiptError } from '../core/errors';
import { InclusionProofJson, INCLUSION_PROOF_FORMAT } from './inclusion-proof';
import { parseCheckpoint, SignedCheckpoint } from './checkpoint';

export const TLOG_PROOF_HEADER = 'c2sp.org/tlog-proof@v1';

/** The tlog-proof text of a proof made against a checkpoint (whose note text is embedded as given). */
export function formatTlogProof(proof: InclusionProofJson, checkpointText: string): string {
  const lines = [TLOG_PROOF_HEADER, `extra ${proof.entry}`, `index ${proof.leafIndex}`, ...proof.hashes];
  return `${lines.join('\n')}\n\n${checkpointText}`;
}

/** True when `text` starts as a tlog-proof (the format to read is chosen by its first line). */
export function isTlogProof(text: string): boolean {
  return text.startsWith(`${TLOG_PROOF_HEADER}\n`);
}

/**
 * Parse a tlog-proof strictly: the proof in kfm's JSON shape (for `checkInclusionProof`) and the
 * embedded checkpoint (still to be verified). INPUT_INVALID naming `source` and the line.
 */
export function parseTlogProof(
  text: string,
  source: string,
): { proof: InclusionProofJson; checkpoint: SignedCheckpoint } {
  const bad = (what: string): never => {
    throw new ReceiptError('INPUT_INVALID', `${source}: not a ${TLOG_PROOF_HEADER} proof: ${what}`);
  };
  const sep = text.indexOf('\n\n');
  if (!isTlogProof(text) || sep < 0)
    return bad(`first line must be "${TLOG_PROOF_HEADER}", then a blank line before the checkpoint`);
  const lines = text.slice(0, sep).split('\n').slice(1);
  const extra = lines[0]?.startsWith('extra ') ? lines.shift()!.slice('extra '.length) : undefined;
  if (extra === undefined || Buffer.from(extra, 'base64').toString('base64') !== extra || extra === '') {
    return bad('line 2 must be "extra <base64 of the ledger entry>" (kfm proofs carry the leaf)');
  }
  const m = /^index (0|[1-9][0-9]{0,15})$/.exec(lines.shift() ?? '');
  if (!m || !Number.isSafeInteger(Number(m[1]))) return bad('line 3 must be "index <decimal>"');
  lines.forEach((h, i) => {
    if (Buffer.from(h, 'base64').length !== 32 || Buffer.from(h, 'base64').toString('base64') !== h)
      bad(`path line ${i + 1} is not base64 of a 32-byte hash`);
  });
  const checkpoint = parseCheckpoint(text.slice(sep + 2), `${source} (checkpoint)`);
  const leafIndex = Number(m[1]);
  if (leafIndex >= checkpoint.size)
    return bad(`index ${leafIndex} is not below the checkpoint's tree size ${checkpoint.size}`);
  return {
    proof: {
      v: INCLUSION_PROOF_FORMAT,
      origin: checkpoint.origin,
      seq: leafIndex + 1,
      leafIndex,
      treeSize: checkpoint.size,
      entry: extra,
      envelopeDigest: '',
      leafHash: '',
      hashes: lines,
      root: checkpoint.root.toString('base64'),
    },
    checkpoint,
  };
}
