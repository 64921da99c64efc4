/**
 * The auditor's page (`kfm report`) in a real browser: headless Chromium loads it with no console
 * error and no network request, the verdicts are in the DOM, and a screenshot is written to
 * test-output/. Plus the page's own promises: self-contained, every value escaped.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { keypair, kfm, PROV, REPO, TF, tmp } from '../receipts/helpers';
import { renderReportHtml } from '../../gates/report-html';
import { Browser, chromiumPath } from './support/cdp';

const PLAN = join(TF, 'generated-tf1.11.4', 'lifecycle', '2-change.show-plan.json');
const COMMIT = '0123456789abcdef0123456789abcdef01234567';

describe('kfm report', () => {
  const keys = keypair();
  const d = tmp('kfm-report-');
  const store = join(d, 'audit');
  const page = join(d, 'report.html');
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
    expect(html).not.toMatch(/(src|href)\s*=/i);
    expect(html).toContain(`content="default-src 'none'; style-src 'unsafe-inline'"`);
  });

  it("lists each plan's destructive changes with their construct paths, never a value", () => {
    const html = readFileSync(page, 'utf8');
    expect(html).toContain('9 destructive change(s)');
    expect(html).toMatch(
      /<b>delete<\/b> <code>terraform_data\.to_delete<\/code> <span class="construct">\(dev\/ToDelete\)<\/span>/,
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
      ],
      gates: new Map([
        [
          'abcdef0',
          [{ allowed: false, to: 'stage', commit: 'abcdef0', items: [{ requirement: evil, ok: false, detail: evil }] }],
        ],
      ]),
      ledger: { ok: true, size: 1, root: evil, problems: [evil], checkpoints: [{ source: evil, size: 1, ok: true }] },
      rejected: 0,
    });
    expect(html).not.toContain('<img');
    expect(html).toContain('&#60;img src=x onerror=alert(1)&#62;');
  });

  it('loads in headless Chromium with no console error and no network request; verdicts in the DOM', async () => {
    const browser = Browser.launch(chromiumPath());
    try {
      const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
      const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
      for (const m of ['Page.enable', 'Runtime.enable', 'Log.enable', 'Network.enable'])
        await browser.send(m, {}, sessionId);
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
        statements: document.querySelectorAll('tr[data-kind] details pre').length,
        commit: document.querySelector('.commit').dataset.commit,
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
      const requests = browser.events
        .filter((e) => e.method === 'Network.requestWillBeSent')
        .map((e) => e.params.request.url as string)
        .filter((u) => u !== url);
      expect(requests).toEqual([]);
      const errors = browser.events.filter(
        (e) =>
          e.method === 'Runtime.exceptionThrown' ||
          (e.method === 'Runtime.consoleAPICalled' && ['error', 'warning', 'assert'].includes(e.params.type)) ||
          (e.method === 'Log.entryAdded' && ['error', 'warning'].includes(e.params.entry.level)),
      );
      expect(errors).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});

describe('where the report is published', () => {
  const deploy = readFileSync(join(REPO, '.github', 'workflows', 'deploy.yml'), 'utf8');
  it('deploy.yml writes it after verifying the ledger and uploads it, in dev, stage and prod', () => {
    expect(deploy.match(/cli\.js report --store "\$KFM_AUDIT_STORE" --pub "\$KFM_PUB"/g)).toHaveLength(3);
    expect(deploy.match(/name: evidence-report-\$\{\{ env\.KFM_ENV \}\}/g)).toHaveLength(3);
    expect(deploy.match(/--synth "\$KFM_ENV=cdktf\.out\/stacks\/\$KFM_ENV\/cdk\.tf\.json"/g)).toHaveLength(3);
  });
  it('the PR comment links it', () => {
    expect(readFileSync(join(REPO, '.github', 'workflows', 'pr.yml'), 'utf8')).toMatch(
      /evidence-report-\*.*deploy run/,
    );
  });
});
