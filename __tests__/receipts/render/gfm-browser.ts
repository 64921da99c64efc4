/**
 * A PR comment as GitHub shows it: markdown → HTML by cmark-gfm (Debian's, GitHub's own fork of
 * cmark, with the table, autolink, strikethrough and tagfilter extensions, raw HTML kept as GitHub
 * keeps <details> and <code>), styled by the rules of github-markdown-css that decide layout, in a
 * column as wide as a PR timeline comment beside the sidebar; then measured in headless Chromium.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Browser, chromiumPath } from '../../gates/support/cdp';

let cmarkBin: string | undefined;

/** The cmark-gfm binary, installed by scripts/cmark-gfm.sh if missing; throws loudly if it cannot be. */
function cmarkGfm(): string {
  if (cmarkBin) return cmarkBin;
  const r = spawnSync('bash', [join(__dirname, '..', '..', '..', 'scripts', 'cmark-gfm.sh')], { encoding: 'utf8', timeout: 600_000 });
  if (r.status !== 0) throw new Error(`CMARK-GFM UNAVAILABLE (apt-get install cmark-gfm): ${r.stderr}`);
  cmarkBin = r.stdout.trim();
  return cmarkBin;
}

/** cmark-gfm's HTML of a comment. Throws when cmark-gfm cannot be installed. */
export function gfmHtml(md: string): string {
  const r = spawnSync(
    cmarkGfm(),
    ['--unsafe', '-e', 'table', '-e', 'autolink', '-e', 'strikethrough', '-e', 'tagfilter', '--github-pre-lang'],
    { input: md, encoding: 'utf8', maxBuffer: 64 << 20 },
  );
  if (r.error || r.status !== 0)
    throw new Error(`CMARK-GFM UNAVAILABLE (apt-get install cmark-gfm): ${r.error?.message ?? r.stderr}`);
  return r.stdout;
}

/** The layout rules of github-markdown-css (5.x) and of a PR timeline comment. */
export const GITHUB_CSS = `
* { box-sizing: border-box; }
body { margin: 0; background: #fff; }
.page { max-width: 1280px; margin: 0 auto; padding: 0 24px; display: flex; gap: 24px; }
.timeline { flex: 1 1 auto; min-width: 0; padding-left: 56px; }
.sidebar { flex: 0 0 272px; }
.comment { border: 1px solid #d0d7de; border-radius: 6px; padding: 16px; }
.markdown-body { font-family: -apple-system, BlinkMacSystemFont, "Segoe UI", "Noto Sans", Helvetica, Arial, sans-serif;
  font-size: 14px; line-height: 1.5; word-wrap: break-word; color: #1f2328; }
.markdown-body h2, .markdown-body h3, .markdown-body h4, .markdown-body h5 { margin-top: 24px; margin-bottom: 16px; font-weight: 600; line-height: 1.25; }
.markdown-body h2 { font-size: 1.5em; padding-bottom: .3em; border-bottom: 1px solid #d8dee4; }
.markdown-body h3 { font-size: 1.25em; } .markdown-body h4 { font-size: 1em; } .markdown-body h5 { font-size: .875em; }
.markdown-body p, .markdown-body ul, .markdown-body table, .markdown-body details, .markdown-body blockquote { margin-top: 0; margin-bottom: 16px; }
.markdown-body ul { padding-left: 2em; }
.markdown-body code { padding: .2em .4em; margin: 0; font-size: 85%; white-space: break-spaces; background: rgba(175,184,193,.2); border-radius: 6px;
  font-family: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace; }
.markdown-body table { display: block; width: max-content; max-width: 100%; overflow: auto; border-spacing: 0; border-collapse: collapse; }
.markdown-body td, .markdown-body th { padding: 6px 13px; border: 1px solid #d0d7de; }
.markdown-body th { font-weight: 600; }
.markdown-body blockquote { padding: 0 1em; color: #59636e; border-left: .25em solid #d0d7de; }
.markdown-body hr { height: .25em; padding: 0; margin: 24px 0; background: #d0d7de; border: 0; }
`;

