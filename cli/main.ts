#!/usr/bin/env node
/**
 * `kfm <noun> <verb> ...` — the only entry point that touches argv, files, env and the clock.
 * Commands live one per noun in ./commands/ and are loaded lazily, so `kfm receipt` never
 * loads the ledger's S3 client, and nothing here ever loads cdktf or provider packages.
 */
import { isReceiptError } from '../core/errors';
import { Command, CommandIo } from './lib/types';

const NOUNS: Record<string, () => Command> = {
  keygen: () => require('./commands/keygen').keygen as Command,
  receipt: () => require('./commands/receipt').receipt as Command,
  audit: () => require('./commands/audit').audit as Command,
  policy: () => require('./commands/policy').policy as Command,
  gate: () => require('./commands/gate').gate as Command,
  approve: () => require('./commands/approve').approve as Command,
  record: () => require('./commands/record').record as Command,
  witness: () => require('./commands/witness').witness as Command,
};

const USAGE = `usage: kfm <command> ...
  kfm keygen --out-dir DIR
  kfm receipt plan|apply|drift|verify|show ...
  kfm audit append|verify|checkpoint|prove|list|get ...
  kfm policy check --synth CDK_TF_JSON | --plan PLAN_JSON [--env ENV] [--json]
  kfm gate promote --to stage|prod --store STORE --pub PUB... --commit SHA [--key KEY] [--json]
  kfm approve --env ENV --plan-receipt R --principal NAME --key KEY --out A
  kfm record smoke ...
  kfm witness serve --key KEY --name NAME --log ORIGIN=PUB... --state DIR --listen HOST:PORT
exit codes: 0 ok, 1 policy/gate denied, 2 usage or bad input, 3 signature or verification failure`;

export async function main(argv: readonly string[], io: Omit<CommandIo, 'argv'>): Promise<number> {
  const [noun, ...rest] = argv;
  if (noun === undefined || noun === '--help' || noun === '-h' || noun === 'help') {
    (noun === undefined ? io.stderr : io.stdout)(USAGE + '\n');
    return noun === undefined ? 2 : 0;
  }
  const load = NOUNS[noun];
  if (!load) {
    io.stderr(`kfm: unknown command "${noun}"; run "kfm --help"\n`);
    return 2;
  }
  try {
    let cmd: Command;
    try {
      cmd = load();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND') {
        io.stderr(`kfm: command "${noun}" is not available in this build\n`);
        return 2;
      }
      throw e;
    }
    return await cmd({ ...io, argv: rest });
  } catch (e) {
    if (isReceiptError(e)) {
      io.stderr(`kfm: ${e.code}: ${e.message}\n`);
      return e.exitCode;
    }
    io.stderr(`kfm: INTERNAL: ${(e as Error)?.message?.split('\n')[0] ?? String(e)}\n`);
    return 4;
  }
}

/** Run the CLI for this process: argv, env, cwd and the standard streams. */
export function run(): void {
  // The AWS SDK warns on stderr that future releases need node >= 22; the CLI's stderr is for
  // problems only (one line each), and this project supports node >= 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  main(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(`kfm: INTERNAL: ${String(e)}\n`);
      process.exitCode = 4;
    },
  );
}

if (require.main === module) run();
