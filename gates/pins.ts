import { Env } from '../core/vocabulary';
import { isReceiptError } from '../core/errors';

/**
 * The policy bundle digest pinned for a tier (seed 000 "Policy parity": pin policy bundle versions
 * per env, block mismatches), from policy/config/pins.json. Undefined when unpinned or
 * malformed, which the gates treat as a failing item.
 */
export function pinnedBundleDigest(env: Env): string | undefined {
  // Loaded lazily so `kfm gate` pays for the policy pack only when it judges a plan receipt.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { pinnedDigest } = require('../policy/bundle') as typeof import('../policy/bundle');
  try {
    // audit and bootstrap are judged with prod's pin: the strictest tier's bundle.
    return pinnedDigest(env === 'audit' || env === 'bootstrap' ? 'prod' : env);
  } catch (e) {
    if (isReceiptError(e)) return undefined;
    throw e;
  }
}
