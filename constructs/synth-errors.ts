/**
 * How the cdktf app fails: one line per violation on stderr, exit code 1, no stack trace. A
 * violation is a construct-time `ValidationError` (vocabulary, tier, Kubernetes baseline: its
 * message names the construct path, what was given and what is allowed) or a policy finding of a
 * stack's validation (policy-aspect.ts: rule, address, construct path, what is wrong, the fix).
 * Anything else is a bug and keeps its stack trace.
 */
import { ValidationError } from '../core/validation-error';

/** cdktf's error for failed stack validations (cdktf/lib/errors.ts `stackValidationFailure`). */
const CDKTF_VALIDATION = /^Validation failed with the following errors:\n/;

/** The one-line violations an error of the synth stands for, or undefined when it is not a violation. */
export function violationLines(e: unknown): string[] | undefined {
  if (e instanceof ValidationError) return [`${e.name}: ${e.message}`];
  if (!(e instanceof Error) || !CDKTF_VALIDATION.test(e.message)) return undefined;
  // Each validation error is one indented "[stack] message" line; the closing advice is not ours to give.
  return e.message
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l.startsWith('['));
}

export interface SynthIo {
  readonly stderr: (text: string) => void;
  readonly setExitCode: (code: number) => void;
}

const PROCESS_IO: SynthIo = {
  stderr: (text) => process.stderr.write(text),
  setExitCode: (code) => {
    process.exitCode = code;
  },
};

/**
 * Build the app and synthesize it; a violation prints its lines and sets exit code 1 (the
 * process ends normally, so cdktf shows the lines once, not a trace).
 */
export function synthOrFail(build: () => { synth(): void }, io: SynthIo = PROCESS_IO): void {
  try {
    build().synth();
  } catch (e) {
    const lines = violationLines(e);
    if (!lines) throw e;
    io.stderr(lines.map((l) => `${l}\n`).join(''));
    io.setExitCode(1);
  }
}
