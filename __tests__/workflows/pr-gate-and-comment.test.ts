/**
 * Runs the logic embedded in pr.yml for real: the gate-summary check script (bash + jq, as on the
 * runner) over every kind of job result, and the sticky-comment github-script against an
 * in-memory stand-in for the GitHub comments API (the only part that cannot run here).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ParsedWorkflow } from './support/parse-core';
import { parseWorkflows, REPO_ROOT } from './support/parse-workflows';

let pr: ParsedWorkflow;
beforeAll(async () => {
  const content = fs.readFileSync(path.join(REPO_ROOT, '.github', 'workflows', 'pr.yml'), 'utf8');
  [pr] = await parseWorkflows([{ name: 'pr.yml', content }]);
}, 60_000);

const stepOf = (jobId: string, name: RegExp) => {
  const s = pr.jobs.find((j) => j.id === jobId)?.steps.find((x) => name.test(x.name ?? ''));
  if (!s) throw new Error(`pr.yml ${jobId}: no step named ${name}`);
  return s;
};

describe('gate-summary check script', () => {
  const run = (needs: Record<string, string>) => {
    const script = stepOf('gate-summary', /Every required job succeeded/).run!;
    const NEEDS = JSON.stringify(
      Object.fromEntries(Object.entries(needs).map(([k, result]) => [k, { result, outputs: {} }])),
    );
    return spawnSync('bash', ['-c', script], { env: { ...process.env, NEEDS }, encoding: 'utf8' });
  };
  const jobs = ['format', 'typecheck', 'test', 'synth', 'plan', 'comment'];
  const all = (result: string) => Object.fromEntries(jobs.map((j) => [j, result]));

  test('passes when every required job succeeded', () => {
    const r = run(all('success'));
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/all 6 required jobs succeeded/);
  });

  test.each(['failure', 'cancelled', 'skipped', 'neutral', ''])('fails when one job is "%s"', (result) => {
    const r = run({ ...all('success'), plan: result });
    expect(r.status).not.toBe(0);
    expect(r.stdout).toMatch(new RegExp(`not every required job succeeded: plan=${result}`));
  });

  test('fails when no job result is present at all', () => {
    expect(run({}).status).not.toBe(0);
  });
});

describe('sticky PR comment', () => {
  const script = () => String((stepOf('comment', /Create or update/).with as Record<string, string>).script);

  interface Comment {
    id: number;
    body: string;
    user: { login: string };
  }
  function fakeGitHub(comments: Comment[]) {
    let next = 1000;
    const calls: string[] = [];
    const rest = {
      issues: {
        listComments: async () => ({ data: comments }),
        updateComment: async (a: { comment_id: number; body: string }) => {
          calls.push(`update ${a.comment_id}`);
          comments.find((c) => c.id === a.comment_id)!.body = a.body;
        },
        createComment: async (a: { body: string }) => {
          calls.push('create');
          const c = { id: next++, body: a.body, user: { login: 'github-actions[bot]' } };
          comments.push(c);
          return { data: c };
        },
      },
    };
    const github = {
      rest,
      paginate: async (fn: () => Promise<{ data: Comment[] }>) => (await fn()).data.slice(),
    };
    return { github, calls };
  }

  async function runScript(dir: string, comments: Comment[]) {
    const { github, calls } = fakeGitHub(comments);
    const failed: string[] = [];
    const core = { setFailed: (m: string) => failed.push(m), info: () => undefined };
    const context = {
      repo: { owner: 'kfm', repo: 'kfm-infra' },
      payload: { pull_request: { number: 7 } },
      sha: 'a'.repeat(40),
      runId: 42,
      serverUrl: 'https://github.com',
    };
    const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor as new (
      ...args: string[]
    ) => (...a: unknown[]) => Promise<void>;
    const fn = new AsyncFunction('require', 'github', 'context', 'core', script());
    const cwd = process.cwd();
    process.chdir(dir);
    try {
      await fn(require, github, context, core);
    } finally {
      process.chdir(cwd);
    }
    return { calls, failed };
  }

  const made: string[] = [];
  afterAll(() => made.forEach((d) => fs.rmSync(d, { recursive: true, force: true })));

  /** The comment-body job's artifact: a rendered comment of `n` characters (none when undefined). */
  function artifacts(n?: number): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kfm-comment-'));
    made.push(dir);
    if (n !== undefined) {
      fs.mkdirSync(path.join(dir, 'artifacts'), { recursive: true });
      const head = '<!-- kfm-plan-receipt -->\n## kfm plan receipts\n\n### `prod`\n\n';
      fs.writeFileSync(path.join(dir, 'artifacts', 'comment.md'), head + 'x'.repeat(Math.max(0, n - head.length)));
    }
    return dir;
  }

  test('creates one comment, then updates the same one on the next push', async () => {
    const dir = artifacts(300);
    const comments: Comment[] = [{ id: 1, body: 'LGTM', user: { login: 'alice' } }];
    const first = await runScript(dir, comments);
    expect(first).toEqual({ calls: ['create'], failed: [] });
    const second = await runScript(dir, comments);
    expect(second).toEqual({ calls: ['update 1000'], failed: [] });
    expect(comments).toHaveLength(2);
    expect(comments[1].body.startsWith('<!-- kfm-plan-receipt -->')).toBe(true);
    expect(comments[1].body).toContain('### `prod`');
    expect(comments[1].body).toMatch(/evidence-report-\*.*deploy run/);
  });

  test("never takes over someone else's comment that quotes the marker", async () => {
    const comments: Comment[] = [{ id: 5, body: '<!-- kfm-plan-receipt --> copied', user: { login: 'mallory' } }];
    const r = await runScript(artifacts(100), comments);
    expect(r.calls).toEqual(['create']);
    expect(comments[0].body).toBe('<!-- kfm-plan-receipt --> copied');
  });

  test('says so, linking the run, when no comment was rendered', async () => {
    const comments: Comment[] = [];
    await runScript(artifacts(), comments);
    expect(comments[0].body).toMatch(
      /^<!-- kfm-plan-receipt -->\n## kfm plan receipts for a{12}\n\nNo comment was rendered/,
    );
    expect(comments[0].body).toContain('/actions/runs/42');
  });

  test('a comment rendered at its --max-chars fits under 65,536 characters with the footer; more is refused', async () => {
    const max = Number(/receipt comment[\s\S]*?--max-chars (\d+)/.exec(stepOf('comment-body', /Render/).run!)![1]);
    const comments: Comment[] = [];
    const ok = await runScript(artifacts(max), comments);
    expect(ok.failed).toEqual([]);
    expect(comments[0].body.length).toBeLessThanOrEqual(65536);
    const tooBig = await runScript(artifacts(66000), []);
    expect(tooBig.failed[0]).toMatch(/over GitHub's 65536/);
    expect(tooBig.calls).toEqual([]);
  });
});
