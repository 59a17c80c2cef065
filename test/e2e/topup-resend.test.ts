// In a real browser: "Top up this key" from the order page through the pricing dialog (the key
// filled in) and PayPal back to the order page; the dashboard's purchases and top-ups; "Resend my
// receipts" on the order page in Chinese, with the mail arriving.

import { afterAll, beforeAll, expect, it } from 'bun:test';
import type { Browser } from 'playwright-core';
import { en } from '../../web/src/i18n/en';
import { zh } from '../../web/src/i18n/zh';
import { BROWSER_AVAILABLE, describeBrowser, launchBrowser, openPage } from '../helpers/browser';
import { startCheckoutStack, waitFor, type CheckoutStack } from '../helpers/checkout';
import { startSmtpServer, type SmtpServer } from '../helpers/smtp';
import { ensureWebBuilt } from '../helpers/web-build';

let s: CheckoutStack;
let smtp: SmtpServer;
let browser: Browser;

beforeAll(async () => {
  if (!BROWSER_AVAILABLE) return;
  ensureWebBuilt();
  smtp = await startSmtpServer();
  s = await startCheckoutStack({ env: { TOLLGATE_SMTP_URL: smtp.url, TOLLGATE_MAIL_FROM: 'noreply@tollgate.test', TOLLGATE_MAIL_RETRY_SECONDS: '1' } });
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
  await smtp?.close();
});

describeBrowser('top-ups and receipts in the browser', () => {
  it('tops up the key of a paid order from its page, and the dashboard lists both payments', async () => {
    const created = await s.checkout('trial', 'browser-topup@example.com');
    await s.pay(created);
    await s.quiesce();
    const key = (await s.viewOrder(created.order_id, created.view_token)).body.key as string;
    const keyId = s.keysOf(created.order_id)[0]!.id as string;

    const { page, context, problems } = await openPage(browser);
    try {
      await page.goto(`${s.url}/order?order_id=${created.order_id}&view=${created.view_token}`);
      await page.locator('#api-key-value').waitFor();
      await Promise.all([page.waitForURL((url) => url.pathname === '/pricing'), page.click('#topup-key')]);
      expect(page.url()).not.toContain(key); // the key travels in this tab's storage, never the URL
      await page.locator('#topup-notice').waitFor();
      await page.click('button[data-plan="starter"]');
      expect(await page.locator('#buy-key').inputValue()).toBe(key);
      expect(await page.locator('#buy-title').textContent()).toBe(en.topup.dialogTitle.replace('{plan}', 'Starter'));
      await page.fill('#buy-email', 'browser-topup@example.com');
      await Promise.all([page.waitForURL((url) => url.origin !== s.url, { timeout: 15_000 }), page.click('#buy-submit')]);
      // what the PayPal simulator's page logs (its favicon) is not ours to judge
      expect(problems).toEqual([]);
      const topup = s.rows('SELECT * FROM orders WHERE topup_key_id = ?', keyId)[0]!;
      expect(topup.plan_id).toBe('starter');
      await Promise.all([page.waitForURL((url) => url.pathname === '/order', { timeout: 15_000 }), page.click('#pay')]);
      problems.length = 0;
      await page.locator('#order-heading', { hasText: en.topup.paidTitle }).waitFor({ timeout: 15_000 });
      expect(await page.locator('#api-key-value').inputValue()).toBe(key);

      await page.goto(`${s.url}/dashboard`);
      await page.fill('#dashboard-key', key);
      await page.click('#dashboard-submit');
      await page.locator('#credits-list tbody tr').nth(1).waitFor();
      expect(await page.locator('#credits-list tbody tr').count()).toBe(2);
      expect(await page.locator('#credits-list tbody tr').first().getAttribute('data-order')).toBe(topup.id);
      expect(await page.locator('#credits-list tbody tr').first().textContent()).toContain(en.topup.kindTopup);
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
  }, 60_000);

  it('resends the receipts from the order page in Chinese', async () => {
    const created = await s.checkout('trial', 'browser-resend@example.com');
    await s.pay(created);
    await s.quiesce();
    await smtp.waitFor((m) => m.to === 'browser-resend@example.com');

    const { page, context, problems } = await openPage(browser, { locale: 'zh-CN' });
    try {
      await page.goto(`${s.url}/order?lang=zh`);
      await page.locator('#resend-title', { hasText: zh.resend.title }).waitFor();
      await page.fill('#resend-email', 'browser-resend@example.com');
      await page.click('#resend-submit');
      await page.locator('#resend-done', { hasText: zh.resend.done }).waitFor();
      expect(problems).toEqual([]);
    } finally {
      await context.close();
    }
    await waitFor(() => smtp.messages().filter((m) => m.to === 'browser-resend@example.com').length === 2, 15_000, 'the copy');
    expect(smtp.messages().filter((m) => m.to === 'browser-resend@example.com')[1]!.text).toContain('You asked for this copy');
  }, 60_000);
});
