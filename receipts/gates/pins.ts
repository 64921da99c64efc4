import { Env } from '../commands/args';

/**
 * The policy bundle digest pinned for a tier (seed 000 "Policy parity": pin policy bundle versions
 * per env, block mismatches). Read from the policy pack's committed pins; undefined when unpinned,
 * which the gates treat as a failure.
 */
export function pinnedBundleDigest(env: Env): string | undefined {
  // Loaded lazily so `kfm gate` does not pay for the policy pack unless it judges a plan.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const pins = require('../policy/pins') as { pinnedDigest(env: Env): string | undefined };
  return pins.pinnedDigest(env);
}
