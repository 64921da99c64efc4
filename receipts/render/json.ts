import { VerifiedStatement } from '../../attest/statement';
import { DEFAULT_MAX_CHARS } from './markdown';
import { KeylessSigner, signerJson } from './signer';

const LIST_FIELDS = ['changes', 'drift', 'output_changes'] as const;

/**
 * The verified statement as JSON for machines, within `maxChars`: when too long, the change
 * lists are cut (largest first) and `truncated` says how many entries are not shown and names
 * the full signed artifact. A keyless record (`signer`) also has `identity` (issuer, subject,
 * workflow, ref) and `trusted_as` (the identity policy entries that trust it for this record).
 */
export function renderJson(
  v: VerifiedStatement,
  artifact: string,
  maxChars: number = DEFAULT_MAX_CHARS,
  signer?: KeylessSigner,
): string {
  const base = {
    verified: true,
    digest: v.envelopeDigest,
    keyid: v.key.keyid,
    ...(signer ? signerJson(signer) : {}),
    predicateType: v.predicateType,
    subject: v.statement.subject,
  };
  let predicate: Record<string, unknown> = v.predicate;
  let text = JSON.stringify({ ...base, predicate }, null, 2) + '\n';
  if (text.length <= maxChars) return text;
  const full: Record<string, unknown[]> = {};
  for (const f of LIST_FIELDS) if (Array.isArray(v.predicate[f])) full[f] = v.predicate[f] as unknown[];
  let keep = Math.max(...Object.values(full).map((a) => a.length), 0);
  for (;;) {
    keep = Math.floor(keep / 2);
    predicate = { ...v.predicate };
    let notShown = 0;
    for (const [f, arr] of Object.entries(full)) {
      predicate[f] = arr.slice(0, keep);
      notShown += Math.max(0, arr.length - keep);
    }
    text =
      JSON.stringify(
        { ...base, truncated: { not_shown: notShown, full_artifact: artifact, digest: v.envelopeDigest }, predicate },
        null,
        2,
      ) + '\n';
    if (text.length <= maxChars) return text;
    if (keep === 0) {
      // Even without lists it does not fit: give the essentials only.
      return (
        JSON.stringify({
          ...base,
          truncated: { not_shown: notShown, full_artifact: artifact, digest: v.envelopeDigest },
        }) + '\n'
      );
    }
  }
}
