import type { SignedBy } from '../../attest/sigstore/trusted-signer';
import { mdCode, mdEscape } from './escape';

/** A keyless record's signer, as the renderers show it (keyed records show their key id only). */
export type KeylessSigner = Extract<SignedBy, { kind: 'identity' }>;

/** The keyless signer as JSON: who (issuer, SAN, workflow, ref) and as what the policy trusts it. */
export function signerJson(s: KeylessSigner): Record<string, unknown> {
  return {
    identity: s.identity,
    trusted_as: s.trusted.map((t) => ({
      role: t.role,
      ...(t.principal !== undefined ? { principal: t.principal } : {}),
      source: t.source,
    })),
  };
}

/** The receipt and signer lines of a keyless record (markdown, every value escaped). */
export function signerLines(digest: string, kind: unknown, s: KeylessSigner): string[] {
  const id = s.identity;
  const lines = [
    `- Receipt: ${mdCode(digest)} (${mdEscape(String(kind))}, keyless: Sigstore certificate verified under the trusted root)`,
    `- Signer: ${mdCode(id.subject)} (issuer ${mdCode(id.issuer)})`,
  ];
  if (id.workflow !== undefined || id.ref !== undefined) {
    const wf = id.workflow !== undefined ? mdCode(id.workflow) : '_unknown_';
    lines.push(`- Workflow: ${wf}${id.ref !== undefined ? ` on ${mdCode(id.ref)}` : ''}`);
  }
  const as = s.trusted.map(
    (t) =>
      `role ${mdCode(t.role)}${t.principal !== undefined ? ` as ${mdCode(t.principal)}` : ''} (${mdCode(t.source)})`,
  );
  lines.push(`- Trusted for this record: yes, ${as.join('; ')}`);
  return lines;
}
