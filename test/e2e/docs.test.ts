import { afterAll, beforeAll, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../server/demo';
import { en } from '../../web/src/i18n/en';
import { zh } from '../../web/src/i18n/zh';
import { BROWSER_AVAILABLE, describeBrowser, DESKTOP, launchBrowser, openPage, overflowsHorizontally, PHONE, screenshot } from '../helpers/browser';
import { tempDir } from '../helpers/gateway';

// /docs and /admin/docs (Swagger UI) in Chromium against the offline demo, with every request that
// would leave the machine refused and recorded. Screenshots: test-artifacts/screenshots/docs-*.png (the top of each page: Swagger UI with operations open is tens of thousands of pixels tall).

let demo: RunningDemo;
let dataDir: string;
let browser: Browser;

beforeAll(async () => {
  if (!BROWSER_AVAILABLE) return;
  dataDir = tempDir('tollgate-e2e-docs-');
  demo = await startDemo({ dataDir, quiet: true });
  browser = await launchBrowser();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

/** A page whose requests off loopback are refused and listed, and whose CSP violations are problems. */
async function offlinePage(opts: { viewport?: { width: number; height: number }; locale?: string } = {}) {
  const watched = await openPage(browser, opts);
  const outside: string[] = [];
  await watched.context.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.hostname === '127.0.0.1') return route.continue();
    outside.push(url.href);
    return route.abort('blockedbyclient');
  });
  await watched.page.addInitScript(() =>
    document.addEventListener('securitypolicyviolation', (e) => console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`)),
  );
  return { ...watched, outside };
}

async function swaggerReady(page: Page): Promise<void> {
  await page.locator('.swagger-ui .opblock').first().waitFor({ timeout: 20_000 });
}

const paths = (page: Page) => page.locator('.opblock-summary-path').evaluateAll((els) => els.map((el) => el.getAttribute('data-path') ?? ''));

function operation(page: Page, method: string, path: string) {
  return page.locator(`.opblock-${method}`).filter({ has: page.locator(`.opblock-summary-path[data-path="${path}"]`) });
}

async function visibleIntro(page: Page): Promise<{ lang: string | null; h1: string }> {
  const intro = page.locator('.docs-intro:not([hidden])');
  expect(await intro.count()).toBe(1);
  return { lang: await intro.getAttribute('data-lang'), h1: ((await intro.locator('h1').textContent()) ?? '').trim() };
}

/** Opens the widest operations of the page (a request body, query parameters, headers) with Try it out on. */
async function openWideOperations(page: Page, path: string): Promise<void> {
  const opened = path === '/docs' ? [['post', '/v1/chat/completions'], ['get', '/api/usage/requests']] : [['get', '/admin/api/keys'], ['patch', '/admin/api/keys/{id}']];
  for (const [method, opPath] of opened) {
    const op = operation(page, method!, opPath!);
    await op.locator('.opblock-summary').first().click();
    await op.locator('.try-out__btn').click();
    await op.locator('.btn.execute').waitFor();
  }
}

/** No sideways scrolling, also with the Authorize dialog open, and the dialog inside the screen. */
async function fitsThePhone(page: Page): Promise<void> {
  expect(await overflowsHorizontally(page)).toBe(false);
  await page.locator('.btn.authorize').first().click();
  await page.locator('.dialog-ux .auth-container').first().waitFor();
  expect(await overflowsHorizontally(page)).toBe(false);
  const dialog = await page.locator('.dialog-ux .modal-ux').boundingBox();
  expect(dialog !== null && dialog.x >= 0 && dialog.x + dialog.width <= PHONE.width).toBe(true);
  await page.locator('.dialog-ux .btn-done').first().click();
}

describeBrowser('the API reference (Swagger UI)', () => {
  it(
    "renders /docs in English with no request leaving the machine and the buyers' operations only; Authorize + Try it out on GET /v1/models answers 200; then it fits a 390 px phone",
    async () => {
      const { context, page, problems, outside } = await offlinePage({ viewport: DESKTOP });
      try {
        await page.goto(`${demo.url}/docs?lang=en`);
        await swaggerReady(page);
        expect(await visibleIntro(page)).toEqual({ lang: 'en', h1: en.docs.title });
        expect(await page.locator('.docs-intro:not([hidden]) a.docs-back').getAttribute('href')).toBe('/?lang=en');
        const publicPaths = await paths(page);
        expect(publicPaths).toContain('/v1/chat/completions');
        expect(publicPaths).toContain('/api/orders/lookup');
        expect(publicPaths.filter((p) => p.startsWith('/admin/') || p === '/metrics' || p === '/healthz')).toEqual([]);

        await page.locator('.btn.authorize').first().click();
        // the buyer key as bearer, or (on the Anthropic paths) as x-api-key
        expect(await page.locator('.dialog-ux .auth-container').count()).toBe(2);
        expect(await page.locator('.dialog-ux .auth-container').nth(1).textContent()).toContain('x-api-key');
        await page.locator('.dialog-ux #auth-bearer-value').fill(demo.demoKey);
        await page.locator('.dialog-ux .auth-btn-wrapper .authorize').first().click();
        await page.locator('.dialog-ux .btn-done').first().click();

        const models = operation(page, 'get', '/v1/models');
        await models.locator('.opblock-summary').first().click();
        await models.locator('.try-out__btn').click();
        await models.locator('.btn.execute').click();
        const status = models.locator('.live-responses-table tbody .response-col_status');
        await status.waitFor({ timeout: 15_000 });
        expect((await status.textContent())?.trim()).toBe('200');
        expect(await models.locator('.live-responses-table tbody .response-col_description').textContent()).toContain('deepseek-v4-flash');
        // the curl Swagger UI shows carries the key as bearer
        expect(await models.locator('.curl-command').textContent()).toContain(`Authorization: Bearer ${demo.demoKey}`);
        await screenshot(page, 'docs-try-it-out-en-desktop', { fullPage: false });

        // the same page on a phone, with the widest operations open as well
        await page.setViewportSize(PHONE);
        await openWideOperations(page, '/docs');
        await fitsThePhone(page);
        await screenshot(page, 'docs-en-phone', { fullPage: false });
        expect(outside).toEqual([]);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    60_000,
  );

  it(
    "fits a 390 px phone in Chinese from ?lang=zh, and /admin/docs keeps that choice and lists the operator's operations only",
    async () => {
      const { context, page, problems, outside } = await offlinePage({ viewport: PHONE });
      try {
        await page.goto(`${demo.url}/docs?lang=zh`);
        await swaggerReady(page);
        expect(await visibleIntro(page)).toEqual({ lang: 'zh', h1: zh.docs.title });
        expect(await page.evaluate(() => document.documentElement.lang)).toBe('zh-CN');
        await openWideOperations(page, '/docs');
        await fitsThePhone(page);
        await screenshot(page, 'docs-zh-phone', { fullPage: false });

        // no ?lang: the choice made above is kept, as the site keeps it
        await page.goto(`${demo.url}/admin/docs`);
        await swaggerReady(page);
        expect(await visibleIntro(page)).toEqual({ lang: 'zh', h1: zh.docs.adminTitle });
        expect(await page.getAttribute('meta[name="robots"]', 'content')).toContain('noindex');
        const adminPaths = await paths(page);
        expect(adminPaths).toContain('/admin/api/keys');
        expect(adminPaths).toContain('/metrics');
        expect(adminPaths.filter((p) => !p.startsWith('/admin/api/') && p !== '/healthz' && p !== '/metrics')).toEqual([]);
        await openWideOperations(page, '/admin/docs');
        await fitsThePhone(page);
        await screenshot(page, 'docs-admin-zh-phone', { fullPage: false });
        expect(outside).toEqual([]);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    60_000,
  );

  it(
    "follows the browser's language when nothing was chosen, and its language link switches",
    async () => {
      const { context, page, problems, outside } = await offlinePage({ viewport: PHONE, locale: 'zh-CN' });
      try {
        // the introduction is chosen before Swagger UI starts: no need to wait for it to render
        await page.goto(`${demo.url}/docs`);
        await page.waitForFunction(() => document.querySelectorAll('.docs-intro[hidden]').length === 1);
        expect(await visibleIntro(page)).toEqual({ lang: 'zh', h1: zh.docs.title });
        await page.locator('.docs-intro:not([hidden]) a.docs-lang').click();
        await page.waitForURL(/\/docs\?lang=en$/);
        await page.waitForFunction(() => document.documentElement.lang === 'en');
        expect(await visibleIntro(page)).toEqual({ lang: 'en', h1: en.docs.title });
        expect(outside).toEqual([]);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    60_000,
  );
});
