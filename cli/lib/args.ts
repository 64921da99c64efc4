import { parseArgs } from 'node:util';
import { ReceiptError } from '../../core/errors';
import { Env, ENVS } from '../../core/vocabulary';

/** One flag: how it parses (`type`, `multiple`, `short`: node:util parseArgs) and how `--help` shows it. */
export interface FlagSpec {
  readonly type: 'string' | 'boolean';
  readonly multiple?: boolean;
  readonly short?: string;
  /** One line: what the flag does. */
  readonly help?: string;
  /** The value's placeholder in usage (`FILE`, `DIR`, `N`). @default - the flag name in capitals */
  readonly arg?: string;
  /** What happens when the flag is absent, in words. @default - "required" when `required`, else nothing */
  readonly default?: string;
  /** Shown as required in usage (the command still checks it, with requireOpt). */
  readonly required?: boolean;
}
export type OptionSpec = Readonly<Record<string, FlagSpec>>;

type FlagDoc = Pick<FlagSpec, 'help' | 'arg' | 'default'>;

/**
 * Help for flags that mean the same in every command, used when a spec gives none of its own
 * (a command's spec wins). A flag with help from neither shows "(undocumented)", which a test
 * refuses.
 */
export const COMMON_FLAGS: Readonly<Record<string, FlagDoc>> = {
  env: { help: 'the environment: dev, stage or prod', arg: 'ENV' },
  key: { help: 'private signing key file (Ed25519, PKCS#8 PEM, mode 0600)', arg: 'KEY' },
  pub: { help: 'trusted public key file (SPKI PEM) of a signer', arg: 'PUB' },
  out: { help: 'file to write; never overwritten (an existing one is refused)', arg: 'FILE' },
  json: { help: 'print the result as JSON on stdout', default: 'a line for people' },
  store: { help: 'audit ledger: a directory or s3://BUCKET/PREFIX', arg: 'STORE' },
  endpoint: { help: 'S3 endpoint URL (a local S3 server)', arg: 'URL', default: 'AWS from the environment' },
  origin: { help: 'log origin line of checkpoints', arg: 'NAME', default: 'kfm-infra/audit' },
  commit: { help: 'git commit SHA (hex, 7-64 digits)', arg: 'SHA' },
  branch: { help: 'git branch recorded in the receipt', arg: 'NAME', default: 'GITHUB_REF_NAME, else git' },
  actor: { help: 'who ran it (a login), recorded in the receipt', arg: 'NAME', default: 'GITHUB_ACTOR, else unknown' },
  method: { help: 'how it ran: ci or manual', arg: 'HOW', default: 'ci under GitHub Actions, else manual' },
  'commitment-key': {
    help: 'key (>= 32 random bytes) of the HMAC commitments to values',
    arg: 'FILE',
    default: 'derived from --key by HKDF',
  },
  'plan-file': { help: 'the binary plan file (terraform plan -out) the receipt is about', arg: 'TFPLAN' },
  'plan-receipt': { help: 'the signed plan receipt', arg: 'RECEIPT' },
  policy: { help: 'policy verdict JSON (kfm policy check --json) recorded in the receipt', arg: 'FILE' },
  checkpoint: { help: 'trusted checkpoint file the ledger must be consistent with', arg: 'FILE' },
  witness: { help: 'trusted witness key: NAME=PUB', arg: 'NAME=PUB' },
  quorum: { help: 'witness cosignatures required', arg: 'N', default: 'every --witness given' },
  approver: { help: 'approver key: prod approvals count only as NAME=login when signed by PUB', arg: 'NAME=PUB' },
  timestamp: { help: 'time to record (RFC 3339)', arg: 'TIME', default: 'the clock' },
  seq: { help: 'ledger sequence number (1, 2, ...)', arg: 'N' },
  synth: { help: 'synthesized stack JSON (cdktf.out/stacks/ENV/cdk.tf.json)', arg: 'CDK_TF_JSON' },
};

/** The positionals of a command that takes none. */
export const NO_POSITIONALS = { min: 0, max: 0, names: 'no positional arguments' } as const;

/** The flags of a command that signs one statement and writes it: `--key`, `--out`, `--timestamp`, `--json`. */
export const SIGNED_OUTPUT_OPTS = {
  key: { type: 'string', required: true },
  out: { type: 'string', required: true },
  timestamp: { type: 'string' },
  json: { type: 'boolean' },
} as const satisfies OptionSpec;

/** What `--help` says about a command beyond its flags. */
export interface CommandAbout {
  /** One line: what the command does. */
  readonly summary: string;
  /** One complete example invocation (without the leading `kfm`). */
  readonly example: string;
  /** Exit codes beyond the standard ones, e.g. `1 promotion blocked`. */
  readonly exits?: string;
}

/** The exit codes every command shares. */
export const EXIT_CODES =
  '0 ok, 1 policy or gate denied, 2 usage or bad input, 3 signature or integrity failure, 4 internal error';

/** Thrown for `--help`/`-h`: main prints `text` on stdout and exits 0. */
export class HelpRequest extends Error {
  constructor(readonly text: string) {
    super('help requested');
  }
}

const HELP_FLAGS = new Set(['--help', '-h']);
function wantsHelp(argv: readonly string[]): boolean {
  for (const a of argv) {
    if (a === '--') return false;
    if (HELP_FLAGS.has(a)) return true;
  }
  return false;
}

