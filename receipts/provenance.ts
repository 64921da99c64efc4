import { ReceiptError } from '../core/errors';

/** Where the commit / branch / actor recorded in a receipt came from. */
export type ProvenanceSource = 'flag' | 'GITHUB_SHA' | 'GITHUB_REF_NAME' | 'GITHUB_ACTOR' | 'git' | 'USER' | 'unknown';

export interface RepoInfo {
  readonly commit: string | null;
  readonly branch: string | null;
  /** Where `commit` came from. */
  readonly source: 'flag' | 'GITHUB_SHA' | 'git' | 'unknown';
  readonly branch_source: 'flag' | 'GITHUB_REF_NAME' | 'git' | 'unknown';
}

export interface ActorInfo {
  readonly principal: string | null;
  readonly method: 'ci' | 'manual' | 'gitops';
  readonly source: 'flag' | 'GITHUB_ACTOR' | 'unknown';
}

const METHODS = ['ci', 'manual', 'gitops'] as const;

function git(cwd: string, args: string[]): string | null {
  try {
    // Loaded only when a flag or the environment does not give the answer.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { spawnSync } = require('node:child_process') as typeof import('node:child_process');
    const r = spawnSync('git', args, { cwd, encoding: 'utf8', timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] });
    const out = r.status === 0 ? r.stdout.trim() : '';
    return out === '' || out === 'HEAD' ? null : out;
  } catch {
    return null;
  }
}

/** Commit and branch: flag, then the CI environment (GITHUB_SHA, GITHUB_REF_NAME), then git, else unknown. */
export function resolveRepo(
  flags: { commit?: string; branch?: string },
  env: NodeJS.ProcessEnv,
  cwd: string,
): RepoInfo {
  let commit: string | null = null;
  let source: RepoInfo['source'] = 'unknown';
  if (flags.commit) {
    if (!/^[0-9a-fA-F]{7,64}$/.test(flags.commit))
      throw new ReceiptError('USAGE', `--commit: not a hex commit SHA (7-64 hex digits)`);
    [commit, source] = [flags.commit.toLowerCase(), 'flag'];
  } else if (env.GITHUB_SHA && /^[0-9a-fA-F]{7,64}$/.test(env.GITHUB_SHA)) {
    [commit, source] = [env.GITHUB_SHA.toLowerCase(), 'GITHUB_SHA'];
  } else {
    const c = git(cwd, ['rev-parse', 'HEAD']);
    if (c && /^[0-9a-f]{7,64}$/.test(c)) [commit, source] = [c, 'git'];
  }
  let branch: string | null = null;
  let branch_source: RepoInfo['branch_source'] = 'unknown';
  if (flags.branch) [branch, branch_source] = [flags.branch, 'flag'];
  else if (env.GITHUB_REF_NAME) [branch, branch_source] = [env.GITHUB_REF_NAME, 'GITHUB_REF_NAME'];
  else {
    const b = git(cwd, ['rev-parse', '--abbrev-ref', 'HEAD']);
    if (b) [branch, branch_source] = [b, 'git'];
  }
  return { commit, branch, source, branch_source };
}

/** Actor: --actor, then GITHUB_ACTOR, else unknown (null). Method: --method, else ci under GitHub Actions, else manual. */
export function resolveActor(flags: { actor?: string; method?: string }, env: NodeJS.ProcessEnv): ActorInfo {
  let method: ActorInfo['method'];
  if (flags.method !== undefined) {
    if (!(METHODS as readonly string[]).includes(flags.method))
      throw new ReceiptError('USAGE', `--method "${flags.method.slice(0, 20)}" is not one of ${METHODS.join(', ')}`);
    method = flags.method as ActorInfo['method'];
  } else method = env.GITHUB_ACTIONS === 'true' ? 'ci' : 'manual';
  if (flags.actor) return { principal: flags.actor, method, source: 'flag' };
  if (env.GITHUB_ACTOR) return { principal: env.GITHUB_ACTOR, method, source: 'GITHUB_ACTOR' };
  return { principal: null, method, source: 'unknown' };
}
