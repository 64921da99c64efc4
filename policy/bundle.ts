import { POLICY_LABELS, ZONES } from '../core/vocabulary';
import { ReceiptError } from '../core/errors';
import { canonicalJson } from '../core/canonical-json';
import { sha256Tagged } from '../core/digest';
import manifest from './bundle-manifest.json';
import committedSuppressions from './config/suppressions.json';
import pins from './config/pins.json';
import { KFM_PACK } from './pack';
import { PolicyEnv, PolicyRule } from './engine/rule';
import { REBUILDABLE_ZONES } from './engine/s3';
import { parseSuppressions, SuppressionFile } from './engine/suppressions';

/** Bumped when the descriptor's shape changes. */
export const BUNDLE_SCHEMA = 'https://kfm.dev/policy-bundle/v1';

const FILES = manifest.files as Record<string, string>;

/**
 * The source digests with policy/config/external-resources.json replaced by a given declarations
 * document (its canonical JSON's digest), so a judgement under other declarations never carries the
 * committed bundle's digest. The committed digests when none is given.
 */
export function filesWithDeclarations(doc: unknown): Readonly<Record<string, string>> {
  if (doc === undefined) return FILES;
  return { ...FILES, 'config/external-resources.json': sha256Tagged(canonicalJson(doc)) };
}

/** The committed suppressions (policy/config/suppressions.json), validated. */
export function committedSuppressionFile(): SuppressionFile {
  return parseSuppressions(
    committedSuppressions,
    'policy/config/suppressions.json',
    KFM_PACK.map((r) => r.id),
  );
}

/**
 * What the bundle digest covers: each rule's metadata and source digest (from the generated
 * bundle-manifest.json, so ts and compiled js agree), the engine's source digests, the
 * configuration (vocabularies, rebuildable zones) and the suppressions in effect.
 */
export function bundleDescriptor(
  rules: readonly PolicyRule[],
  suppressions: SuppressionFile,
  files: Readonly<Record<string, string>> = FILES,
): unknown {
  return {
    schema: BUNDLE_SCHEMA,
    rules: rules.map((r) => {
      const source = files[`rules/${r.id}.ts`];
      if (!source) {
        throw new ReceiptError(
          'INTERNAL',
          `policy/bundle-manifest.json: no digest for rule ${r.id}; run "npx tsx scripts/policy-manifest.ts"`,
        );
      }
      return { id: r.id, severity: r.severity, description: r.description, remediation: r.remediation, source };
    }),
    engine: Object.fromEntries(Object.entries(files).filter(([f]) => !f.startsWith('rules/'))),
    configuration: { policy_label: [...POLICY_LABELS], zone: [...ZONES], rebuildable_zones: [...REBUILDABLE_ZONES] },
    suppressions: suppressions.suppressions,
  };
}

export interface BundleInfo {
  /** `sha256:<hex>` over the canonical JSON of the descriptor. */
  readonly digest: string;
  readonly rules: number;
}

export function bundleOf(
  rules: readonly PolicyRule[],
  suppressions: SuppressionFile,
  files: Readonly<Record<string, string>> = FILES,
): BundleInfo {
  return { digest: sha256Tagged(canonicalJson(bundleDescriptor(rules, suppressions, files))), rules: rules.length };
}

/** The bundle this build would judge with: the KFM pack and the committed suppressions. */
export function currentBundle(): BundleInfo {
  return bundleOf(KFM_PACK, committedSuppressionFile());
}

/** The digest pinned for an environment in policy/config/pins.json (gates compare against it). */
export function pinnedDigest(env: PolicyEnv): string {
  const d = (pins as Record<string, unknown>)[env];
  if (typeof d !== 'string' || !/^sha256:[0-9a-f]{64}$/.test(d)) {
    throw new ReceiptError('INTERNAL', `policy/config/pins.json: ${env} is not a sha256:<hex> digest`);
  }
  return d;
}
