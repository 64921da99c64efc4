import { CommandIo } from './types';

/** Long work shows progress only past this many items, and only on a terminal. */
export const PROGRESS_MIN = 1000;

/**
 * A `\r`-updated progress line on stderr for long work (more than PROGRESS_MIN items), when stderr
 * is a terminal; silent otherwise (CI logs and pipes get no progress noise). `tick` every item.
 */
export function progress(io: CommandIo, what: string, total?: number): { tick(): void; done(): void } {
  let n = 0;
  const on = io.stderrIsTTY === true && (total === undefined || total > PROGRESS_MIN);
  return {
    tick() {
      n++;
      if (on && (total !== undefined || n > PROGRESS_MIN) && n % 500 === 0)
        io.stderr(`\r${what}: ${n}${total === undefined ? '' : ` of ${total}`} entries`);
    },
    done() {
      if (on && n > PROGRESS_MIN)
        io.stderr(`\r${what}: ${n}${total === undefined ? '' : ` of ${total}`} entries, done\n`);
    },
  };
}
