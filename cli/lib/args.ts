import { parseArgs, ParseArgsConfig } from 'node:util';
import { ReceiptError } from '../../core/errors';
import { Env, ENVS } from '../../core/vocabulary';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/**
 * Strict argument parsing for one command: unknown flags, missing values and stray
 * positionals are USAGE errors (exit 2) naming the command.
 */
export function parseCommandArgs(
  command: string,
  argv: readonly string[],
  options: OptionSpec,
  positionals: { min: number; max: number; names: string },
): { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] } {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (e) {
    throw new ReceiptError('USAGE', `kfm ${command}: ${(e as Error).message.split('\n')[0]}`);
  }
  const pos = parsed.positionals;
  if (pos.length < positionals.min || pos.length > positionals.max) {
    throw new ReceiptError(
      'USAGE',
      `kfm ${command}: expected ${positionals.names}, got ${pos.length} positional argument(s)`,
    );
  }
  return {
    values: parsed.values as Record<string, string | boolean | string[] | boolean[] | undefined>,
    positionals: pos,
  };
}

/** A required string option. */
export function requireOpt(command: string, values: Record<string, unknown>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.length === 0) throw new ReceiptError('USAGE', `kfm ${command}: --${name} is required`);
  return v;
}

export { ENVS };
export type { Env };

export function parseEnv(command: string, value: string): Env {
  if (!(ENVS as readonly string[]).includes(value)) {
    throw new ReceiptError('ENV_UNKNOWN', `kfm ${command}: --env "${value}" is not one of ${ENVS.join(', ')}`);
  }
  return value as Env;
}
