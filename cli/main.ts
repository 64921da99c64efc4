#!/usr/bin/env node
/**
 * `kfm <noun> <verb> ...` — the only entry point that touches argv, files, env and the clock.
 * Commands live one per noun in ./commands/ and are loaded lazily, so `kfm receipt` never
 * loads the ledger's S3 client, and nothing here ever loads cdktf or provider packages.
 */
import { isReceiptError } from '../core/errors';
import { KFM_VERSION } from '../core/version';
import { EXIT_CODES, HelpRequest, nearest } from './lib/args';
import { Command, CommandIo } from './lib/types';
import { tuneForOneShortProcess } from './lib/short-process';

const NOUNS: Record<string, () => Command> = {
  keygen: () => require('./commands/keygen').keygen as Command,
  receipt: () => require('./commands/receipt').receipt as Command,
  audit: () => require('./commands/audit').audit as Command,
  policy: () => require('./commands/policy').policy as Command,
  gate: () => require('./commands/gate').gate as Command,
  approve: () => require('./commands/approve').approve as Command,
  record: () => require('./commands/record').record as Command,
  witness: () => require('./commands/witness').witness as Command,
  report: () => require('./commands/report').report as Command,
  state: () => require('./commands/state').state as Command,
  doctor: () => require('./commands/doctor').doctor as Command,
};

/** Every verb, one line each: `kfm --help`. A test checks it against each noun's own verb list. */
const VERBS_HELP: readonly (readonly [string, string])[] = [
  ['keygen', 'an Ed25519 signing key and its public key'],
  ['receipt plan', 'sign a plan receipt from `terraform show -json`'],
  ['receipt apply', 'sign an apply receipt from `terraform apply -json`'],
  ['receipt drift', 'sign a drift receipt from a refresh-only plan'],
  ['receipt verify', 'verify a receipt with a public key'],
  ['receipt export-bundle', 'a signed record as a Sigstore bundle v0.3 (same envelope)'],
  ['receipt certify', 'sign a record keyless: Fulcio certificate for the OIDC identity, Rekor or TSA'],
  ['receipt show', 'render a verified receipt as markdown (the PR comment) or JSON'],
  ['receipt comment', 'the one PR comment: every tier, prod first, policy findings first'],
  ['audit init', 'create an audit store (appends refuse a missing one)'],
  ['audit append', 'append signed envelopes to the ledger'],
  ['audit verify', 'verify the whole ledger: signatures, chain, tree, checkpoints'],
  ['audit checkpoint', 'sign a checkpoint of the verified ledger'],
  ['audit prove', 'an inclusion proof of one entry'],
  ['audit verify-proof', 'verify an inclusion proof offline against a checkpoint'],
  ['audit list', 'one line per entry: seq, kind, env, commit, time, signer, digest'],
  ['audit get', 'the envelope of one entry, as appended'],
  ['audit mirror', 'copy the ledger into another store and compare roots (resumable)'],
  ['audit witnesses', "each witness's tree size against the ledger's newest checkpoint"],
  ['policy check', 'the policy pack on synthesized JSON or plan JSON'],
  ['gate promote', 'may this commit go to stage or prod? from verified evidence only'],
  ['gate apply', 'may this plan file be applied? the newest approved, receipted plan only'],
  ['gate evidence', 'the newest trusted apply receipt of a tier, as drift and smoke bind to it'],
  ['approve', 'a signed approval of a plan receipt'],
  ['record smoke', 'a signed validation (smoke test) record'],
  ['witness serve', 'a checkpoint witness over HTTP'],
  ['report', 'one self-contained HTML page of the evidence, per commit and tier'],
  ['doctor', 'the setup check (scripts/doctor.sh): each missing item with its fix'],
  ['state lock-check', 'does the Terraform state store lock? (S3 If-None-Match, as use_lockfile)'],
];

const USAGE = `usage: kfm <command> [<verb>] [options]

${VERBS_HELP.map(([c, h]) => `  kfm ${c.padEnd(19)} ${h}`).join('\n')}

  kfm --version           the version of kfm
run "kfm <command> [<verb>] --help" for its flags, defaults, exit codes and an example
exit codes: ${EXIT_CODES}`;

/** One line for a bug: never a stack trace. */
function internal(e: unknown): string {
  const msg = String((e as Error)?.message ?? e)
    .split('\n')[0]!
    .slice(0, 200);
  return `kfm: INTERNAL: ${msg} (a bug in kfm ${KFM_VERSION}: report this line and the command you ran, without secrets, to the kfm-infra maintainers)\n`;
}

export async function main(argv: readonly string[], io: Omit<CommandIo, 'argv'>): Promise<number> {
  const [noun, ...rest] = argv;
  if (noun === undefined || noun === '--help' || noun === '-h' || noun === 'help') {
    (noun === undefined ? io.stderr : io.stdout)(USAGE + '\n');
    return noun === undefined ? 2 : 0;
  }
  if (noun === '--version' || noun === '-V') {
    io.stdout(`kfm ${KFM_VERSION}\n`);
    return 0;
  }
  const load = Object.hasOwn(NOUNS, noun) ? NOUNS[noun] : undefined;
  if (!load) {
    const near = nearest(noun, Object.keys(NOUNS));
    io.stderr(
      `kfm: USAGE: unknown command "${noun.slice(0, 40)}"${near ? `; did you mean "${near}"?` : ''} (run "kfm --help")\n`,
    );
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
    if (e instanceof HelpRequest) {
      io.stdout(e.text);
      return 0;
    }
    if (isReceiptError(e)) {
      io.stderr(`kfm: ${e.code}: ${e.message}\n`);
      return e.exitCode;
    }
    io.stderr(internal(e));
    return 4;
  }
}

/** Run the CLI for this process: argv, env, cwd and the standard streams. */

export function run(): void {
  tuneForOneShortProcess();
  // The AWS SDK warns on stderr that future releases need node >= 22; the CLI's stderr is for
  // problems only (one line each), and this project supports node >= 20.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  // A reader that stops early (`kfm audit list | head -1`) is not an error, and never changes the
  // result: output stops, the command finishes, and the exit status is its own (a denied gate
  // stays denied under `| head` with pipefail). Any other write error ends with exit 4.
  let stdoutClosed = false;
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') {
      stdoutClosed = true;
      return;
    }
    process.stderr.write(internal(e));
    process.exit(4);
  });
  process.stderr.on('error', () => undefined);
  process.on('uncaughtException', (e) => {
    process.stderr.write(internal(e));
    process.exit(4);
  });
  main(process.argv.slice(2), {
    env: process.env,
    cwd: process.cwd(),
    stdout: (t) => stdoutClosed || process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    stderrIsTTY: process.stderr.isTTY === true,
    stdoutIsTTY: process.stdout.isTTY === true,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e) => {
      process.stderr.write(internal(e));
      process.exitCode = 4;
    },
  );
}

if (require.main === module) run();
