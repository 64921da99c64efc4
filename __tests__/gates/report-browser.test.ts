/**
 * The auditor's page (`kfm report`) in a real browser: headless Chromium (started once for the
 * file) loads it with no console error and no network request, the verdicts are in the DOM, and
 * at 1024 and 1600 px nothing runs past its box, nothing breaks letter by letter, digests are
 * whole and the summary is above the fold. A 1,000-entry ledger (signed in-process) gives an
 * index page and per-commit pages, each under 5 MB. Plus the page's own promises:
 * self-contained, every value escaped, a plan's exposure changes shown.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { keypair, kfm, PROV, REPO, TF, tmp } from '../receipts/helpers';
import { renderReport, renderReportHtml, SINGLE_PAGE_BUDGET } from '../../gates/report-html';
import { reportInputOf } from '../../gates/report';
import { layoutOf } from '../../cli/commands/report';
import { classifyEntries } from '../../gates/evidence';
import { Browser, chromiumPath } from './support/cdp';
import { manyCommits } from './support/big-ledger';
import { ci } from './support/evidence';
import { measureReport, ReportLayout } from './support/report-layout';
import { richInput } from './support/report-inputs';

/** One headless Chromium for the whole file, one tab; every request it is asked to make is logged. */
let browser: Browser;
let sessionId: string;
beforeAll(async () => {
  browser = Browser.launch(chromiumPath());
  const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
  ({ sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true }));
  for (const m of ['Page.enable', 'Runtime.enable', 'Log.enable', 'Network.enable'])
    await browser.send(m, {}, sessionId);
}, 120_000);
afterAll(async () => browser?.close());
/** The CLI-made page of the first describe (its path, for the request log). */
let firstPage = '';
const page0 = () => firstPage;
const requestsBesides = (pages: readonly string[]) =>
  browser.events
    .filter((e) => e.method === 'Network.requestWillBeSent')
    .map((e) => e.params.request.url as string)
    .filter((u) => !pages.map((p) => pathToFileURL(p).href).includes(u));

const PLAN = join(TF, 'generated-tf1.11.4', 'lifecycle', '2-change.show-plan.json');
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

