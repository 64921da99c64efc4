/**
 * What every attack of the comparison shares: the two CLIs (an old checkout's and this one's),
 * running one as a process with a bound on time, real `kfm witness serve` processes, the
 * CLI's own appends and witnessed checkpoints, and the one line that shows an outcome.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openStore } from '../../ledger/open-store';
import { generateKeyPairPem } from '../../attest/sign/ed25519';
import type * as Evidence from '../../__tests__/gates/support/evidence';
import { RawStore } from '../../__tests__/gates/support/stores';

export const ORIGIN = 'kfm-infra/audit';

/** One CLI under test: `old` (the checkout given) or `new` (this one). */
export interface Side {
  readonly label: 'old' | 'new';
  readonly root: string;
  readonly cli: string;
  /** The policy bundle digest this checkout pins for prod (plan receipts must name it). */
  readonly pin: string;
  /** That checkout's own evidence builder (its receipt builders, its keys): what its tests append. */
  readonly ev: typeof Evidence;
}

export function side(label: 'old' | 'new', root: string): Side {
  const cli = join(root, 'dist', 'receipts', 'cli.js');
  if (!existsSync(cli)) throw new Error(`${cli} missing: run "npm run build" in ${root}`);
  const pins = JSON.parse(readFileSync(join(root, 'policy', 'config', 'pins.json'), 'utf8')) as Record<string, string>;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const ev = require(join(root, '__tests__', 'gates', 'support', 'evidence.ts')) as typeof Evidence;
  return { label, root, cli, pin: pins.prod!, ev };
}

/** What one step of an attack gave. */
export interface Run {
  readonly code: number | string;
  readonly stdout: string;
  readonly stderr: string;
}

/** The CLI as a child, killed after `ms`: a hang shows as "hung", never as a pass. */
export function kfm(s: Side, env: NodeJS.ProcessEnv, args: readonly string[], ms = 120_000): Run {
  const r = spawnSync(process.execPath, [s.cli, ...args], {
    cwd: s.root,
    env,
    encoding: 'utf8',
    timeout: ms,
    killSignal: 'SIGKILL',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.signal ? `hung(${ms / 1000}s,${r.signal})` : (r.status ?? -1), stdout: r.stdout, stderr: r.stderr };
}

/** A bash pipeline (pipefail) with `$KFM` the side's CLI. */
export function sh(s: Side, env: NodeJS.ProcessEnv, script: string, ms = 120_000): Run {
  const r = spawnSync('bash', ['-c', `set -o pipefail; ${script}`], {
    cwd: s.root,
    env: { ...env, KFM: `node ${s.cli}` },
    encoding: 'utf8',
    timeout: ms,
    killSignal: 'SIGKILL',
    maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.signal ? `hung(${ms / 1000}s)` : (r.status ?? -1), stdout: r.stdout, stderr: r.stderr };
}

/** The line that shows an outcome: the first matching `want`, else the first of stderr, else of stdout. */
export function line(r: Run, ...want: RegExp[]): string {
  const all = [...r.stderr.split('\n'), ...r.stdout.split('\n')].filter((l) => l.trim() !== '');
  const first = (w: RegExp) => all.find((x) => w.test(x));
  const l =
    (want.length ? want : [/BLOCKED|kfm: |note: |^ok /]).map(first).find((x) => x !== undefined) ??
    all[0] ??
    '(no output)';
  const short = l.replace(/\/tmp\/[^ :,)]*\/([^/ :,)]+)/g, '…/$1').trim();
  return short.length > 170 ? `${short.slice(0, 167)}…` : short;
}

/** Key files of the evidence's keys, written once per run. */
export interface Keys {
  readonly dir: string;
  readonly ciKey: string;
  readonly ciPub: string;
  readonly reviewerPub: string;
}

export function writeKeys(dir: string, s: Side): Keys {
  const { ci, reviewer } = s.ev;
  mkdirSync(dir, { recursive: true });
  const k = {
    dir,
    ciKey: join(dir, 'ci.key'),
    ciPub: join(dir, 'ci.pub'),
    reviewerPub: join(dir, 'reviewer.pub'),
  };
  writeFileSync(k.ciKey, ci.privatePem, { mode: 0o600 });
  writeFileSync(k.ciPub, ci.publicPem);
  writeFileSync(k.reviewerPub, reviewer.publicPem);
  return k;
}

/**
 * The key flags a side's scripts give `audit verify` and `audit checkpoint`: 3c7b61c had no
 * --approver there and passed approver keys as --pub (kfm_all_pub_args); now they are --approver.
 */
export function ledgerKeyArgs(s: Side, k: Keys): string[] {
  return s.label === 'old'
    ? ['--pub', k.ciPub, '--pub', k.reviewerPub]
    : ['--pub', k.ciPub, '--approver', `reviewer=${k.reviewerPub}`];
}

/** dev and stage proven, a prod plan and an independent approval: a promotion that may go. */
export function goodLedger(s: Side): Evidence.Ledger {
  const l = new s.ev.Ledger(s.pin);
  l.provenTier('dev');
  l.provenTier('stage');
  l.approve(l.plan('prod'));
  return l;
}

