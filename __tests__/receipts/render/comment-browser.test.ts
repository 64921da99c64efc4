/**
 * The PR comment as a reviewer sees it: cmark-gfm's HTML with GitHub's markdown layout rules in
 * headless Chromium, at 1024 px and 1600 px. No text runs past its box, no word breaks letter by
 * letter, no table scrolls sideways, and prod (its summary row and its section) is above the fold.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { keypair, kfm, REPO, tmp } from '../helpers';
import { DESTROY_350, ENVS, receiptOf, REVIEW, synthOf } from './comment-support';
import { commentPage, Layout, measure } from './gfm-browser';

const keys = keypair();
const dir = tmp('kfm-comment-browser-');
const OUT = join(REPO, 'test-output');
const FOLD = 800; // the viewport's height

function comment(prodPlan: string, name: string): string {
  const plans: Record<string, string> = {
    dev: join(REVIEW, 'dev.plan.json'),
    stage: join(REVIEW, 'stage.plan.json'),
    prod: prodPlan,
  };
  const args = ['receipt', 'comment', '--pub', keys.pub, '--docs-base', 'https://github.com/o/r/blob/abc/docs'];
  for (const env of ENVS)
    args.push(
      '--receipt',
      `${env}=${receiptOf(plans[env]!, env, keys.key, dir, `${name}-${env}`)}`,
      '--plan',
      `${env}=${plans[env]}`,
      '--synth',
      `${env}=${synthOf(env)}`,
    );
  const r = kfm([...args, '--run-url', 'https://github.com/o/r/actions/runs/9', '--max-chars', '64000']);
  if (r.status !== 0) throw new Error(r.stderr);
  writeFileSync(join(dir, `${name}.md`), r.stdout);
  return r.stdout;
}

const readable = (l: Layout) => ({
  width: l.width,
  overflowing: l.overflowing,
  brokenWords: l.brokenWords,
  scrollingTables: l.scrollingTables,
  prodAboveTheFold: l.prodTop > 0 && l.prodTop < FOLD,
});

describe('the PR comment in Chromium, as GitHub renders it', () => {
  beforeAll(() => mkdirSync(OUT, { recursive: true }));

  it.each([
    ['three tiers, prod failing the policy', 'tiers', () => join(REVIEW, 'prod-unencrypted.plan.json')],
    ['prod with 350 destroys and 20 forgets', 'destroy-350', () => DESTROY_350],
  ])(
    '%s: readable at 1024 px and 1600 px, prod above the fold',
    async (_, name, plan) => {
      const md = comment(plan(), name);
      const layouts = await measure(commentPage(md, join(dir, `pr-comment-${name}.html`)), [1024, 1600], OUT);
      writeFileSync(
        join(OUT, `pr-comment-${name}.json`),
        JSON.stringify({ bytes: Buffer.byteLength(md), layouts }, null, 2),
      );
      for (const l of layouts)
        expect(readable(l)).toEqual({
          width: l.width,
          overflowing: [],
          brokenWords: [],
          scrollingTables: 0,
          prodAboveTheFold: true,
        });
    },
    180_000,
  );

  it('the measure can fail: a word broken letter by letter, text past its box, a wide table, prod buried', async () => {
    const wide = `| ${Array.from({ length: 14 }, (_, i) => `column${i}`).join(' | ')} |\n|${' --- |'.repeat(14)}\n| ${Array.from({ length: 14 }, () => '<code>aws&#95;s3&#95;bucket&#95;policy</code>').join(' | ')} |`;
    const md = [
      '<p style="width: 30px; word-break: break-all">averyveryverylongword</p>',
      '<p style="width: 100px; white-space: nowrap; overflow: hidden">a line of text far wider than its box</p>',
      wide,
      'long paragraph\n\n'.repeat(60),
      '### prod',
    ].join('\n\n');
    const [l] = await measure(commentPage(md, join(dir, 'bad.html')), [1024]);
    expect(readable(l!)).toEqual({
      width: 1024,
      overflowing: ['p: a line of text far wider than its box'],
      brokenWords: [expect.stringMatching(/^p: averyveryverylongword \(\d+ lines\)$/)],
      scrollingTables: 1,
      prodAboveTheFold: false,
    });
  }, 120_000);
});
