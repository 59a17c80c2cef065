import { afterAll, beforeAll, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { PAYPAL_MOUNT, startDemo, type RunningDemo } from '../../server/demo';
import { DEFAULT_PLANS } from '../../server/modules/catalog/defaults';
import { DEFAULT_PRIVACY, DEFAULT_REFUNDS, DEFAULT_TERMS } from '../../server/modules/catalog/policies';
import { DEFAULT_SITE } from '../../server/modules/catalog/site';
import { en } from '../../web/src/i18n/en';
import { zh } from '../../web/src/i18n/zh';
import { fmt, roughCount, usd, usdExact } from '../../web/src/lib/format';
import { BROWSER_AVAILABLE, describeBrowser, DESKTOP, launchBrowser, openPage, PHONE, screenshot, sidewaysOverflow } from '../helpers/browser';
import { tempDir } from '../helpers/gateway';
import { startSmtpServer, type SmtpServer } from '../helpers/smtp';
import { ensureWebBuilt } from '../helpers/web-build';

// The operator's texts in both languages, the policy pages, money as buyers read it, refusals and
// the console's money, in Chromium at 390 px and 1280 px against the offline demo (with a real SMTP
// server, so the mail outbox has rows). Screenshots: test-artifacts/screenshots/trust-*.png.

type J = Record<string, any>;
const DICTS = { en, zh } as const;
const VIEWPORTS = [
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const;
const ANNOUNCEMENT = { en: 'Maintenance on Sunday at 02:00 UTC.', zh: '周日 UTC 02:00 进行维护。' };

let demo: RunningDemo;
let smtp: SmtpServer;
let dataDir: string;
let browser: Browser;
let bought: { key: string; keyId: string; orderId: string; view: string };

async function adminCall(method: string, path: string, body?: unknown): Promise<J> {
  const res = await fetch(`${demo.url}/admin/api${path}`, {
    method,
    headers: { authorization: `Bearer ${demo.adminToken}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as J;
}

/** An order paid through the demo's PayPal simulator, as pressing Pay; its key from the order page's API. */
async function buy(plan: string, email: string) {
  const res = await fetch(`${demo.url}/api/checkout`, { method: 'POST', headers: { 'content-type': 'application/json', 'accept-language': 'zh-CN' }, body: JSON.stringify({ plan_id: plan, email }) });
  expect(res.status).toBe(200);
  const created = (await res.json()) as J;
  const token = new URL(created.approve_url).searchParams.get('token');
  const approved = (await (await fetch(`${demo.url}${PAYPAL_MOUNT}/_control/approve/${token}`, { method: 'POST' })).json()) as J;
  expect((await fetch(approved.redirect_url, { redirect: 'manual' })).status).toBe(303);
  const order = (await (await fetch(`${demo.url}/api/orders/${created.order_id}?view=${created.view_token}`)).json()) as J;
  const keys = (await adminCall('GET', `/keys?q=${encodeURIComponent(email)}`)).data as J[];
  return { key: order.key as string, keyId: keys[0]!.id as string, orderId: created.order_id as string, view: created.view_token as string };
}

const chat = (key: string, body: J) =>
  fetch(`${demo.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(async (r) => {
    await r.arrayBuffer();
    return r.status;
  });

beforeAll(async () => {
  if (!BROWSER_AVAILABLE) return;
  ensureWebBuilt();
  smtp = await startSmtpServer();
  dataDir = tempDir('tollgate-e2e-trust-');
  demo = await startDemo({ dataDir, quiet: true, env: { TOLLGATE_SMTP_URL: smtp.url, TOLLGATE_MAIL_FROM: 'noreply@tollgate.test', TOLLGATE_MAIL_RETRY_SECONDS: '1' } });
  browser = await launchBrowser();
  await adminCall('PATCH', '/settings', { announcement: ANNOUNCEMENT.en, announcement_zh: ANNOUNCEMENT.zh });
  bought = await buy('starter', 'reader@example.com');
  // usage (a cost under a cent) and two refusals: a model outside the plan, an unknown model
  expect(await chat(bought.key, { model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'Hello there' }] })).toBe(200);
  expect(await chat(bought.key, { model: 'deepseek-v4-pro', messages: [{ role: 'user', content: 'hi' }] })).toBe(403);
  expect(await chat(bought.key, { model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] })).toBe(404);
  await smtp.waitFor((m) => m.subject.includes(bought.orderId));
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  await smtp?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function heading(page: Page): Promise<string> {
  const h1 = page.locator('main h1').first();
  await h1.waitFor({ state: 'visible', timeout: 10_000 });
  return (await h1.textContent())?.trim() ?? '';
}

/** The buyer's pages, each with what shows it is ready. */
const BUYER_PAGES = (): { path: string; ready: string }[] => [
  { path: '/', ready: '.model-card' },
  { path: '/pricing', ready: '.plan' },
  { path: '/terms', ready: '#policy-text' },
  { path: '/privacy', ready: '#policy-text' },
  { path: '/refunds', ready: '#policy-text' },
  { path: '/dashboard', ready: '#credits-list' },
  { path: `/order?order_id=${bought.orderId}&view=${bought.view}`, ready: '#api-key-value' },
];

/** A buyer's page in a language, the key in this tab's storage, checked for console errors and sideways scrolling. */
async function visit(viewport: { width: number; height: number }, lang: 'en' | 'zh', path: string, ready: string) {
  const watched = await openPage(browser, { viewport });
  await watched.page.addInitScript((key) => sessionStorage.setItem('tollgate.key', key), bought.key);
  await watched.page.goto(`${demo.url}${path}${path.includes('?') ? '&' : '?'}lang=${lang}`);
  await heading(watched.page);
  await watched.page.locator(ready).first().waitFor({ timeout: 10_000 });
  await watched.settled();
  // code samples (the home page's quick start) scroll inside their own box by design; nothing else may
  const overflow = (await sidewaysOverflow(watched.page)).filter((what) => !/^(pre|code)\b/.test(what));
  expect({ path, overflow }).toEqual({ path, overflow: [] });
  expect({ path, problems: watched.problems }).toEqual({ path, problems: [] });
  return watched;
}

// English operator texts that must not be left on a Chinese page once the Chinese ones are written
const firstLine = (markdown: string) => markdown.split('\n')[0]!.slice(0, 40);
const ENGLISH_TEXTS = [
  ...DEFAULT_PLANS.map((p) => p.description),
  DEFAULT_SITE.disclaimer,
  ANNOUNCEMENT.en,
  firstLine(DEFAULT_TERMS.en),
  firstLine(DEFAULT_PRIVACY.en),
  firstLine(DEFAULT_REFUNDS.en),
  'What you buy',
];

describeBrowser('the operator texts in both languages', () => {
  for (const [viewportName, viewport] of VIEWPORTS) {
    it(
      `leaves no English operator text on the Chinese pages when the Chinese fields are filled, at ${viewportName} width`,
      async () => {
        for (const { path, ready } of BUYER_PAGES()) {
          const { page, context } = await visit(viewport, 'zh', path, ready);
          try {
            const text = await page.locator('body').innerText();
            for (const english of ENGLISH_TEXTS) expect({ path, english, found: text.includes(english) }).toEqual({ path, english, found: false });
            // and the Chinese ones are there
            expect(await page.locator('#announcement').textContent()).toBe(ANNOUNCEMENT.zh);
            expect(await page.locator('#site-disclaimer').textContent()).toBe(DEFAULT_SITE.disclaimerZh);
            expect(await page.locator('#site-disclaimer').getAttribute('lang')).toBeNull();
            // the footer links the three policy pages
            const links = await page.locator('footer a[data-policy]').evaluateAll((as) => as.map((a) => [a.getAttribute('href'), a.textContent]));
            expect(links).toEqual([
              ['/terms', zh.footer.terms],
              ['/privacy', zh.footer.privacy],
              ['/refunds', zh.footer.refunds],
            ]);
            if (path === '/pricing') {
              const names = await page.locator('.plan h3').allTextContents();
              expect(names).toEqual(DEFAULT_PLANS.map((p) => p.nameZh));
            }
            if (path.startsWith('/terms')) expect(await heading(page)).toBe(zh.policy.terms);
            if (path === '/dashboard') {
              expect((await page.locator('#usage-plan').textContent())?.trim()).toBe('入门版');
              expect(await page.locator('#credits-list tbody tr td[data-label]').last().textContent()).toBe('入门版');
            }
            if (path.startsWith('/order')) expect(await page.locator('.facts').textContent()).toContain('入门版');
            const name = path.split('?')[0]!.replace(/\//g, '') || 'home';
            if (['pricing', 'terms', 'dashboard'].includes(name)) await screenshot(page, `trust-${name}-zh-${viewportName}`);
          } finally {
            await context.close();
          }
        }
      },
      180_000,
    );

    it(
      `falls back to English where a Chinese field is empty, and the console marks it, at ${viewportName} width`,
      async () => {
        await adminCall('PATCH', '/settings', { disclaimer_zh: '', announcement_zh: '', terms_zh: '' });
        await adminCall('PATCH', '/plans/starter', { name_zh: '', description_zh: '' });
        try {
          let watched = await visit(viewport, 'zh', '/pricing', '.plan');
          try {
            const { page } = watched;
            const starter = page.locator('[data-plan-card="starter"]');
            expect(await starter.locator('h3').textContent()).toBe('Starter');
            expect(await starter.locator('h3').getAttribute('lang')).toBe('en');
            expect(await starter.locator('.plan-description').textContent()).toBe('For personal projects and chat apps.');
            // the other plans keep their Chinese
            expect(await page.locator('[data-plan-card="pro"] h3').textContent()).toBe('专业版');
            expect(await page.locator('#announcement').textContent()).toBe(ANNOUNCEMENT.en);
            expect(await page.locator('#announcement').getAttribute('lang')).toBe('en');
            expect(await page.locator('#site-disclaimer').textContent()).toBe(DEFAULT_SITE.disclaimer);
            expect(await page.locator('#site-disclaimer').getAttribute('lang')).toBe('en');
            // the built-in Chinese line stands beside the English disclaimer
            expect(await page.locator('footer').textContent()).toContain(zh.footer.independent);
          } finally {
            await watched.context.close();
          }
          watched = await visit(viewport, 'zh', '/terms', '#policy-text');
          try {
            expect(await watched.page.locator('#policy-english-only').textContent()).toBe(zh.policy.englishOnly);
            expect(await watched.page.locator('#policy-text').textContent()).toContain(firstLine(DEFAULT_TERMS.en));
            if (viewportName === 'phone') await screenshot(watched.page, 'trust-terms-fallback-zh-phone');
          } finally {
            await watched.context.close();
          }
          // the privacy page still has its Chinese
          watched = await visit(viewport, 'zh', '/privacy', '#policy-text');
          try {
            expect(await watched.page.locator('#policy-english-only').count()).toBe(0);
          } finally {
            await watched.context.close();
          }

          // the console, in both languages: each empty Chinese field marked, and listed above them
          for (const lang of ['en', 'zh'] as const) {
            const t = DICTS[lang];
            const { page, context, problems, settled } = await openPage(browser, { viewport });
            try {
              await page.addInitScript((token) => sessionStorage.setItem('tollgate.admin-token', token), demo.adminToken);
              await page.goto(`${demo.url}/admin/settings?lang=${lang}`);
              await page.locator('#settings-form').waitFor({ timeout: 10_000 });
              await settled();
              const marked = await page.locator('fieldset[data-text]:has([data-missing-zh])').evaluateAll((fs) => fs.map((f) => f.getAttribute('data-text')));
              expect(marked).toEqual(['disclaimer', 'announcement', 'terms']);
              expect(await page.locator('#settings-missing-zh li').allTextContents()).toEqual([t.admin.settings.disclaimer, t.admin.settings.announcement, t.policy.terms]);
              expect(await page.locator('#settings-disclaimer-zh-missing').textContent()).toContain(t.admin.settings.missingZh);
              expect(await sidewaysOverflow(page)).toEqual([]);
              await screenshot(page, `trust-admin-settings-${lang}-${viewportName}`);
              await page.goto(`${demo.url}/admin/catalog?lang=${lang}`);
              await page.locator('#plans-table').waitFor({ timeout: 10_000 });
              await settled();
              const missing = await page.locator('#plans-table [data-missing-zh]').evaluateAll((els) => els.map((e) => [e.closest('tr')?.textContent?.includes('starter'), e.getAttribute('data-missing-zh')]));
              expect(missing).toEqual([[true, 'name description']]);
              expect(await sidewaysOverflow(page)).toEqual([]);
              expect(problems).toEqual([]);
            } finally {
              await context.close();
            }
          }
        } finally {
          await adminCall('PATCH', '/settings', { disclaimer_zh: DEFAULT_SITE.disclaimerZh, announcement_zh: ANNOUNCEMENT.zh, terms_zh: DEFAULT_TERMS.zh });
          const starter = DEFAULT_PLANS.find((p) => p.id === 'starter')!;
          await adminCall('PATCH', '/plans/starter', { name_zh: starter.nameZh, description_zh: starter.descriptionZh });
        }
      },
      180_000,
    );
  }
});

describeBrowser('the pricing page and the checkout dialog', () => {
  for (const [viewportName, viewport] of VIEWPORTS) {
    for (const lang of ['en', 'zh'] as const) {
      it(`says what the end of the budget and of the validity mean, estimates requests and links the terms from checkout, in ${lang} at ${viewportName} width`, async () => {
        const t = DICTS[lang];
        const plans = (await (await fetch(`${demo.url}/api/plans?lang=${lang}`)).json()) as J;
        const { page, context } = await visit(viewport, lang, '/pricing', '.plan');
        try {
          expect(await page.locator('#budget-end').textContent()).toBe(t.pricing.budgetEnd);
          expect(await page.locator('#validity-end').textContent()).toBe(t.pricing.validityEnd);
          for (const plan of plans.data as J[]) {
            const card = page.locator(`[data-plan-card="${plan.id}"]`);
            expect(await card.locator('.plan-estimate').getAttribute('data-typical')).toBe(String(plan.typical_requests));
            expect(await card.locator('.plan-estimate').textContent()).toBe(`${fmt(t.pricing.estimate, { n: roughCount(plan.typical_requests, lang) })}*`);
            expect(await card.locator('.plan-price').textContent()).toBe(usd(plan.price_usd));
          }
          const assumption = await page.locator('#typical-request').textContent();
          expect(assumption).toContain('1,000');
          expect(assumption).toContain('300');
          await page.click('button[data-plan="starter"]');
          const terms = page.locator('dialog[open] #buy-terms');
          await terms.waitFor();
          expect(await terms.textContent()).toBe(fmt(t.pricing.acceptTerms, { terms: t.policy.terms, refunds: t.policy.refunds }));
          expect(await terms.locator('a').evaluateAll((as) => as.map((a) => a.getAttribute('href')))).toEqual(['/terms', '/refunds']);
          expect(await terms.isVisible()).toBe(true);
          await screenshot(page, `trust-checkout-dialog-${lang}-${viewportName}`, { fullPage: false });
        } finally {
          await context.close();
        }
      });
    }
  }
});

describeBrowser("the buyer's money and refusals", () => {
  for (const [viewportName, viewport] of VIEWPORTS) {
    for (const lang of ['en', 'zh'] as const) {
      it(`shows dollars with two decimals, exact ones on hover, refusals in words and purchases as ${viewportName === 'phone' ? 'cards' : 'a table'}, in ${lang} at ${viewportName} width`, async () => {
        const t = DICTS[lang];
        const usage = (await (await fetch(`${demo.url}/api/usage`, { headers: { authorization: `Bearer ${bought.key}` } })).json()) as J;
        const requests = (await (await fetch(`${demo.url}/api/usage/requests`, { headers: { authorization: `Bearer ${bought.key}` } })).json()) as J;
        const { page, context } = await visit(viewport, lang, '/dashboard', '#credits-list');
        try {
          const remaining = page.locator('#remaining .money');
          expect(await remaining.textContent()).toBe(usd(usage.remaining_usd));
          expect(await remaining.getAttribute('title')).toBe(usdExact(usage.remaining_usd));
          expect(await remaining.textContent()).toMatch(/^\$\d+\.\d{2}$/);
          const cost = requests.data[0].cost_usd as string;
          expect(Number(cost)).toBeLessThan(0.01);
          const cell = page.locator('#requests-table tbody tr').first().locator('.cost .money');
          // under a cent: more digits, never $0.00
          expect(await cell.textContent()).toBe(usd(cost));
          expect(await cell.textContent()).not.toBe('$0.00');
          expect(await cell.getAttribute('title')).toBe(usdExact(cost));
          // the refusals, in words
          expect(await page.locator('#dashboard-refused').getAttribute('data-total')).toBe('2');
          expect(await page.locator('#dashboard-refused [data-reason="model_not_allowed"] dt').textContent()).toBe(t.refused.reasons.model_not_allowed);
          expect(await page.locator('#dashboard-refused [data-reason="model_not_found"] dt').textContent()).toBe(t.refused.reasons.model_not_found);
          // the purchase: a card on a phone, a table row on a wide screen
          const td = page.locator('#credits-list tbody td').first();
          expect(await td.evaluate((el) => getComputedStyle(el).display)).toBe(viewportName === 'phone' ? 'flex' : 'table-cell');
          expect(await page.locator('#credits-list tbody td[data-label] .money').first().textContent()).toBe('$5.00');
          await screenshot(page, `trust-dashboard-${lang}-${viewportName}`);
          // and the CSV keeps the exact nine decimals
          if (lang === 'en') {
            const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-export')]);
            const csv = await (await download.createReadStream()).toArray();
            expect(Buffer.concat(csv).toString('utf8')).toContain(`,${cost},`);
          }
        } finally {
          await context.close();
        }
      });
    }
  }
});

describeBrowser("the console's money, mail and credits", () => {
  for (const [viewportName, viewport] of VIEWPORTS) {
    for (const lang of ['en', 'zh'] as const) {
      it(`shows revenue, cost, the margin on use and what is owed as the admin API's ledger and keys say, and the outbox and credits as ${viewportName === 'phone' ? 'cards' : 'tables'}, in ${lang} at ${viewportName} width`, async () => {
        const t = DICTS[lang];
        const overview = await adminCall('GET', '/overview');
        // the figures worked out again from the ledger, the keys and the orders
        const ledger = (await adminCall('GET', '/ledger?limit=500')).data as J[];
        const keys = (await adminCall('GET', '/keys?limit=500')).data as J[];
        const orders = (await adminCall('GET', '/orders?limit=500')).data as J[];
        const nano = (usdText: string) => Math.round(Number(usdText) * 1e9);
        let earned = 0;
        for (const key of keys) {
          const spent = ledger.filter((r) => r.key_id === key.id).reduce((n, r) => n + nano(r.cost_usd), 0);
          const paid = orders.filter((o) => o.key_id === key.id && o.status === 'paid').reduce((n, o) => n + nano(o.amount_usd), 0);
          if (spent > 0 && paid > 0) earned += Math.floor((spent * paid) / nano(key.budget_usd));
        }
        const cost = ledger.reduce((n, r) => n + nano(r.cost_usd), 0);
        const owed = keys.filter((k) => k.status === 'active' && (k.expires_at === null || Date.parse(k.expires_at) > Date.now())).reduce((n, k) => n + nano(k.remaining_usd), 0);
        expect(nano(overview.earned_usd)).toBe(earned);
        expect(nano(overview.upstream_cost_usd)).toBe(cost);
        expect(nano(overview.margin_usd)).toBe(earned - cost);
        expect(nano(overview.owed_usd)).toBe(owed);
        expect(nano(overview.revenue_usd)).toBe(orders.filter((o) => o.status === 'paid').reduce((n, o) => n + nano(o.amount_usd), 0));

        const { page, context, problems, settled } = await openPage(browser, { viewport });
        try {
          await page.addInitScript((token) => sessionStorage.setItem('tollgate.admin-token', token), demo.adminToken);
          await page.goto(`${demo.url}/admin?lang=${lang}`);
          await page.locator('#overview-stats').waitFor({ timeout: 10_000 });
          await settled();
          const stat = (id: string) => page.locator(`[data-stat="${id}"] .money`);
          for (const [id, field] of [
            ['revenue', 'revenue_usd'],
            ['earned', 'earned_usd'],
            ['upstream', 'upstream_cost_usd'],
            ['margin', 'margin_usd'],
            ['owed', 'owed_usd'],
          ] as const) {
            expect({ id, shown: await stat(id).textContent(), exact: await stat(id).getAttribute('title') }).toEqual({ id, shown: usd(overview[field]), exact: usdExact(overview[field]) });
          }
          expect(await page.locator('[data-stat="refused-today"] .big').textContent()).toBe(String(overview.refused_today.total));
          await page.locator('#overview-help summary').click();
          expect(await page.locator('#help-margin').textContent()).toBe(t.admin.overview.helpMargin);
          expect(await sidewaysOverflow(page)).toEqual([]);
          await screenshot(page, `trust-admin-overview-${lang}-${viewportName}`);

          // the mail outbox and a key's credits: tables that become cards on a phone
          const cards = async (table: string, what: string) => {
            const td = page.locator(`${table} tbody td[data-label]`).first();
            await td.waitFor({ timeout: 10_000 });
            await settled();
            expect({ what, display: await td.evaluate((el) => getComputedStyle(el).display) }).toEqual({ what, display: viewportName === 'phone' ? 'flex' : 'table-cell' });
            expect({ what, overflow: await sidewaysOverflow(page) }).toEqual({ what, overflow: [] });
          };
          await page.goto(`${demo.url}/admin/mail?lang=${lang}`);
          await cards('#mail-table', 'mail');
          const receipt = page.locator(`#mail-table tbody tr`).filter({ hasText: bought.orderId });
          expect(await receipt.locator('td[data-label]').first().textContent()).toBe(t.admin.mail.statuses.sent);
          await screenshot(page, `trust-admin-mail-${lang}-${viewportName}`);
          await page.goto(`${demo.url}/admin/keys/${bought.keyId}?lang=${lang}`);
          await cards('#key-credits', 'key credits');
          expect(await page.locator('#key-refused').getAttribute('data-total')).toBe('2');
          await page.goto(`${demo.url}/admin/ledger?lang=${lang}`);
          await cards('#refusals-table', 'refusals');
          expect(await page.locator('#ledger-refused').getAttribute('data-total')).toBe(String(overview.refused_today.total));
          expect(problems).toEqual([]);
        } finally {
          await context.close();
        }
      });
    }
  }
});
