import { afterAll, beforeAll, expect, it } from 'bun:test';
import { rmSync } from 'node:fs';
import type { Browser, Page } from 'playwright-core';
import { PAYPAL_MOUNT, startDemo, type RunningDemo } from '../../server/demo';
import { en } from '../../web/src/i18n/en';
import { zh } from '../../web/src/i18n/zh';
import { costOf, fmt, sumUsd, usd } from '../../web/src/lib/format';
import { BROWSER_AVAILABLE, describeBrowser, DESKTOP, launchBrowser, openPage, PHONE, screenshot, sidewaysOverflow } from '../helpers/browser';
import { tempDir } from '../helpers/gateway';
import { startSmtpServer, type SmtpServer } from '../helpers/smtp';
import { ensureWebBuilt } from '../helpers/web-build';

// The operator console in Chromium against the offline demo. Screenshots: test-artifacts/screenshots/admin-*.png.

let demo: RunningDemo;
let dataDir: string;
let browser: Browser;
let smtp: SmtpServer;

const DICTS = { en, zh } as const;
const TOKEN_KEY = 'tollgate.admin-token';

beforeAll(async () => {
  if (!BROWSER_AVAILABLE) return;
  ensureWebBuilt();
  dataDir = tempDir('tollgate-e2e-admin-');
  // a real SMTP server: the mail outbox has the paid order's receipt
  smtp = await startSmtpServer();
  demo = await startDemo({ dataDir, quiet: true, env: { TOLLGATE_SMTP_URL: smtp.url, TOLLGATE_MAIL_FROM: 'noreply@tollgate.test', TOLLGATE_MAIL_RETRY_SECONDS: '1' } });
  browser = await launchBrowser();
  // some usage, so the overview and the ledger have rows; orders (one paid with a long address, one
  // waiting for payment), so the orders table and an order's payments and webhook events have rows
  const res = await chat(demo.demoKey);
  expect(res.status).toBe(200);
  await res.text();
  await buy('pro', LONG_EMAIL, true);
  await buy('trial', 'waiting@example.com', false);
}, 120_000);

const LONG_EMAIL = 'a.rather.long.address.for.the.orders.table@example-company.com';

/** An order through the demo's PayPal simulator: approved there (as pressing Pay) and captured on return. */
async function buy(plan: string, email: string, pay: boolean): Promise<void> {
  const res = await fetch(`${demo.url}/api/checkout`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ plan_id: plan, email }) });
  expect(res.status).toBe(200);
  const { approve_url } = (await res.json()) as { approve_url: string };
  if (!pay) return;
  const token = new URL(approve_url).searchParams.get('token');
  const approved = await fetch(`${demo.url}${PAYPAL_MOUNT}/_control/approve/${token}`, { method: 'POST' });
  expect(approved.status).toBe(200);
  const { redirect_url } = (await approved.json()) as { redirect_url: string };
  const back = await fetch(redirect_url, { redirect: 'manual' });
  expect(back.status).toBe(303);
}

