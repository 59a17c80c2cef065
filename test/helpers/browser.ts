import { describe } from 'bun:test';
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/**
 * Browser tests need Debian's Chromium. CI installs it (see .ci/run) and must run them; on a
 * developer machine without it they are skipped with a note rather than failing the suite.
 */
export const BROWSER_AVAILABLE = existsSync(CHROMIUM);
if (!BROWSER_AVAILABLE) {
  if (process.env.CI) throw new Error(`${CHROMIUM} is missing: CI must run the browser tests (apt-get install -y chromium)`);
  console.warn(`skipping browser tests: ${CHROMIUM} is missing (apt-get install -y chromium)`);
}
export const describeBrowser = BROWSER_AVAILABLE ? describe : describe.skip;
export const SCREENSHOT_DIR = resolve(import.meta.dir, '../../test-artifacts/screenshots');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export interface WatchedPage {
  context: BrowserContext;
  page: Page;
  /** console errors (of the first page's origin), page errors and failed same-origin requests seen so far */
  problems: string[];
  /**
   * Resolves once no request of the page has been open for 100 ms (bounded: 15 s), then after the
   * next frame: the data a page fetched is on screen. Playwright's 'networkidle' waits 500 ms.
   */
  settled(): Promise<void>;
}

/** A fresh context (own storage) whose console errors and uncaught exceptions are collected. */
export async function openPage(browser: Browser, opts: { viewport?: { width: number; height: number }; locale?: string } = {}): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: opts.viewport ?? DESKTOP, locale: opts.locale ?? 'en-US' });
  const page = await context.newPage();
  const problems: string[] = [];
  // the origin of the first page opened: what another site logs (the PayPal simulator's approval
  // page asking for its favicon) is not ours to judge, and it may arrive at any moment
  let home: string | undefined;
  page.on('framenavigated', (frame) => {
    if (home === undefined && frame === page.mainFrame() && frame.url().startsWith('http')) home = new URL(frame.url()).origin;
  });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    const where = message.location().url;
    if (home !== undefined && where.startsWith('http') && new URL(where).origin !== home) return;
    problems.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
  let open = 0;
  let lastChange = Date.now();
  const change = (delta: number) => {
    open += delta;
    lastChange = Date.now();
  };
  page.on('request', () => change(1));
  page.on('requestfinished', () => change(-1));
  page.on('requestfailed', () => change(-1));
  const settled = async () => {
    for (let i = 0; i < 300 && (open > 0 || Date.now() - lastChange < 100); i++) await Bun.sleep(25);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
  };
  return { context, page, problems, settled };
}

/** A screenshot in test-artifacts/screenshots/NAME.png, of the whole page unless `fullPage` is false. */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<string> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  // from the top, so the sticky header sits where it belongs in a full-page capture
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path, fullPage: opts.fullPage ?? true });
  return path;
}

/** True when the page is wider than the viewport (horizontal scrolling). */
export async function overflowsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
}

/**
 * Everything that is wider than its room: the page itself, any box whose content scrolls or is cut
 * sideways (overflow: auto hides an overflowing table from the page's own width; a text field's
 * own long value doesn't count), and any visible element that sticks out past the viewport's sides. Visually hidden elements (1 px, clipped) don't
 * count. An empty list means nothing scrolls sideways anywhere.
 */
export async function sidewaysOverflow(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const root = document.documentElement;
    const vw = root.clientWidth;
    const found: string[] = [];
    if (root.scrollWidth > vw + 1) found.push(`the page: ${root.scrollWidth} px in a ${vw} px viewport`);
    const name = (el: Element) => `${el.tagName.toLowerCase()}${el.id ? `#${el.id}` : ''}${el.classList.length ? `.${[...el.classList].join('.')}` : ''}`;
    const hidden = (el: Element) => {
      for (let node: Element | null = el; node; node = node.parentElement) {
        const box = node.getBoundingClientRect();
        if (box.width <= 1 || box.height <= 1) return true;
      }
      return false;
    };
    for (const el of Array.from(document.body.querySelectorAll('*'))) {
      const style = getComputedStyle(el);
      if (style.display === 'none' || style.visibility === 'hidden') continue;
      const box = el.getBoundingClientRect();
      if (box.width <= 1 || box.height <= 1) continue;
      // a text field scrolls its own long value: that is how fields work, not a layout overflow
      const clips = ['auto', 'scroll', 'hidden', 'clip'].includes(style.overflowX) && !el.matches('input, textarea, select');
      if (clips && el.scrollWidth > el.clientWidth + 1 && !hidden(el)) found.push(`${name(el)}: content ${el.scrollWidth} px in ${el.clientWidth} px`);
      else if ((box.right > vw + 1 || box.left < -1) && !hidden(el)) found.push(`${name(el)}: from ${Math.round(box.left)} to ${Math.round(box.right)} px of ${vw}`);
    }
    return found.slice(0, 10);
  });
}