let files = 0;
/** Append envelopes with the side's own `kfm audit append` (creating the store first). */
export function append(s: Side, raw: RawStore, spec: string, dir: string, bytes: readonly Buffer[]): Run {
  mkdirSync(dir, { recursive: true });
  const paths = bytes.map((b) => {
    const p = join(dir, `env-${++files}.json`);
    writeFileSync(p, b);
    return p;
  });
  kfm(s, raw.env, ['audit', 'init', '--store', spec]);
  const r = kfm(s, raw.env, ['audit', 'append', ...paths, '--store', spec], 600_000);
  if (r.code !== 0) throw new Error(`${s.label} audit append exited ${r.code}: ${r.stderr.trim()}`);
  return r;
}

export function appendFrom(s: Side, raw: RawStore, spec: string, dir: string, l: Evidence.Ledger, from = 1): void {
  append(
    s,
    raw,
    spec,
    dir,
    l.entries.slice(from - 1).map((e) => e.envelopeBytes),
  );
}

/** A real `kfm witness serve` of the side's CLI. */
export interface Witness {
  readonly name: string;
  readonly pub: string;
  readonly url: string;
  readonly child: ChildProcess;
}

/** Start a witness of the CI key's log; `key` is its private key (default: a fresh one). */
export function startWitness(
  s: Side,
  dir: string,
  name: string,
  logPub: string,
  key?: { privatePem: string; publicPem: string },
): Promise<Witness | Run> {
  const { privatePem, publicPem } = key ?? generateKeyPairPem();
  const wdir = join(dir, name.replace(/\//g, '_'));
  mkdirSync(wdir, { recursive: true });
  writeFileSync(join(wdir, 'w.key'), privatePem, { mode: 0o600 });
  writeFileSync(join(wdir, 'w.pub'), publicPem);
  const args = ['witness', 'serve', '--key', join(wdir, 'w.key'), '--name', name, '--log', `${ORIGIN}=${logPub}`];
  const child = spawn(process.execPath, [s.cli, ...args, '--state', join(wdir, 'state'), '--listen', '127.0.0.1:0']);
  let err = '';
  child.stderr!.on('data', (d) => (err += String(d)));
  return new Promise((res) => {
    child.once('exit', (code) => res({ code: code ?? -1, stdout: '', stderr: err }));
    child.stdout!.once('data', (d) => {
      child.removeAllListeners('exit');
      res({ name, pub: join(wdir, 'w.pub'), url: String(d).trim(), child });
    });
  });
}

export function stopWitnesses(ws: readonly Witness[]): void {
  for (const w of ws) w.child.kill('SIGTERM');
}

/** The gate's witness flags: 3c7b61c's gate had no --witness-url (it never asked the witnesses). */
export function witnessFlags(s: Side, ws: readonly Witness[], quorum = ws.length): string[] {
  return [
    ...ws.flatMap((w) => [
      '--witness',
      `${w.name}=${w.pub}`,
      ...(s.label === 'new' ? ['--witness-url', `${w.name}=${w.url}`] : []),
    ]),
    '--quorum',
    String(quorum),
  ];
}

let cps = 0;
/**
 * What scripts/cosign.sh does: the side's `kfm audit checkpoint` with the witnesses asked; the
 * stored witnessed note's path and text.
 */
export async function cosign(
  s: Side,
  raw: RawStore,
  spec: string,
  k: Keys,
  ws: readonly Witness[],
  quorum = ws.length,
): Promise<{ path: string; note: string; size: number }> {
  const out = join(k.dir, `cp-${s.label}-${++cps}.txt`);
  const urls = ws.flatMap((w) => ['--witness', `${w.name}=${w.pub}`, '--witness-url', `${w.name}=${w.url}`]);
  const r = kfm(s, raw.env, [
    ...['audit', 'checkpoint', '--store', spec, '--key', k.ciKey, '--out', out],
    ...ledgerKeyArgs(s, k),
    ...urls,
    ...['--quorum', String(quorum)],
  ]);
  if (r.code !== 0) throw new Error(`${s.label} audit checkpoint exited ${r.code}: ${r.stderr.trim()}`);
  const note = readFileSync(out, 'utf8');
  const size = Number(note.split('\n')[1]);
  const listed = await openStore(spec, { env: raw.env }).listDerived('checkpoints');
  const path = listed.find((p) => new RegExp(`^checkpoints/0*${size}\\.`).test(p));
  if (path === undefined) throw new Error(`${s.label}: no stored note of size ${size} in ${listed.join(', ')}`);
  return { path, note, size };
}

/** The result of one attack on one side: the steps' exit codes, the line that shows it, secure or not. */
export interface Outcome {
  readonly codes: string;
  readonly line: string;
  readonly holds: boolean;
}

/** One attack of the comparison: run against one CLI on one store. */
export interface Attack {
  readonly id: string;
  readonly title: string;
  /** Run on S3 too when --s3 is given. */
  readonly s3: boolean;
  /** What the store column says when the attack brings its own store. @default - the store kind */
  readonly store?: string;
  run(s: Side, raw: RawStore, k: Keys, dir: string): Promise<Outcome>;
}
