/** What a command may touch: its arguments and the process's streams and environment. */
export interface CommandIo {
  readonly argv: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Results only. */
  stdout(text: string): void;
  /** Diagnostics only: one line per problem. */
  stderr(text: string): void;
  /** Progress lines (`\r`-updated) go to stderr only when it is a terminal. @default - false */
  readonly stderrIsTTY?: boolean;
  /** stdout is a terminal (then, with stderr one too, a result line is not repeated as a diagnostic). @default - false */
  readonly stdoutIsTTY?: boolean;
}

/** A CLI command: returns the process exit code (0 ok, 1 denied, 2 bad input, 3 verification failed). */
export type Command = (io: CommandIo) => Promise<number>;
