/**
 * The evidence report measured in headless Chromium (one browser per test file): at a given
 * viewport, with every <details> opened, what runs past its box, what breaks letter by letter,
 * whether digests are whole and where the summary is. Read from the DOM, not from pixels.
 */
import { writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { Browser } from './cdp';

export interface ReportLayout {
  readonly width: number;
  /** Elements whose content runs past their own box or past the page (a <pre> scrolls in its own box, by design). */
  readonly overflowing: string[];
  /** The page is wider than the viewport (it would scroll sideways). */
  readonly pageScrollsSideways: boolean;
  /** Words (4+ characters without a space) broken across lines; statements: fewer than 6 characters a line. */
  readonly brokenWords: string[];
  /** Digests not shown whole (`sha256:` and 64 hex digits). */
  readonly cutDigests: string[];
  /** Times (a record's, a tier's newest apply) taking more than one line. */
  readonly wrappedTimes: number;
  /** Top and bottom of the summary's two columns, px from the top of the page; -1 when absent. */
  readonly summaryTop: number;
  readonly provenTop: number;
  readonly blockedTop: number;
  readonly statements: number;
}

/** One tab on an open browser: load `page` at `width` x `height`, open every <details>, measure. */
export async function measureReport(
  browser: Browser,
  sessionId: string,
  page: string,
  width: number,
  height: number,
  shot?: string,
): Promise<ReportLayout> {
  await browser.send(
    'Emulation.setDeviceMetricsOverride',
    { width, height, deviceScaleFactor: 1, mobile: false },
    sessionId,
  );
  const loaded = browser.waitFor('Page.loadEventFired');
  await browser.send('Page.navigate', { url: pathToFileURL(page).href }, sessionId);
  await loaded;
  if (shot) {
    const png = await browser.send('Page.captureScreenshot', { format: 'png' }, sessionId);
    writeFileSync(shot, Buffer.from(png.data, 'base64'));
  }
  const r = await browser.send('Runtime.evaluate', { expression: MEASURE, returnByValue: true }, sessionId);
  if (r.exceptionDetails) throw new Error(JSON.stringify(r.exceptionDetails));
  return { width, ...JSON.parse(r.result.value) };
}

const MEASURE = `(() => {
  const top = (sel) => { const el = document.querySelector(sel); return el ? Math.round(el.getBoundingClientRect().top + scrollY) : -1; };
  const summaryTop = top('section.summary'), provenTop = top('.summary h3'), blockedTop = top('.summary .decision');
  for (const d of document.querySelectorAll('details')) d.open = true;
  const name = (el) => el.tagName.toLowerCase() + (el.className ? '.' + el.className : '') + ': ' + el.textContent.trim().slice(0, 70);
  const overflowing = [], brokenWords = [], cutDigests = [];
  for (const el of document.body.querySelectorAll('*')) {
    if (el.closest('pre') && el.tagName !== 'PRE') continue;
    const cs = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    if (box.width === 0) continue;
    if (box.right > document.documentElement.clientWidth + 1) overflowing.push(name(el) + ' (past the page)');
    const scrolls = cs.overflowX === 'auto' || cs.overflowX === 'scroll';
    if (cs.display !== 'inline' && !scrolls && el.scrollWidth > el.clientWidth + 1) overflowing.push(name(el));
    if (cs.display === 'inline') {
      const block = el.parentElement.closest('td, th, li, p, dd, dt, summary, h1, h2, h3, h4, div, pre');
      const limit = block && block.getBoundingClientRect();
      if (limit) for (const r of el.getClientRects()) if (r.right > limit.right + 1 && !block.closest('pre')) { overflowing.push(name(el) + ' (past ' + block.tagName + ')'); break; }
    }
  }
  // A word broken across lines: any run of 4+ characters without a space or hyphen (breaking after
  // a hyphen is a sensible point; times, where it is not, are checked on their own below) whose
  // glyphs sit on more than one line.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    if (n.parentElement.closest('pre')) continue;
    for (const m of n.textContent.matchAll(/[^\\s-]{4,}/g)) {
      const range = document.createRange();
      range.setStart(n, m.index);
      range.setEnd(n, m.index + m[0].length);
      const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
      if (lines > 1) brokenWords.push(name(n.parentElement) + ' [' + m[0].slice(0, 40) + '] (' + lines + ' lines)');
    }
  }
  // A statement's lines: each line box of a <pre> holds many characters, never one.
  for (const pre of document.querySelectorAll('pre')) {
    const range = document.createRange();
    range.selectNodeContents(pre);
    const lines = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size;
    if (pre.textContent.length / Math.max(lines, 1) < 6) brokenWords.push('pre (' + lines + ' lines)');
    if (pre.getBoundingClientRect().width < 600) brokenWords.push('pre narrower than 600 px');
  }
  for (const d of document.querySelectorAll('code.digest')) if (!/^sha256:[0-9a-f]{64}$/.test(d.textContent)) cutDigests.push(d.textContent);
  let wrappedTimes = 0;
  for (const td of document.querySelectorAll('td.time, .ts')) {
    const range = document.createRange();
    range.selectNodeContents(td);
    if (new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top))).size > 1) wrappedTimes++;
  }
  return JSON.stringify({
    overflowing: [...new Set(overflowing)].slice(0, 20), pageScrollsSideways: document.documentElement.scrollWidth > document.documentElement.clientWidth + 1,
    brokenWords: brokenWords.slice(0, 20), cutDigests: cutDigests.slice(0, 5), wrappedTimes,
    summaryTop, provenTop, blockedTop, statements: document.querySelectorAll('details.statement pre').length,
  });
})()`;
