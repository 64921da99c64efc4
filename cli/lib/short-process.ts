import { setFlagsFromString } from 'node:v8';

/**
 * A kfm command is one short process. With V8's default tier-up budget (132 KiB of bytecode
 * between checks) a policy check of 10,000 resources compiled about 120 functions with TurboFan,
 * and the compiling (on the second of two cores, beside the garbage collector) cost more CPU than
 * the optimized code saved before the process ended; `receipt plan` likewise (docs/policy.md and
 * terraform/README.md, issue 29). Eight times the budget still optimizes the loops that run long
 * (the walks over every resource or entry) and leaves the rest in the interpreter and the baseline
 * compiler. It changes when code is optimized, never what it computes. Set for the kfm process
 * only: `main()` called in another process (a test) leaves that process's V8 as it is.
 */
export const TIER_UP_BUDGET = `--interrupt-budget=${8 * 132 * 1024}`;

/** Set V8 for one short process (`TIER_UP_BUDGET`): kfm's process entry calls it first. */
export function tuneForOneShortProcess(): void {
  setFlagsFromString(TIER_UP_BUDGET);
}
