import { afterAll, beforeAll, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { startDemo, type RunningDemo } from '../../server/demo';
import { en } from '../../web/src/i18n/en';
import { zh } from '../../web/src/i18n/zh';
import { fmt, usd } from '../../web/src/lib/format';
import { BROWSER_AVAILABLE, describeBrowser, DESKTOP, launchBrowser, openPage, overflowsHorizontally, PHONE, screenshot } from '../helpers/browser';
import { startTestGateway, tempDir } from '../helpers/gateway';
import { ensureWebBuilt } from '../helpers/web-build';

// The pages in Chromium against the offline demo: the gateway with the DeepSeek and PayPal
// simulators on one port. Screenshots land in test-artifacts/screenshots/.

let demo: RunningDemo;
let dataDir: string;
let browser: Browser;

const DICTS = { en, zh } as const;
type Lang = keyof typeof DICTS;
const HTML_LANG: Record<Lang, string> = { en: 'en', zh: 'zh-CN' };

beforeAll(async () => {
  if (!BROWSER_AVAILABLE) return;
  ensureWebBuilt();
  dataDir = tempDir('tollgate-e2e-');
  demo = await startDemo({ dataDir, quiet: true });
  browser = await launchBrowser();
  // some usage on the demo key, so its dashboard has something to show
  for (const stream of [false, true]) {
    const res = await chat(demo.demoKey, stream);
    expect(res.status).toBe(200);
    await res.text();
  }
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function chat(key: string, stream = false): Promise<Response> {
  return fetch(`${demo.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'Hello there' }], stream }),
  });
}

async function heading(page: Page): Promise<string> {
  const h1 = page.locator('main h1').first();
  await h1.waitFor({ state: 'visible', timeout: 10_000 });
  return (await h1.textContent())?.trim() ?? '';
}

const PAGES: { path: string; name: string; title(t: typeof en | typeof zh): string; ready?: string }[] = [
  { path: '/', name: 'home', title: (t) => t.home.heroTitle, ready: '.model-card' },
  { path: '/pricing', name: 'pricing', title: (t) => t.pricing.title, ready: '.plan' },
  { path: '/order', name: 'order', title: (t) => t.order.checkTitle, ready: '#check-order-id' },
  { path: '/dashboard', name: 'dashboard', title: (t) => t.dashboard.title, ready: '#requests-table' },
  { path: '/guide', name: 'guide', title: (t) => t.guide.quick, ready: '#multi-turn' },
  { path: '/guide/sillytavern', name: 'guide-sillytavern', title: (t) => t.guide.sillytavern, ready: '#troubleshooting' },
  { path: '/guide/claude-code', name: 'guide-claude-code', title: (t) => t.guide.claudeCode, ready: '#troubleshooting' },
  { path: '/guide/codex', name: 'guide-codex', title: (t) => t.guide.codex, ready: '#troubleshooting' },
  { path: '/guide/editor', name: 'guide-editor', title: (t) => t.guide.editor, ready: '#limits' },
  { path: '/admin', name: 'admin', title: (t) => t.admin.title },
  { path: '/no-such-page', name: 'not-found', title: (t) => t.notFound.title },
];

describeBrowser('every page', () => {
  for (const [viewportName, viewport] of [
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ] as const) {
    for (const lang of ['en', 'zh'] as const) {
      it(
        `renders in ${lang} at ${viewportName} width without console errors or sideways scrolling`,
        async () => {
          const { context, page, problems, settled } = await openPage(browser, { viewport });
          try {
            // the dashboard shows the demo key's usage
            await page.addInitScript((key) => sessionStorage.setItem('tollgate.key', key), demo.demoKey);
            for (const p of PAGES) {
              problems.length = 0;
              const res = await page.goto(`${demo.url}${p.path}?lang=${lang}`);
              expect(res?.status()).toBe(p.name === 'not-found' ? 404 : 200);
              expect(await heading(page)).toBe(p.title(DICTS[lang]));
              if (p.ready) await page.locator(p.ready).first().waitFor({ timeout: 10_000 });
              await settled();
              expect(await page.getAttribute('html', 'lang')).toBe(HTML_LANG[lang]);
              expect(await overflowsHorizontally(page)).toBe(false);
              // the not-found page's own 404 status is the only expected "error"
              const unexpected = problems.filter((m) => !(p.name === 'not-found' && m.includes('404')));
              expect(unexpected).toEqual([]);
              await screenshot(page, `${p.name}-${lang}-${viewportName}`);
            }
          } finally {
            await context.close();
          }
        },
        120_000,
      );
    }
  }
});

describeBrowser('the language', () => {
  it(
    'follows the switch, and the choice sticks across pages and reloads',
    async () => {
      const { context, page, problems } = await openPage(browser, { viewport: DESKTOP, locale: 'en-US' });
      try {
        await page.goto(demo.url);
        expect(await heading(page)).toBe(en.home.heroTitle);
        expect(await page.getAttribute('html', 'lang')).toBe('en');

        await page.getByRole('button', { name: en.nav.switchLabel }).click();
        await page.waitForFunction(() => document.documentElement.lang === 'zh-CN');
        expect(await heading(page)).toBe(zh.home.heroTitle);

        // an in-app navigation keeps it
        await page.getByRole('link', { name: zh.nav.pricing }).click();
        await page.waitForURL(/\/pricing$/);
        expect(await heading(page)).toBe(zh.pricing.title);

        // so does a reload and a fresh visit to another page
        await page.reload();
        expect(await heading(page)).toBe(zh.pricing.title);
        await page.goto(`${demo.url}/guide`);
        expect(await heading(page)).toBe(zh.guide.quick);
        expect(await page.getAttribute('html', 'lang')).toBe('zh-CN');

        // and back
        await page.getByRole('button', { name: zh.nav.switchLabel }).click();
        await page.waitForFunction(() => document.documentElement.lang === 'en');
        await page.goto(`${demo.url}/dashboard`);
        expect(await heading(page)).toBe(en.dashboard.title);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    60_000,
  );

  it(
    "starts from the browser's language, and ?lang= beats it",
    async () => {
      const { context, page } = await openPage(browser, { locale: 'zh-CN' });
      try {
        await page.goto(`${demo.url}/pricing`);
        expect(await heading(page)).toBe(zh.pricing.title);
        await page.goto(`${demo.url}/pricing?lang=en`);
        expect(await heading(page)).toBe(en.pricing.title);
      } finally {
        await context.close();
      }
    },
    60_000,
  );

  it(
    "shows the API's own error message in the page's language",
    async () => {
      const { context, page } = await openPage(browser, { locale: 'zh-CN' });
      try {
        await page.goto(`${demo.url}/dashboard`);
        await page.fill('#dashboard-key', 'sk-gateway-not-a-real-key');
        await page.click('#dashboard-submit');
        await expect(page.locator('#dashboard-key-error').textContent()).resolves.toContain('API 密钥不正确');
      } finally {
        await context.close();
      }
    },
    60_000,
  );
});

describeBrowser('the guides and the dashboard', () => {
  it(
    "SillyTavern guide: the other apps' base URLs never break inside the host, each has a working copy button, and the support address is a mailto link",
    async () => {
      const { context, page, problems } = await openPage(browser, { viewport: PHONE });
      try {
        await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: demo.url });
        for (const [lang, viewport] of [
          ['en', PHONE],
          ['zh', DESKTOP],
        ] as const) {
          await page.setViewportSize(viewport);
          await page.goto(`${demo.url}/guide/sillytavern?lang=${lang}`);
          await page.locator('#other-apps').waitFor({ timeout: 10_000 });
          const urls = page.locator('#other-apps ~ .table-wrap .copy-url');
          expect(await urls.count()).toBe(4);
          // the host of each URL sits on one line (a Range over its own text node)
          const hostLines = await urls.evaluateAll((els) =>
            els.map((el) => {
              const code = el.querySelector('code') as HTMLElement;
              const host = new URL(code.textContent ?? '').host;
              const node = [...code.childNodes].find((n) => n.nodeType === Node.TEXT_NODE && n.textContent === host);
              if (!node) return -1;
              const range = document.createRange();
              range.selectNodeContents(node);
              return new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
            }),
          );
          expect(hostLines).toEqual([1, 1, 1, 1]);
          expect(await urls.locator('button').count()).toBe(4);
          const first = urls.first();
          await first.locator('button').click();
          expect(await page.evaluate(() => navigator.clipboard.readText())).toBe((await first.locator('code').textContent()) ?? '');
          const support = page.locator('article.guide a[href^="mailto:"]');
          expect(await support.getAttribute('href')).toBe('mailto:support@example.com');
          expect(await overflowsHorizontally(page)).toBe(false);
        }
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    60_000,
  );

  it(
    'Claude Code, Codex and editor guides: each set-up block holds the gateway’s own URLs and copies exactly what it shows, in both languages',
    async () => {
      const { context, page, problems } = await openPage(browser, { viewport: DESKTOP });
      try {
        await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: demo.url });
        const expected: Record<string, (origin: string) => string[]> = {
          'claude-code': (o) => [`ANTHROPIC_BASE_URL=${o}/anthropic`, 'ANTHROPIC_AUTH_TOKEN=', 'ANTHROPIC_MODEL=deepseek-v4-flash', 'ANTHROPIC_DEFAULT_HAIKU_MODEL=', 'CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1'],
          codex: (o) => [`base_url = "${o}/v1"`, 'wire_api = "responses"', 'env_key = "TOLLGATE_API_KEY"', 'requires_openai_auth = false'],
          editor: (o) => [`apiBase: ${o}/beta`, 'roles: [autocomplete]', 'provider: deepseek'],
        };
        for (const lang of ['en', 'zh'] as const) {
          for (const [guide, wants] of Object.entries(expected)) {
            await page.goto(`${demo.url}/guide/${guide}?lang=${lang}`);
            const block = page.locator('article.guide .code').first();
            await block.waitFor({ timeout: 10_000 });
            const origin = ((await (await fetch(`${demo.url}/api/site`)).json()) as { api_base_url: string }).api_base_url.replace(/\/v1$/, '');
            const code = (await block.locator('pre code').textContent()) ?? '';
            for (const want of wants(origin)) expect({ guide, lang, has: code.includes(want), want }).toEqual({ guide, lang, has: true, want });
            await block.locator('button').click();
            expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(code);
            // every block of the guide has its copy button
            const blocks = page.locator('article.guide .code');
            expect(await blocks.locator('button').count()).toBe(await blocks.count());
            expect(await overflowsHorizontally(page)).toBe(false);
          }
        }
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    60_000,
  );

  it(
    "dashboard: shows the plan's models and the key's limits, and keeps a key the server turned away in the field",
    async () => {
      const usage = (await (await fetch(`${demo.url}/api/usage`, { headers: { authorization: `Bearer ${demo.demoKey}` } })).json()) as { models: string[]; rpm: number; max_concurrency: number };
      expect(usage).toMatchObject({ models: ['deepseek-v4-flash', 'deepseek-v4-pro'], rpm: 30, max_concurrency: 8 });
      const { context, page, problems } = await openPage(browser, { viewport: DESKTOP });
      try {
        await page.goto(`${demo.url}/dashboard?lang=en`);
        const wrong = `sk-gateway-${'x'.repeat(40)}`;
        await page.fill('#dashboard-key', wrong);
        await page.click('#dashboard-submit');
        await page.locator('#dashboard-key-error').waitFor({ timeout: 10_000 });
        expect(await page.inputValue('#dashboard-key')).toBe(wrong);
        // nothing of it is kept in the browser
        expect(await page.evaluate(() => [sessionStorage.getItem('tollgate.key'), localStorage.getItem('tollgate.key')])).toEqual([null, null]);

        await page.fill('#dashboard-key', demo.demoKey);
        await page.click('#dashboard-submit');
        await page.locator('#usage-models').waitFor({ timeout: 10_000 });
        expect(await page.locator('#usage-models code').allTextContents()).toEqual(usage.models);
        expect(await page.locator('#usage-rpm').textContent()).toBe(fmt(en.common.perMinute, { n: String(usage.rpm) }));
        expect(await page.locator('#usage-concurrency').textContent()).toBe(fmt(en.common.atOnce, { n: String(usage.max_concurrency) }));
        // the 401 of the wrong key is the one expected console error
        expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
      } finally {
        await context.close();
      }
    },
    60_000,
  );

  it(
    "dashboard on a Chinese phone: the chart's first and last day and its total do not overlap, and labels are not turned into English capitals",
    async () => {
      const { context, page, problems } = await openPage(browser, { viewport: PHONE, locale: 'zh-CN' });
      try {
        await page.addInitScript((key) => sessionStorage.setItem('tollgate.key', key), demo.demoKey);
        await page.goto(`${demo.url}/dashboard`);
        await page.locator('.chart-caption').waitFor({ timeout: 10_000 });
        const boxes = await page.locator('.chart-caption > span').evaluateAll((spans) => spans.map((s) => s.getBoundingClientRect().toJSON() as DOMRect));
        expect(boxes.length).toBe(3);
        const overlap = (a: DOMRect, b: DOMRect) => a.left < b.right - 1 && b.left < a.right - 1 && a.top < b.bottom - 1 && b.top < a.bottom - 1;
        expect([overlap(boxes[0]!, boxes[1]!), overlap(boxes[0]!, boxes[2]!), overlap(boxes[1]!, boxes[2]!)]).toEqual([false, false, false]);
        for (const box of boxes) expect(box.right <= PHONE.width && box.left >= 0).toBe(true);
        // innerText is what is shown, text-transform included
        const labels = await page.locator('.summary .label').evaluateAll((els) => els.map((el) => (el as HTMLElement).innerText.trim()));
        expect(labels).toContain(zh.dashboard.tokensTitle);
        expect(labels.filter((label) => /[A-Z]{3,}/.test(label))).toEqual([]);
        expect(await overflowsHorizontally(page)).toBe(false);
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    60_000,
  );
});

describeBrowser('buying a plan', () => {
  it(
    'goes from pricing through PayPal to a key that works, shows its use on the dashboard, and finds it again',
    async () => {
      const email = 'buyer.e2e@example.com';
      const { context, page } = await openPage(browser, { viewport: PHONE });
      try {
        await page.goto(`${demo.url}/pricing?lang=en`);
        await page.click('button[data-plan="starter"]');
        await page.fill('#buy-email', email);
        await screenshot(page, 'flow-1-buy-dialog-en-phone');
        await page.click('#buy-submit');

        // the simulator's PayPal approval page
        await page.waitForURL(/\/paypal-sandbox\/checkoutnow\?token=/, { timeout: 15_000 });
        await page.click('#pay');

        // back on the order page with the key
        await page.waitForURL(/\/order\?order_id=.+&view=.+/, { timeout: 15_000 });
        const orderId = new URL(page.url()).searchParams.get('order_id') ?? '';
        expect(orderId).not.toBe('');
        const keyBox = page.locator('#api-key-value');
        await keyBox.waitFor({ timeout: 15_000 });
        const key = await keyBox.inputValue();
        expect(key).toMatch(/^sk-gateway-[A-Za-z0-9]{40}$/);
        expect(await page.locator('#order-status').getAttribute('data-status')).toBe('paid');
        await screenshot(page, 'flow-2-order-paid-en-phone');

        // the key answers a chat completion
        const res = await chat(key);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { choices: { message: { content: string } }[] };
        expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);

        // the dashboard, in a fresh tab with nothing stored: enter the key
        const fresh = await context.newPage();
        await fresh.goto(`${demo.url}/dashboard`);
        await fresh.fill('#dashboard-key', key);
        await fresh.click('#dashboard-submit');
        const rows = fresh.locator('#requests-table tbody tr');
        await rows.first().waitFor({ timeout: 15_000 });
        expect(await rows.count()).toBe(1);
        const listed = (await (await fetch(`${demo.url}/api/usage/requests`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
          data: { cost_usd: string; model: string }[];
        };
        expect(listed.data).toHaveLength(1);
        const cost = listed.data[0]?.cost_usd ?? '';
        expect(cost).not.toBe('0.000000000');
        expect(await rows.first().locator('.cost').textContent()).toContain(usd(cost));
        expect(await rows.first().textContent()).toContain('deepseek-v4-flash');
        // each request's API
        expect(await rows.first().locator('[data-protocol]').getAttribute('data-protocol')).toBe('chat');
        expect((await rows.first().locator('[data-protocol]').textContent())?.trim()).toBe(en.common.protocols.chat);
        const usage = (await (await fetch(`${demo.url}/api/usage`, { headers: { authorization: `Bearer ${key}` } })).json()) as { remaining_usd: string };
        expect(await fresh.locator('#remaining').textContent()).toBe(usd(usage.remaining_usd));
        expect(await fresh.locator('#request-count').textContent()).toBe('1');
        await screenshot(fresh, 'flow-3-dashboard-en-phone');

        // the CSV export holds the same request
        const [download] = await Promise.all([fresh.waitForEvent('download'), fresh.click('#csv-export')]);
        const csv = await Bun.file((await download.path()) ?? '').text();
        expect(csv.split('\r\n')[0]).toStartWith('started_at,request_id,protocol,model');
        expect(csv.split('\r\n')[1]).toContain(',chat,deepseek-v4-flash,');
        expect(csv).toContain(cost);

        // check-order finds the key again with order id + email
        const lookup = await context.newPage();
        await lookup.goto(`${demo.url}/order`);
        await lookup.fill('#check-order-id', orderId);
        await lookup.fill('#check-email', email);
        await lookup.click('#check-submit');
        await lookup.locator('#lookup-result #api-key-value').waitFor({ timeout: 10_000 });
        expect(await lookup.locator('#api-key-value').inputValue()).toBe(key);
        await screenshot(lookup, 'flow-4-check-order-en-phone');

        // a leaked key can be replaced: the old one stops working
        await lookup.click('#rotate-key');
        await lookup.click('#rotate-confirm');
        await lookup.waitForFunction((old) => (document.querySelector('#api-key-value') as HTMLInputElement | null)?.value !== old, key, { timeout: 10_000 });
        const rotated = await lookup.locator('#api-key-value').inputValue();
        expect(rotated).toMatch(/^sk-gateway-/);
        expect(rotated).not.toBe(key);
        expect((await chat(key)).status).toBe(401);
        expect((await chat(rotated)).status).toBe(200);
      } finally {
        await context.close();
      }
    },
    120_000,
  );

  it(
    'says so when the buyer cancels on PayPal',
    async () => {
      const { context, page } = await openPage(browser);
      try {
        await page.goto(`${demo.url}/pricing?lang=en`);
        await page.click('button[data-plan="trial"]');
        await page.fill('#buy-email', 'cancel@example.com');
        await page.click('#buy-submit');
        await page.waitForURL(/\/paypal-sandbox\//, { timeout: 15_000 });
        await page.click('#cancel');
        await page.waitForURL(/\/pricing\?cancelled=/, { timeout: 15_000 });
        const order = new URL(page.url()).searchParams.get('cancelled') ?? '';
        expect(await page.locator('#cancelled-notice').textContent()).toContain(order);
      } finally {
        await context.close();
      }
    },
    60_000,
  );

  it(
    'explains that checkout is off when PayPal is not configured',
    async () => {
      const gw = await startTestGateway();
      const { context, page } = await openPage(browser);
      try {
        await page.goto(`${gw.url}/pricing?lang=en`);
        await page.locator('#checkout-off').waitFor({ timeout: 10_000 });
        await page.locator('.plan').first().waitFor();
        expect(await page.locator('button[data-plan="starter"]').isDisabled()).toBe(true);
      } finally {
        await context.close();
        await gw.close();
      }
    },
    60_000,
  );
});

describeBrowser('the playground', () => {
  it(
    'streams a reply into the page as it arrives and lists the request afterwards',
    async () => {
      const { context, page, problems } = await openPage(browser);
      try {
        await page.addInitScript((key) => sessionStorage.setItem('tollgate.key', key), demo.demoKey);
        await page.goto(`${demo.url}/dashboard?lang=en`);
        await page.locator('#play-model option').first().waitFor({ state: 'attached', timeout: 10_000 });
        const streamedBefore = await page.locator('#requests-table .tag', { hasText: en.dashboard.streamed }).count();
        await page.fill('#play-prompt', 'Tell me a short story about a lighthouse.');
        await page.click('#play-send');

        // while the stop button is there, some text is already on screen: it streams
        await page.waitForFunction(
          () => document.querySelector('#play-stop') !== null && (document.querySelector('#play-reply')?.textContent ?? '').trim().length > 0,
          null,
          { timeout: 15_000 },
        );
        await page.locator('#play-stop').waitFor({ state: 'detached', timeout: 30_000 });
        const reply = (await page.locator('#play-reply').textContent())?.trim() ?? '';
        expect(reply.length).toBeGreaterThan(10);
        expect(await page.locator('#play-error').count()).toBe(0);

        await page.waitForFunction(
          ([label, before]) => document.querySelectorAll('#requests-table .tag').length > 0 && [...document.querySelectorAll('#requests-table .tag')].filter((t) => t.textContent === label).length > before,
          [en.dashboard.streamed, streamedBefore] as const,
          { timeout: 10_000 },
        );
        await screenshot(page, 'flow-5-playground-en-desktop');
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
    },
    60_000,
  );
});