afterAll(async () => {
  await browser?.close();
  await demo?.stop();
  await smtp?.close();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

function chat(key: string): Promise<Response> {
  return fetch(`${demo.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'deepseek-v4-flash', messages: [{ role: 'user', content: 'Hello there' }] }),
  });
}

async function adminGet<T>(path: string): Promise<T> {
  const res = await fetch(`${demo.url}/admin/api${path}`, { headers: { authorization: `Bearer ${demo.adminToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

async function buyerGet<T>(path: string): Promise<T> {
  const res = await fetch(`${demo.url}${path}`, { headers: { authorization: `Bearer ${demo.demoKey}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

async function heading(page: Page): Promise<string> {
  const h1 = page.locator('main h1').first();
  await h1.waitFor({ state: 'visible', timeout: 10_000 });
  return (await h1.textContent())?.trim() ?? '';
}

/** A page already signed in (the token in sessionStorage, as the login leaves it). */
async function signedIn(viewport = DESKTOP) {
  const watched = await openPage(browser, { viewport });
  await watched.page.addInitScript(([name, token]) => sessionStorage.setItem(name as string, token as string), [TOKEN_KEY, demo.adminToken]);
  return watched;
}

async function demoKeyId(): Promise<string> {
  const list = await adminGet<{ data: { id: string; email: string | null; note: string | null }[] }>('/keys?q=demo%40example.com');
  const key = list.data.find((k) => k.email === 'demo@example.com') ?? list.data[0];
  expect(key).toBeDefined();
  return key?.id ?? '';
}

describeBrowser('the operator console', () => {
  it(
    'turns a wrong token away with the error and lets the right one in to the overview',
    async () => {
      const { context, page, problems } = await openPage(browser);
      try {
        await page.goto(`${demo.url}/admin?lang=en`);
        expect(await heading(page)).toBe(en.admin.title);
        expect(await page.getAttribute('meta[name="robots"]', 'content')).toContain('noindex');
        await screenshot(page, 'admin-login-en-desktop');

        await page.fill('#admin-token', 'not-the-token');
        await page.click('#admin-login');
        const error = page.locator('#admin-login-error');
        await error.waitFor({ timeout: 10_000 });
        expect(((await error.textContent()) ?? '').trim().length).toBeGreaterThan(0);
        expect(await page.evaluate((name) => sessionStorage.getItem(name), TOKEN_KEY)).toBeNull();

        await page.fill('#admin-token', demo.adminToken);
        await page.click('#admin-login');
        await page.locator('#overview-stats').waitFor({ timeout: 10_000 });
        expect(await heading(page)).toBe(en.admin.nav.overview);
        // the token lives in this tab's sessionStorage only
        expect(await page.evaluate((name) => sessionStorage.getItem(name), TOKEN_KEY)).toBe(demo.adminToken);
        expect(await page.evaluate((name) => localStorage.getItem(name), TOKEN_KEY)).toBeNull();

        await page.click('#admin-logout');
        await page.locator('#admin-token').waitFor();
        expect(await page.evaluate((name) => sessionStorage.getItem(name), TOKEN_KEY)).toBeNull();
        // the failed login above is the only expected console error (its 401)
        expect(problems.filter((p) => !p.includes('401'))).toEqual([]);
      } finally {
        await context.close();
      }
    },
    60_000,
  );

  it(
    'tops up a key: the console shows the new budget and the buyer API agrees',
    async () => {
      const id = await demoKeyId();
      const before = await buyerGet<{ budget_usd: string }>('/api/usage');
      const { context, page } = await signedIn();
      try {
        // find it the way an operator would: search by email, open the row
        await page.goto(`${demo.url}/admin/keys?lang=en`);
        await page.fill('#keys-q', 'demo@example.com');
        await page.click('#keys-search');
        await page.locator(`#keys-table tr[data-key-id="${id}"] a`).click();
        await page.locator('#key-facts').waitFor({ timeout: 10_000 });

        // a destructive action asks first; Escape says no
        await page.click('#key-rotate');
        await page.locator('dialog[open] #confirm-yes').waitFor();
        await page.keyboard.press('Escape');
        await page.locator('dialog[open]').waitFor({ state: 'detached' });

        await page.fill('#key-topup-amount', '5');
        await page.click('#key-topup-submit');
        await page.locator('#key-topup-done').waitFor({ timeout: 10_000 });

        const after = await buyerGet<{ budget_usd: string }>('/api/usage');
        expect(after.budget_usd).toBe(sumUsd([before.budget_usd, '5']));
        expect(await page.locator('#key-budget').textContent()).toBe(usd(after.budget_usd));
        expect(await page.locator('#key-topup-done').textContent()).toContain(usd(after.budget_usd));
        await screenshot(page, 'admin-key-detail-en-desktop');

        // the limits left to the plan show the plan's values (pro: 30 a minute, 8 at once), not blanks
        const pro = (await adminGet<{ data: { id: string; rpm: number; max_concurrency: number }[] }>('/plans')).data.find((p) => p.id === 'pro');
        expect(await page.inputValue('#key-rpm')).toBe('');
        expect(await page.getAttribute('#key-rpm', 'placeholder')).toBe(String(pro?.rpm));
        expect(await page.getAttribute('#key-concurrency', 'placeholder')).toBe(String(pro?.max_concurrency));
        expect(await page.locator('#key-rpm-help').textContent()).toBe(fmt(en.admin.keys.limitHelp, { value: String(pro?.rpm) }));

        // the audit log's action filter offers the actions the log holds (the top-up above, and a
        // note change here), and choosing one shows only its rows
        const noted = await fetch(`${demo.url}/admin/api/keys/${encodeURIComponent(id)}`, {
          method: 'PATCH',
          headers: { authorization: `Bearer ${demo.adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ note: 'demo key (checked by the console test)' }),
        });
        expect(noted.status).toBe(200);
        await page.goto(`${demo.url}/admin/audit?lang=en`);
        await page.locator('#audit-table').waitFor({ timeout: 10_000 });
        const actionsShown = () => page.locator('#audit-table tbody tr td:nth-child(2) code').allTextContents();
        expect(new Set(await actionsShown())).toEqual(new Set(['key.topup', 'key.update']));
        expect(await page.locator('#audit-action').evaluate((el) => el.tagName)).toBe('SELECT');
        const options = await page.locator('#audit-action option').evaluateAll((els) => els.map((o) => (o as HTMLOptionElement).value));
        expect(options[0]).toBe('');
        expect(options.slice(1)).toEqual(['key.topup', 'key.update']);
        await page.selectOption('#audit-action', 'key.topup');
        await page.locator('.admin-filters button[type="submit"]').click();
        await page.waitForFunction(() => ![...document.querySelectorAll('#audit-table tbody tr td:nth-child(2) code')].some((c) => c.textContent !== 'key.topup'));
        expect(new Set(await actionsShown())).toEqual(new Set(['key.topup']));
      } finally {
        await context.close();
      }
    },
    60_000,
  );

  it(
    "reprices deepseek-v4-flash's output: the next completion costs the new price",
    async () => {
      const NEW_OUTPUT = '7';
      const { context, page } = await signedIn();
      try {
        await page.goto(`${demo.url}/admin/catalog?lang=en`);
        const form = '#model-deepseek-v4-flash';
        await page.locator(form).waitFor({ timeout: 10_000 });
        await page.fill(`${form}-peak-output_usd`, NEW_OUTPUT);
        await page.fill(`${form}-off_peak-output_usd`, NEW_OUTPUT);
        await page.click(`${form}-save`);
        await page.locator(`${form}-done`).waitFor({ timeout: 10_000 });
      } finally {
        await context.close();
      }

      const models = await adminGet<{ data: { id: string; prices: Record<string, { cache_hit_usd: string; cache_miss_usd: string; output_usd: string }> }[] }>(
        '/models',
      );
      const flash = models.data.find((m) => m.id === 'deepseek-v4-flash');
      expect(flash?.prices.peak?.output_usd).toBe('7.000000000');

      const res = await chat(demo.demoKey);
      expect(res.status).toBe(200);
      await res.text();
      const latest = (await buyerGet<{ data: { cost_usd: string; period: string; prompt_cache_hit_tokens: number; prompt_cache_miss_tokens: number; completion_tokens: number }[] }>(
        '/api/usage/requests?limit=1',
      )).data[0];
      expect(latest).toBeDefined();
      if (!latest || !flash) return;
      const prices = flash.prices[latest.period];
      expect(prices).toBeDefined();
      const expected = sumUsd([
        costOf(latest.prompt_cache_hit_tokens, prices?.cache_hit_usd ?? '0'),
        costOf(latest.prompt_cache_miss_tokens, prices?.cache_miss_usd ?? '0'),
        costOf(latest.completion_tokens, NEW_OUTPUT),
      ]);
      expect(latest.cost_usd).toBe(expected);

      // and the console's ledger shows that cost on its newest row
      const watched = await signedIn();
      try {
        await watched.page.goto(`${demo.url}/admin/ledger?lang=en`);
        const first = watched.page.locator('#ledger-table tbody tr').first();
        await first.waitFor({ timeout: 10_000 });
        expect(await first.locator('.cost').textContent()).toBe(usd(latest.cost_usd));
      } finally {
        await watched.context.close();
      }
    },
    60_000,
  );

  it(
    'allows web search at a per-call price in the catalog: the next Messages request is billed for its searches and the ledger shows its API; removing the price refuses the tool again',
    async () => {
      const messages = () =>
        fetch(`${demo.url}/anthropic/v1/messages`, {
          method: 'POST',
          headers: { 'x-api-key': demo.demoKey, 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'deepseek-v4-flash', max_tokens: 100, tools: [{ type: 'web_search_20250305', name: 'web_search' }], messages: [{ role: 'user', content: 'news #searches=2 #tokens=3' }] }),
        });
      expect((await messages()).status).toBe(400);
      const { context, page, problems } = await signedIn();
      try {
        await page.goto(`${demo.url}/admin/catalog?lang=en`);
        await page.locator('#tool-prices-none').waitFor({ timeout: 10_000 });
        await page.selectOption('#tool-price-tool', 'web_search');
        await page.selectOption('#tool-price-model', '*');
        await page.fill('#tool-price-peak', '0.00075');
        await page.fill('#tool-price-off-peak', '0.0005');
        await page.fill('#tool-price-max', '4');
        await page.click('#tool-price-save');
        await page.locator('#tool-price-done').waitFor({ timeout: 10_000 });
        const row = page.locator('#tool-prices-table tr[data-tool="web_search"][data-model="*"]');
        await row.waitFor({ timeout: 10_000 });
        expect(await row.textContent()).toContain(usd('0.000750000'));
        await screenshot(page, 'admin-tool-prices-en-desktop');
        const listed = await adminGet<{ data: unknown[] }>('/tool-prices');
        expect(listed.data).toEqual([{ tool: 'web_search', model: '*', peak_usd_per_call: '0.000750000', off_peak_usd_per_call: '0.000500000', max_calls_per_request: 4 }]);

        const res = await messages();
        expect(res.status).toBe(200);
        await res.text();
        const latest = (await buyerGet<{ data: { protocol: string; server_tool_calls: { web_search: number }; server_tool_cost_usd: string; period: string }[] }>('/api/usage/requests?limit=1')).data[0];
        expect(latest?.protocol).toBe('anthropic');
        expect(latest?.server_tool_calls.web_search).toBe(2);
        expect(latest?.server_tool_cost_usd).toBe(latest?.period === 'peak' ? '0.001500000' : '0.001000000');

        await page.goto(`${demo.url}/admin/ledger?lang=en`);
        const first = page.locator('#ledger-table tbody tr').first();
        await first.waitFor({ timeout: 10_000 });
        expect(await first.locator('[data-protocol]').getAttribute('data-protocol')).toBe('anthropic');
        expect((await first.locator('[data-protocol]').textContent())?.trim()).toBe(en.common.protocols.anthropic);
        expect(await first.locator('.cost').textContent()).toContain(fmt(en.common.toolCalls, { n: 2 }));
        // the API filter: only the chat requests, then only the Anthropic ones
        await page.selectOption('#ledger-protocol', 'chat');
        await page.locator('.admin-filters button[type="submit"]').click();
        await page.waitForFunction(() => [...document.querySelectorAll('#ledger-table [data-protocol]')].every((c) => c.getAttribute('data-protocol') === 'chat'));
        expect(await page.locator('#ledger-table [data-protocol="chat"]').count()).toBeGreaterThan(0);
        await page.selectOption('#ledger-protocol', 'anthropic');
        await page.locator('.admin-filters button[type="submit"]').click();
        await page.waitForFunction(() => [...document.querySelectorAll('#ledger-table [data-protocol]')].every((c) => c.getAttribute('data-protocol') === 'anthropic'));
        expect(await page.locator('#ledger-table [data-protocol]').count()).toBe(1);

        await page.goto(`${demo.url}/admin/catalog?lang=en`);
        await row.locator('button').click();
        await page.locator('dialog[open] #confirm-yes').click();
        await page.locator('#tool-prices-none').waitFor({ timeout: 10_000 });
        expect(problems).toEqual([]);
      } finally {
        await context.close();
      }
      expect((await messages()).status).toBe(400);
      const audit = await adminGet<{ data: { action: string; target: string }[] }>('/audit?action=tool_price.set');
      expect(audit.data.map((r) => r.target)).toEqual(['web_search:*']);
      expect((await adminGet<{ data: unknown[] }>('/audit?action=tool_price.remove')).data).toHaveLength(1);
    },
    60_000,
  );

  const SECTIONS = ['overview', 'keys', 'orders', 'mail', 'catalog', 'upstreams', 'ledger', 'settings', 'audit'] as const;
  const READY: Record<(typeof SECTIONS)[number], string> = {
    overview: '#overview-stats',
    keys: '#keys-table',
    orders: '#orders-table',
    mail: '#mail-table',
    catalog: '#schedule-form',
    upstreams: '#upstreams-table',
    ledger: '#ledger-table',
    settings: '#settings-form',
    audit: '#audit-table',
  };

  for (const [viewportName, viewport] of [
    ['desktop', DESKTOP],
    ['phone', PHONE],
  ] as const) {
    for (const lang of ['en', 'zh'] as const) {
      it(
        `reaches every section from its tabs in ${lang} at ${viewportName} width, and no page or box of the console scrolls sideways`,
        async () => {
          const t = DICTS[lang];
          const { context, page, problems, settled } = await signedIn(viewport);
          const check = async (what: string) => {
            await settled();
            expect({ what, overflow: await sidewaysOverflow(page) }).toEqual({ what, overflow: [] });
            expect({ what, problems }).toEqual({ what, problems: [] });
          };
          try {
            await page.goto(`${demo.url}/admin?lang=${lang}`);
            expect(await heading(page)).toBe(t.admin.nav.overview);
            for (const section of SECTIONS) {
              // the tab is on the screen, whole, and takes the operator there
              const tab = page.locator(`.admin-nav a[data-section="${section}"]`);
              const box = await tab.boundingBox();
              expect({ section, onScreen: box !== null && box.x >= 0 && box.x + box.width <= viewport.width && box.y >= 0 }).toEqual({ section, onScreen: true });
              await tab.click();
              expect(await heading(page)).toBe(t.admin.nav[section]);
              expect(await tab.getAttribute('aria-current')).toBe('page');
              await page.locator(READY[section]).first().waitFor({ timeout: 10_000 });
              await check(section);
              if (viewportName === 'phone' || lang === 'en') await screenshot(page, `admin-${section}-${lang}-${viewportName}`);
            }
            // the list tables are cards on a phone: no column headers in sight, every value labelled
            if (viewportName === 'phone') {
              await page.locator('.admin-nav a[data-section="mail"]').click();
              const mailCell = page.locator('#mail-table tbody td[data-label]').first();
              await mailCell.waitFor();
              expect(await mailCell.evaluate((td) => getComputedStyle(td).display)).not.toBe('table-cell');
              expect(await mailCell.getAttribute('data-label')).toBe(t.admin.mail.status);
              await page.locator('.admin-nav a[data-section="orders"]').click();
              const cell = page.locator('#orders-table tbody td').first();
              await cell.waitFor();
              expect(await cell.evaluate((td) => getComputedStyle(td).display)).not.toBe('table-cell');
              expect(await cell.getAttribute('data-label')).toBe(t.admin.orders.colOrder);
            } else {
              // the Orders table at 1280 px: its last column, "Paid", inside the table's box
              await page.locator('.admin-nav a[data-section="orders"]').click();
              const paid = page.locator('#orders-table thead th').last();
              await paid.waitFor();
              expect((await paid.textContent())?.trim()).toBe(t.admin.orders.colPaid);
              const [cellBox, wrapBox] = [await paid.boundingBox(), await page.locator('#orders-table').locator('xpath=..').boundingBox()];
              expect(cellBox !== null && wrapBox !== null && cellBox.x + cellBox.width <= wrapBox.x + wrapBox.width + 1).toBe(true);
            }
            // and the detail pages: an order with its payments and webhook events, a key with its forms and ledger
            await page.locator('#orders-table tbody tr').filter({ hasText: LONG_EMAIL }).locator('a').first().click();
            await page.locator('.card').first().waitFor();
            await check('order detail');
            await page.goto(`${demo.url}/admin/keys/${encodeURIComponent(await demoKeyId())}?lang=${lang}`);
            await page.locator('#key-facts').waitFor({ timeout: 10_000 });
            await check('key detail');
            if (viewportName === 'phone') await screenshot(page, `admin-key-detail-${lang}-phone`);
            // a bought key's page: its purchase in the credits table, a card on a phone
            const bought = (await adminGet<{ data: { id: string }[] }>(`/keys?q=${encodeURIComponent(LONG_EMAIL)}`)).data[0];
            await page.goto(`${demo.url}/admin/keys/${encodeURIComponent(bought?.id ?? '')}?lang=${lang}`);
            const credit = page.locator('#key-credits tbody td[data-label]').first();
            await credit.waitFor({ timeout: 10_000 });
            expect(await credit.evaluate((td) => getComputedStyle(td).display)).toBe(viewportName === 'phone' ? 'flex' : 'table-cell');
            await check('a bought key with its credits');
          } finally {
            await context.close();
          }
        },
        120_000,
      );
    }
  }
});