describe('kfm report', () => {
  const keys = keypair();
  const d = tmp('kfm-report-');
  const store = join(d, 'audit');
  const page = join(d, 'report.html');
  firstPage = page;
  beforeAll(() => {
    const plan = join(d, 'dev.plan.json');
    expect(kfm(['receipt', 'plan', PLAN, '--env', 'dev', '--key', keys.key, '--out', plan, ...PROV]).status).toBe(0);
    const smoke = (env: string, result: string) => {
      const f = join(d, `${env}.smoke.json`);
      const r = kfm([
        'record',
        'smoke',
        '--env',
        env,
        '--check',
        `health=${result}`,
        '--key',
        keys.key,
        '--out',
        f,
        '--commit',
        COMMIT,
      ]);
      expect(r.stderr).toBe('');
      return f;
    };
    expect(kfm(['audit', 'append', '--init', plan, smoke('dev', 'pass'), smoke('stage', 'fail'), '--store', store]).status).toBe(
      0,
    );
    const synth = join(d, 'cdk.tf.json');
    writeFileSync(
      synth,
      JSON.stringify({
        resource: {
          terraform_data: { to_delete: { '//': { metadata: { path: 'dev/ToDelete' } }, input: 'KFM-NOT-SHOWN' } },
        },
      }),
    );
    const r = kfm(['report', '--store', store, '--pub', keys.pub, '--synth', `dev=${synth}`, '--out', page]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/1 commit\(s\), 3 record\(s\), ledger verifies/);
  });

  it('is one self-contained page: inline CSS, no script, nothing fetched from anywhere', () => {
    const html = readFileSync(page, 'utf8');
    expect(html).not.toMatch(/<script|<link|<img|<iframe|@import|url\(/i);
    expect(html).not.toMatch(/src\s*=/i);
    // Links only within the page: the index to each commit's section, words to the glossary.
    const hrefs = [...html.matchAll(/href\s*=\s*"([^"]*)"/gi)].map((m) => m[1]!);
    expect(hrefs.length).toBeGreaterThan(0);
    expect(hrefs.filter((h) => !/^#[a-z0-9-]+$/.test(h))).toEqual([]);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it("lists each plan's destructive changes with their construct paths, never a value", () => {
    const html = readFileSync(page, 'utf8');
    expect(html).toContain('9 destructive change(s)');
    expect(html).toMatch(
      /<b>delete<\/b> <code>terraform_data\.<wbr>to_delete<\/code> <span class="construct">\(dev\/<wbr>ToDelete\)<\/span>/,
    );
    expect(html).not.toContain('KFM-NOT-SHOWN');
  });

  it('refuses to overwrite --out (exit 2) and writes nothing', () => {
    const synth = join(d, 'cdk.tf.json');
    writeFileSync(
      synth,
      JSON.stringify({
        resource: {
          terraform_data: { to_delete: { '//': { metadata: { path: 'dev/ToDelete' } }, input: 'KFM-NOT-SHOWN' } },
        },
      }),
    );
    const r = kfm(['report', '--store', store, '--pub', keys.pub, '--synth', `dev=${synth}`, '--out', page]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/already exists/);
  });

  it('escapes every value from the ledger', () => {
    const evil = '<img src=x onerror=alert(1)>';
    const html = renderReportHtml({
      store: evil,
      commits: ['abcdef0'],
      evidence: [
        {
          seq: 1,
          digest: `sha256:${'0'.repeat(64)}`,
          predicateType: 'https://kfm.dev/receipts/approval/v1',
          predicate: { env: 'dev', repo: { commit: 'abcdef0' }, principal: evil },
          subject: [],
          signer: evil,
        },
        {
          seq: 2,
          digest: `sha256:${'1'.repeat(64)}`,
          predicateType: 'https://kfm.dev/receipts/plan/v1',
          predicate: {
            env: 'dev',
            repo: { commit: 'abcdef0' },
            changes: [{ address: evil, action: 'delete' }],
            exposure: [{ address: evil, type: evil, removed: [evil], added: [evil] }],
            timestamps: { planned: evil },
          },
          subject: [{ name: evil }],
          signer: evil,
        },
      ],
      constructPaths: new Map([['dev', new Map([[evil, evil]])]]),
      gates: new Map([
        [
          'abcdef0',
          [{ allowed: false, to: 'stage', commit: 'abcdef0', items: [{ requirement: evil, ok: false, detail: evil }] }],
        ],
      ]),
      ledger: {
        ok: true,
        size: 1,
        root: evil,
        problems: [evil],
        checkpoints: [{ source: evil, size: 1, ok: true, witnessed: true, cosigners: [evil] }],
      },
      rejected: 0,
    });
    expect(html).toContain('1 exposure change(s)');
    expect(html).toContain('1 destructive change(s)');
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
  });

  it('loads in headless Chromium with no console error and no network request; verdicts in the DOM', async () => {
    const url = pathToFileURL(page).href;
    const loaded = browser.waitFor('Page.loadEventFired');
    await browser.send('Page.navigate', { url }, sessionId);
    await loaded;
    const evaluate = async (expression: string) =>
      (await browser.send('Runtime.evaluate', { expression, returnByValue: true }, sessionId)).result.value;
    const dom = await evaluate(`JSON.stringify({
      ledger: document.querySelector('section.ledger').dataset.ok,
      tiers: [...document.querySelectorAll('.commit .tier')].map((t) => t.dataset.env),
      gates: [...document.querySelectorAll('.gate')].map((g) => [g.dataset.to, g.dataset.allowed, g.querySelector('.verdict').textContent]),
      records: [...document.querySelectorAll('tr[data-kind]')].map((r) => [r.closest('.tier').dataset.env, r.dataset.kind, r.dataset.verdict]),
      statements: document.querySelectorAll('details.statement pre').length,
      commit: document.querySelector('.commit').dataset.commit,
      index: [...document.querySelectorAll('table.index a')].map((a) => a.getAttribute('href')),
      decisions: [...document.querySelectorAll('.summary .decision')].map((d) => [d.dataset.to, d.dataset.allowed, d.dataset.blocked]),
      glossary: [...document.querySelectorAll('.glossary dt')].map((d) => d.textContent),
    })`);
    expect(JSON.parse(dom)).toEqual({
      ledger: 'true',
      tiers: ['dev', 'stage', 'prod'],
      gates: [
        ['stage', 'false', 'BLOCKED'],
        ['prod', 'false', 'BLOCKED'],
      ],
      records: [
        ['dev', 'plan', 'no policy'],
        ['dev', 'smoke', 'pass'],
        ['stage', 'smoke', 'fail'],
      ],
      statements: 3,
      commit: COMMIT,
      index: [`#c-${COMMIT}`],
      decisions: [
        ['stage', '0', '1'],
        ['prod', '0', '1'],
      ],
      glossary: expect.arrayContaining([
        'root',
        'checkpoint',
        'consistent',
        'witness',
        'cosignature',
        'receipt',
        'gate',
      ]),
    });
    const shot = await browser.send(
      'Page.captureScreenshot',
      { format: 'png', captureBeyondViewport: true },
      sessionId,
    );
    const outDir = join(REPO, 'test-output');
    mkdirSync(outDir, { recursive: true });
    const png = Buffer.from(shot.data, 'base64');
    writeFileSync(join(outDir, 'report-browser.png'), png);
    expect(png.subarray(1, 4).toString()).toBe('PNG');
    expect(requestsBesides([page])).toEqual([]);
    const errors = browser.events.filter(
      (e) =>
        e.method === 'Runtime.exceptionThrown' ||
        (e.method === 'Runtime.consoleAPICalled' && ['error', 'warning', 'assert'].includes(e.params.type)) ||
        (e.method === 'Log.entryAdded' && ['error', 'warning'].includes(e.params.entry.level)),
    );
    expect(errors).toEqual([]);
  }, 120_000);

  it('--pages DIR writes each commit as its own page, linked both ways; never into an existing DIR', () => {
    const index = join(d, 'split.html');
    const pages = join(d, 'split-pages');
    const r = kfm(['report', '--store', store, '--pub', keys.pub, '--out', index, '--pages', pages]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain(`1 per-commit page(s) in ${pages}`);
    expect(readdirSync(pages)).toEqual([`${COMMIT}.html`]);
    expect(readFileSync(index, 'utf8')).toContain(`href="split-pages/${COMMIT}.html"`);
    expect(readFileSync(index, 'utf8')).not.toContain('<section class="commit"');
    const one = readFileSync(join(pages, `${COMMIT}.html`), 'utf8');
    expect(one).toContain('href="../split.html"');
    expect(one).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
    const again = kfm([
      'report',
      '--store',
      store,
      '--pub',
      keys.pub,
      '--out',
      join(d, 'other.html'),
      '--pages',
      pages,
    ]);
    expect(again.status).toBe(2);
    expect(again.stderr).toMatch(/split-pages: already exists; refusing to overwrite the per-commit pages/);
    expect(existsSync(join(d, 'other.html'))).toBe(false);
  });
});

describe('where the per-commit pages go', () => {
  it('beside --out, in its name with .commits, unless --pages names a directory; links relative both ways', () => {
    expect(layoutOf('out/evidence-report-prod.html', undefined)).toEqual({
      dir: 'out/evidence-report-prod.commits',
      layout: { split: 'auto', pagesHref: 'evidence-report-prod.commits', indexHref: '../evidence-report-prod.html' },
    });
    expect(layoutOf('a/report.html', 'b/commit pages')).toEqual({
      dir: 'b/commit pages',
      layout: { split: 'always', pagesHref: '../b/commit%20pages', indexHref: '../../a/report.html' },
    });
  });
});

describe('a plan receipt with exposure changes', () => {
  it('shows each changed resource with the facts removed and added, escaped', () => {
    const html = renderReportHtml(richInput());
    expect(html).toContain('3 exposure change(s)');
    expect(html).toMatch(/<code>ingress tcp 22 from 10\.0\.0\.0\/8<\/code>/);
    expect(html).toContain('<code>principal 210987654321 (cross-account)</code>');
    expect(html).toMatch(
      /<li class="bad"><code>encryption aws:kms<\/code><\/li><\/ul><\/td><td><ul class="facts"><li class="none">—<\/li>/,
    );
  });
});

describe('the report of a 1,000-entry ledger', () => {
  // Under test-output/ so scripts/report-screenshot.sh can picture it for docs/.
  const dir = join(REPO, 'test-output', 'report-1000');
  let rendered: ReturnType<typeof renderReport>;
  beforeAll(() => {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    const l = manyCommits(250);
    const { evidence, rejected } = classifyEntries(l.entries, [ci.trusted]);
    const input = reportInputOf({
      store: 's3://kfm-audit-ledger/prod',
      evidence,
      rejected,
      ledger: {
        ok: true,
        size: l.entries.length,
        root: 'Dd1MhTCelNyqZ6JUrDM8YzXJ9nmXQYaGmakCx4cxZyQ=',
        problems: [],
        checkpoints: [],
      },
    });
    expect(evidence).toHaveLength(1000);
    rendered = renderReport(input, { split: 'auto', pagesHref: 'report.commits', indexHref: '../report.html' });
    writeFileSync(join(dir, 'report.html'), rendered.index);
    mkdirSync(join(dir, 'report.commits'));
    for (const p of rendered.pages) writeFileSync(join(dir, 'report.commits', p.name), p.html);
  }, 120_000);

  it('is an index page and one page per commit, each under 5 MB, where one page would be over', () => {
    // `auto` splits only when the one page would be over SINGLE_PAGE_BUDGET (about 10.8 MB here).
    expect(rendered.pages).toHaveLength(250);
    const sizes = rendered.pages.map((p) => Buffer.byteLength(p.html));
    expect(Buffer.byteLength(rendered.index)).toBeLessThan(SINGLE_PAGE_BUDGET);
    expect(Math.max(...sizes)).toBeLessThan(SINGLE_PAGE_BUDGET);
    writeFileSync(
      join(dir, 'sizes.json'),
      JSON.stringify({
        index: Buffer.byteLength(rendered.index),
        largestPage: Math.max(...sizes),
        pages: sizes.reduce((a, b) => a + b, 0),
      }),
    );
  });

  it('the index links every commit to its page, newest first, and the summary counts every record', () => {
    const links = [...rendered.index.matchAll(/<a href="(report\.commits\/[0-9a-f]{40}\.html)">/g)].map((m) => m[1]);
    expect(links).toEqual(rendered.pages.map((p) => `report.commits/${p.name}`));
    expect(links[0]).toBe(`report.commits/${rendered.pages[0]!.commit}.html`);
    expect(rendered.index).toContain(
      '1000 trusted record(s) in the ledger: 250 plan, 250 apply, 250 drift, 250 smoke; this report covers 250 commit(s)',
    );
    expect(rendered.index).toMatch(/Into prod: <span class="bad">0 of 250 commit\(s\) allowed/);
  });

  describe.each([
    [1024, 768],
    [1600, 900],
  ])('in Chromium at %i x %i px', (width, height) => {
    const shots = join(REPO, 'test-output');
    const check = (l: ReportLayout) => {
      expect(l.overflowing).toEqual([]);
      expect(l.pageScrollsSideways).toBe(false);
      expect(l.brokenWords).toEqual([]);
      expect(l.cutDigests).toEqual([]);
      expect(l.wrappedTimes).toBe(0);
    };
    it('the index page: summary (proven and blocked) above the fold, nothing overflows or breaks letter by letter', async () => {
      mkdirSync(shots, { recursive: true });
      const l = await measureReport(
        browser,
        sessionId,
        join(dir, 'report.html'),
        width,
        height,
        join(shots, `report-index-${width}.png`),
      );
      check(l);
      expect(l.summaryTop).toBeLessThan(height / 4);
      expect(l.provenTop).toBeLessThan(height / 2);
      expect(l.blockedTop).toBeLessThan(height);
    }, 120_000);
    it('the CLI-made page of a real plan: destructive changes, construct paths', async () => {
      const l = await measureReport(browser, sessionId, page0(), width, height);
      check(l);
      expect(l.blockedTop).toBeLessThan(height);
      expect(l.statements).toBe(3);
    }, 120_000);
    it("a commit's page with its statements open", async () => {
      const one = join(dir, 'report.commits', rendered.pages[0]!.name);
      const l = await measureReport(browser, sessionId, one, width, height);
      check(l);
      expect(l.statements).toBe(4);
    }, 120_000);
    it('a page with an approval, witnessed checkpoints, long addresses and exposure changes', async () => {
      const rich = join(dir, 'rich.html');
      writeFileSync(rich, renderReportHtml(richInput()));
      const l = await measureReport(browser, sessionId, rich, width, height, join(shots, `report-rich-${width}.png`));
      check(l);
      expect(l.blockedTop).toBeLessThan(height);
      expect(
        requestsBesides([
          page0(),
          join(dir, 'report.html'),
          join(dir, 'report.commits', rendered.pages[0]!.name),
          rich,
        ]),
      ).toEqual([]);
    }, 120_000);
  });
});

describe('where the report is published', () => {
  const deploy = readFileSync(join(REPO, '.github', 'workflows', 'deploy.yml'), 'utf8');
  it('deploy.yml writes it after verifying the ledger and uploads it, in dev, stage and prod', () => {
    // The trust flags come from the scripts' one reading (keyed --pub, or keyless --log-pub and identities),
    // and the witnesses' keys and quorum, so the report checks cosignatures as the gates do.
    expect(deploy.match(/mapfile -t trust < <\(kfm_gate_trust_args\)\n\s+mapfile -t witnesses < <\(kfm_witness_args verify\)\n/g)).toHaveLength(3);
    expect(deploy.match(/cli\.js report --store "\$KFM_AUDIT_STORE" "\$\{trust\[@\]\}" "\$\{witnesses\[@\]\}"/g)).toHaveLength(3);
    expect(deploy.match(/name: evidence-report-\$\{\{ env\.KFM_ENV \}\}/g)).toHaveLength(3);
    expect(deploy.match(/--synth "\$KFM_ENV=cdktf\.out\/stacks\/\$KFM_ENV\/cdk\.tf\.json"/g)).toHaveLength(3);
  });
  it('the PR comment links it', () => {
    expect(readFileSync(join(REPO, '.github', 'workflows', 'pr.yml'), 'utf8')).toMatch(
      /evidence-report-\*.*deploy run/,
    );
  });
});
