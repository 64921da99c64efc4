/** Shared helpers for the ledger tests: signed envelopes, and the real CLI run as a process. */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { serializeEnvelope, signEnvelope } from '../../attest/dsse/envelope';
import { CLI_ARGS, CLI_ONE_PROCESS_ARGS } from '../support/cli';
import { generateKeyPairPem, parseSigningKey, SigningKey } from '../../attest/sign/ed25519';

export const REPO = resolve(__dirname, '..', '..');

export interface KeyFiles {
  readonly key: string;
  readonly pub: string;
  readonly signing: SigningKey;
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `kfm-${label}-`));
}

export function makeKey(dir: string, name: string): KeyFiles {
  mkdirSync(dir, { recursive: true });
  const { privatePem, publicPem } = generateKeyPairPem();
  const key = join(dir, `${name}.key`);
  const pub = join(dir, `${name}.pub`);
  writeFileSync(key, privatePem, { mode: 0o600 });
  writeFileSync(pub, publicPem);
  return { key, pub, signing: parseSigningKey(privatePem, key) };
}

/** Write `count` signed in-toto envelopes (distinct payloads) and return their paths. */
export function makeEnvelopes(dir: string, key: KeyFiles, count: number, tag = 'e'): string[] {
  mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  for (let i = 1; i <= count; i++) {
    const statement = {
      _type: 'https://in-toto.io/Statement/v1',
      subject: [{ name: `${tag}-${i}`, digest: { sha256: '0'.repeat(64) } }],
      predicateType: 'https://kfm.example/ledger-test/v1',
      predicate: { tag, i },
    };
    const env = signEnvelope('application/vnd.in-toto+json', Buffer.from(JSON.stringify(statement)), key.signing);
    const p = join(dir, `${tag}-${i}.json`);
    writeFileSync(p, serializeEnvelope(env));
    out.push(p);
  }
  return out;
}

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** `kfm ...` through the real CLI entry point, as a separate process. */
export function kfm(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Run {
  const r = spawnSync(process.execPath, [...CLI_ARGS, ...args], { cwd: REPO, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** Same, asynchronously (for concurrent appenders); resolves with what was printed. */
export function kfmAsync(args: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Run> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [...CLI_ARGS, ...args], { cwd: REPO, env });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => res({ code: code ?? -1, stdout, stderr }));
  });
}

/**
 * The CLI as ONE process that a signal really hits. The tsx CLI runs the script in a child
 * process and cannot relay SIGKILL, so killing it would leave the appender running; loading
 * tsx as a require hook keeps the appender in the process we kill.
 */
export function spawnKfm(args: readonly string[], env: NodeJS.ProcessEnv = process.env) {
  return spawn(process.execPath, [...CLI_ONE_PROCESS_ARGS, ...args], { cwd: REPO, env });
}

export function jsonLines(text: string): { seq: number; digest: string }[] {
  return text
    .split('\n')
    .filter((l) => l.trim().length > 0)
    .map((l) => JSON.parse(l) as { seq: number; digest: string });
}
