/**
 * What the review files share: a temp dir holding the CI and reviewer keys, real `kfm witness
 * serve` processes of the CI key's log, the built CLI as a child process, and an honest ledger.
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pinnedBundleDigest } from '../../gates/pins';
import { generateKeyPairPem } from '../../attest/sign/ed25519';
import { REPO, tempDir } from '../ledger/helpers';
import { ci, Ledger, reviewer } from '../gates/support/evidence';

export const CLI = join(REPO, 'dist', 'receipts', 'cli.js');
export const ORIGIN = 'kfm-infra/audit';

export interface Witness {
  readonly name: string;
  readonly pub: string;
  readonly url: string;
  readonly child: ChildProcess;
}

/** The review's own temp dir (removed after the file), with the CI key pair and the reviewer's public key in it. */
export function reviewBench(label: string) {
  const dir = tempDir(label);
  const keys = join(dir, 'keys');
  mkdirSync(keys, { recursive: true });
  const CI_PUB = join(keys, 'ci.pub');
  const CI_KEY = join(keys, 'ci.key');
  const REVIEWER_PUB = join(keys, 'reviewer.pub');
  writeFileSync(CI_PUB, ci.publicPem);
  writeFileSync(CI_KEY, ci.privatePem, { mode: 0o600 });
  writeFileSync(REVIEWER_PUB, reviewer.publicPem);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  /**
   * A real witness of the CI key's log; resolves once it listens. Started again under the same
   * label and name it keeps its key; `state` is its state file (another name: a witness whose
   * operator wiped what it cosigned).
   */
  function startWitness(wlabel: string, name: string, state = 'state'): Promise<Witness> {
    const wdir = join(dir, wlabel, name);
    if (!existsSync(join(wdir, 'w.key'))) {
      const { privatePem, publicPem } = generateKeyPairPem();
      mkdirSync(wdir, { recursive: true });
      writeFileSync(join(wdir, 'w.key'), privatePem, { mode: 0o600 });
      writeFileSync(join(wdir, 'w.pub'), publicPem);
    }
    const args = ['witness', 'serve', '--key', join(wdir, 'w.key'), '--name', name, '--log', `${ORIGIN}=${CI_PUB}`];
    const child = spawn(process.execPath, [CLI, ...args, '--state', join(wdir, state), '--listen', '127.0.0.1:0']);
    return new Promise((res, rej) => {
      child.once('exit', (code) => rej(new Error(`witness ${name} exited ${code}`)));
      child.stdout!.once('data', (d) => res({ name, pub: join(wdir, 'w.pub'), url: String(d).trim(), child }));
    });
  }

  return { dir, keys, CI_PUB, CI_KEY, REVIEWER_PUB, startWitness };
}

/** The built CLI, run to completion in the repository. */
export function kfm(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO, env, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** dev and stage proven, a prod plan and an independent approval: a promotion that may go. */
export function goodLedger(): Ledger {
  const l = new Ledger(pinnedBundleDigest('prod'));
  l.provenTier('dev');
  l.provenTier('stage');
  l.approve(l.plan('prod'));
  return l;
}
