/**
 * policy-manifest.ts — regenerate policy/bundle-manifest.json (sha256 of every policy
 * source file, so the bundle digest is the same from ts and compiled js) and, with --pin, pin the
 * resulting bundle digest for every env in policy/config/pins.json.
 *
 *   npx tsx scripts/policy-manifest.ts           # rewrite the manifest
 *   npx tsx scripts/policy-manifest.ts --pin     # rewrite the manifest and re-pin dev, stage, prod
 *   npx tsx scripts/policy-manifest.ts --check   # exit 1 if the manifest or pins are stale
 *
 * Deterministic: the same sources give the same bytes. Changing a rule therefore needs an explicit
 * re-pin in the same PR (a test fails otherwise).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { sha256Tagged } from '../core/digest';
import { bundleOf, committedSuppressionFile } from '../policy/bundle';
import { KFM_PACK } from '../policy/pack';

export const REPO_ROOT = join(__dirname, '..');
const POLICY_DIR = join(REPO_ROOT, 'policy');
/** Not covered: the manifest itself, the pins (they hold the digest) and the suppressions (hashed by content). */
const EXCLUDED = ['bundle-manifest.json', 'config/pins.json', 'config/suppressions.json'];

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? listFiles(join(dir, e.name)) : /\.(ts|json)$/.test(e.name) ? [join(dir, e.name)] : [],
  );
}

/**
 * `{files: {<path inside policy/>: sha256:<hex>}}` over policy/**.{ts,json}. Keys are relative to
 * the policy folder (rules as `rules/<rule-id>.ts`), so moving the folder does not change the
 * bundle's identity; only rule ids and content do.
 */
export function computeManifest(): { files: Record<string, string> } {
  const files: Record<string, string> = {};
  for (const abs of listFiles(POLICY_DIR).sort()) {
    const rel = relative(POLICY_DIR, abs).split(sep).join('/');
    if (EXCLUDED.includes(rel)) continue;
    files[rel] = sha256Tagged(readFileSync(abs));
  }
  return { files };
}

export function manifestText(): string {
  return JSON.stringify(computeManifest(), null, 2) + '\n';
}

export function pinsText(): string {
  const digest = bundleOf(KFM_PACK, committedSuppressionFile(), computeManifest().files).digest;
  return JSON.stringify({ dev: digest, stage: digest, prod: digest }, null, 2) + '\n';
}

if (require.main === module) {
  const arg = process.argv[2];
  const manifestPath = join(POLICY_DIR, 'bundle-manifest.json');
  const pinsPath = join(POLICY_DIR, 'config', 'pins.json');
  if (arg === '--help') {
    process.stdout.write(readFileSync(__filename, 'utf8').split('*/')[0] + '*/\n');
  } else if (arg === '--check') {
    const staleManifest = readFileSync(manifestPath, 'utf8') !== manifestText();
    const stalePins = readFileSync(pinsPath, 'utf8') !== pinsText();
    if (staleManifest)
      process.stderr.write(
        'policy-manifest: policy/bundle-manifest.json is stale; run npx tsx scripts/policy-manifest.ts\n',
      );
    if (stalePins)
      process.stderr.write(
        'policy-manifest: policy/config/pins.json differs from the current bundle; re-pin with --pin\n',
      );
    process.exitCode = staleManifest || stalePins ? 1 : 0;
  } else if (arg === undefined || arg === '--pin') {
    writeFileSync(manifestPath, manifestText());
    if (arg === '--pin') writeFileSync(pinsPath, pinsText());
    process.stderr.write(`policy-manifest: wrote ${relative(REPO_ROOT, manifestPath)}${arg ? ' and pins' : ''}\n`);
  } else {
    process.stderr.write(`policy-manifest: unknown argument ${arg}; use --pin, --check or --help\n`);
    process.exitCode = 2;
  }
}