/** A page holding the comment, as a file Chromium loads. */
export function commentPage(md: string, file: string): string {
  writeFileSync(
    file,
    `<!doctype html><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">` +
      `<style>${GITHUB_CSS}</style><div class="page"><div class="timeline"><div class="comment markdown-body">${gfmHtml(md)}</div></div><div class="sidebar"></div></div>`,
  );
  return file;
}

export interface Layout {
  readonly width: number;
  /** Rendered height of the comment box, px. */
  readonly height: number;
  /** Top of the first heading naming prod, px from the top of the page (-1 if none). */
  readonly prodTop: number;
  /** Elements whose text runs past their box (not counting a table scrolling in its own box). */
  readonly overflowing: string[];
  /** Tables wider than the comment (they scroll sideways, as on GitHub). */
  readonly scrollingTables: number;
  /** Elements whose words break letter by letter (fewer than 4 characters a line). */
  readonly brokenWords: string[];
}

/** Measure the page at each width (viewport height 800): overflow, broken words, where prod starts. */
export async function measure(page: string, widths: readonly number[], shotDir?: string): Promise<Layout[]> {
  const browser = Browser.launch(chromiumPath());
  try {
    const { targetId } = await browser.send('Target.createTarget', { url: 'about:blank' });
    const { sessionId } = await browser.send('Target.attachToTarget', { targetId, flatten: true });
    await browser.send('Page.enable', {}, sessionId);
    const out: Layout[] = [];
    for (const width of widths) {
      await browser.send(
        'Emulation.setDeviceMetricsOverride',
        { width, height: 800, deviceScaleFactor: 1, mobile: false },
        sessionId,
      );
      const loaded = browser.waitFor('Page.loadEventFired');
      await browser.send('Page.navigate', { url: pathToFileURL(page).href }, sessionId);
      await loaded;
      const r = await browser.send('Runtime.evaluate', { expression: MEASURE, returnByValue: true }, sessionId);
      out.push({ width, ...JSON.parse(r.result.value) });
      if (shotDir) {
        const shot = await browser.send('Page.captureScreenshot', { format: 'png' }, sessionId);
        writeFileSync(
          join(shotDir, `${page.replace(/^.*\//, '').replace(/\.html$/, '')}-${width}.png`),
          Buffer.from(shot.data, 'base64'),
        );
      }
    }
    return out;
  } finally {
    await browser.close();
  }
}

const MEASURE = `(() => {
  const body = document.querySelector('.markdown-body');
  const name = (el) => el.tagName.toLowerCase() + ': ' + el.textContent.trim().slice(0, 60);
  const overflowing = [];
  const brokenWords = [];
  let scrollingTables = 0;
  for (const t of body.querySelectorAll('table')) if (t.scrollWidth > t.clientWidth + 1) scrollingTables++;
  for (const el of body.querySelectorAll('p, li, td, th, h2, h3, h4, h5, summary, blockquote, code')) {
    const inTable = el.closest('table');
    const box = el.getBoundingClientRect();
    const limit = (inTable ? el : body).getBoundingClientRect();
    if (!inTable && box.right > body.getBoundingClientRect().right + 1) overflowing.push(name(el));
    if (el.tagName !== 'CODE' && el.scrollWidth > el.clientWidth + 1 && getComputedStyle(el).display !== 'inline') overflowing.push(name(el));
    const text = el.textContent.trim();
    if (text.length < 8) continue;
    // Lines the text really takes: distinct tops of its line boxes (a cell's height is its row's).
    const range = document.createRange();
    range.selectNodeContents(el);
    const rects = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
    if (rects > 0 && text.length / rects < 4) brokenWords.push(name(el) + ' (' + rects + ' lines)');
  }
  const prod = [...body.querySelectorAll('h2, h3, h4')].find((h) => /\\bprod\\b/.test(h.textContent));
  const prodRow = [...body.querySelectorAll('td')].find((td) => td.textContent.trim() === 'prod');
  return JSON.stringify({
    height: Math.round(body.getBoundingClientRect().height),
    prodTop: prod ? Math.round(prod.getBoundingClientRect().top + scrollY) : -1,
    prodRowTop: prodRow ? Math.round(prodRow.getBoundingClientRect().top + scrollY) : -1,
    overflowing, scrollingTables, brokenWords,
  });
})()`;
