/** The Sigstore project's own verifier, as a third party runs it on a kfm keyed bundle. */
import { createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { PublicKeyDetails, TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, Verifier } from '@sigstore/verify';

/** An empty trusted root: no CA, no log, no TSA (a keyed, offline verification trusts only the key). */
export const EMPTY_ROOT = {
  mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
  tlogs: [],
  certificateAuthorities: [],
  ctlogs: [],
  timestampAuthorities: [],
};

/** @sigstore/verify on a keyed bundle file under one public key (PEM), offline, thresholds 0. Throws on failure. */
export function sigstoreVerifyKeyed(bundlePath: string, pubPem: string): void {
  const bundle = bundleFromJSON(JSON.parse(readFileSync(bundlePath, 'utf8')));
  const m = bundle.verificationMaterial.content;
  const hint = m.$case === 'publicKey' ? m.publicKey.hint : '';
  const key = createPublicKey(pubPem);
  const keyDetails =
    key.asymmetricKeyType === 'ed25519' ? PublicKeyDetails.PKIX_ED25519 : PublicKeyDetails.PKIX_ECDSA_P256_SHA_256;
  const trust = toTrustMaterial(TrustedRoot.fromJSON(EMPTY_ROOT), {
    [hint]: { rawBytes: key.export({ format: 'der', type: 'spki' }), keyDetails },
  });
  new Verifier(trust, { tlogThreshold: 0, ctlogThreshold: 0, timestampThreshold: 0 }).verify(toSignedEntity(bundle));
}