/** Levenshtein distance, for "did you mean". */
function distance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** The candidate nearest to `word` when it is plausibly a typo of it (or a prefix of it). */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const dd = c.startsWith(word) && word.length >= 2 ? 1 : distance(word, c);
    if (dd < bestD) {
      best = c;
      bestD = dd;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(best.length / 3)) ? best : undefined;
}

/** `--help` text of one command, generated from the option specs it parses with. */
export function commandHelp(
  command: string,
  options: OptionSpec,
  positionals: { min: number; max: number; names: string },
  about?: CommandAbout,
): string {
  const flagArg = (name: string, f: FlagSpec): string =>
    `--${name}${f.type === 'string' ? ` ${f.arg ?? name.toUpperCase().replace(/-/g, '_')}` : ''}`;
  const usage = [`kfm ${command}`];
  if (positionals.max > 0) usage.push(positionals.min > 0 ? positionals.names : `[${positionals.names}]`);
  const docs = Object.entries(options).map(([name, f]) => [name, { ...COMMON_FLAGS[name], ...f } as FlagSpec] as const);
  for (const [name, f] of docs) {
    const a = flagArg(name, f) + (f.multiple ? '...' : '');
    usage.push(f.required ? a : `[${a}]`);
  }
  const lines = [`usage: ${usage.join(' ')}`];
  if (about) lines.push('', about.summary);
  const rows = docs.map(([name, f]) => {
    const notes = [f.help ?? '(undocumented)'];
    if (f.multiple) notes.push('repeatable');
    if (f.required) notes.push('required');
    else if (f.default) notes.push(`default: ${f.default}`);
    return [`  ${f.short ? `-${f.short}, ` : ''}${flagArg(name, f)}`, notes.join('; ')] as const;
  });
  rows.push(['  -h, --help', 'this help']);
  const w = Math.min(34, Math.max(...rows.map((r) => r[0].length)) + 2);
  lines.push('', 'options:');
  for (const [l, r] of rows) lines.push(l.length >= w ? `${l}\n${' '.repeat(w)}${r}` : l.padEnd(w) + r);
  lines.push('', `exit codes: ${EXIT_CODES}${about?.exits ? `; ${about.exits}` : ''}`);
  if (about) lines.push('', 'example:', `  kfm ${about.example}`);
  return lines.join('\n') + '\n';
}

function parseConfig(options: OptionSpec): NonNullable<Parameters<typeof parseArgs>[0]>['options'] {
  const out: Record<string, { type: 'string' | 'boolean'; multiple?: boolean; short?: string }> = {};
  for (const [name, f] of Object.entries(options)) {
    out[name] = { type: f.type, ...(f.multiple ? { multiple: true } : {}), ...(f.short ? { short: f.short } : {}) };
  }
  return out;
}

/**
 * Strict argument parsing for one command: unknown flags (with the nearest known one), missing
 * values and stray positionals are USAGE errors (exit 2) naming the command. `--help` anywhere
 * before `--` prints the command's help, generated from the same `options`.
 */
export function parseCommandArgs(
  command: string,
  argv: readonly string[],
  options: OptionSpec,
  positionals: { min: number; max: number; names: string },
  about?: CommandAbout,
): { values: Record<string, string | boolean | string[] | boolean[] | undefined>; positionals: string[] } {
  if (wantsHelp(argv)) throw new HelpRequest(commandHelp(command, options, positionals, about));
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: parseConfig(options), allowPositionals: true, strict: true });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    const m = /^Unknown option '(-{1,2})([^']*)'/.exec(err.message);
    if (err.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && m) {
      const near = nearest(m[2]!, Object.keys(options));
      const shown = `${m[1]}${m[2]!.slice(0, 40)}`;
      throw new ReceiptError(
        'USAGE',
        `kfm ${command}: unknown option '${shown}'${near ? `; did you mean --${near}?` : ''} (see kfm ${command} --help)`,
      );
    }
    throw new ReceiptError('USAGE', `kfm ${command}: ${err.message.split('\n')[0]} (see kfm ${command} --help)`);
  }
  const pos = parsed.positionals;
  if (pos.length < positionals.min || pos.length > positionals.max) {
    throw new ReceiptError(
      'USAGE',
      `kfm ${command}: expected ${positionals.names}, got ${pos.length} positional argument(s) (see kfm ${command} --help)`,
    );
  }
  return {
    values: parsed.values as Record<string, string | boolean | string[] | boolean[] | undefined>,
    positionals: pos,
  };
}

/**
 * The verb of a noun with several (`kfm audit list`): `--help` or no verb lists them; an
 * unknown one is a USAGE error suggesting the nearest.
 */
export function pickVerb<T>(noun: string, verb: string | undefined, verbs: Readonly<Record<string, T>>): T {
  const names = Object.keys(verbs);
  if (verb !== undefined && HELP_FLAGS.has(verb)) {
    throw new HelpRequest(
      `usage: kfm ${noun} ${names.join('|')} ...\n\n` +
        names.map((n) => `  kfm ${noun} ${n} ...`).join('\n') +
        `\n\nrun "kfm ${noun} VERB --help" for a verb's flags, exit codes and an example\n`,
    );
  }
  const fn = verb === undefined ? undefined : Object.hasOwn(verbs, verb) ? verbs[verb] : undefined;
  if (fn === undefined) {
    const near = verb === undefined ? undefined : nearest(verb, names);
    throw new ReceiptError(
      'USAGE',
      `kfm ${noun}: expected one of ${names.join(', ')}; got ${verb === undefined ? 'nothing' : `"${verb.slice(0, 20)}"`}${near ? `; did you mean "${near}"?` : ''} (see kfm ${noun} --help)`,
    );
  }
  return fn;
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
