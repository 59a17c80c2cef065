// The buyer's round trip in a real browser: the PayPal simulator's approval page, the Pay
// button, PayPal's redirect to our return page, and our 303 to the order page.

import { afterAll, beforeAll, expect, it } from 'bun:test';
import type { Browser } from 'playwright-core';
import { BROWSER_AVAILABLE, describeBrowser, launchBrowser } from '../helpers/browser';
import { en } from '../../web/src/i18n/en';
import { zh } from '../../web/src/i18n/zh';
import { startCheckoutStack, waitFor, type CheckoutStack } from '../helpers/checkout';
import { ensureWebBuilt } from '../helpers/web-build';

let s: CheckoutStack;
let browser: Browser;

beforeAll(async () => {
  if (!BROWSER_AVAILABLE) return;
  ensureWebBuilt(); // the order page is the built UI
  s = await startCheckoutStack();
  browser = await launchBrowser();
});
afterAll(async () => {
  await browser?.close();
  await s?.close();
});

describeBrowser('paying on the approval page', () => {
  it('takes the buyer from Pay to the order page, and the order then shows the key', async () => {
    const created = await s.checkout('starter', 'browser@example.com');
    const page = await browser.newPage();
    try {
      await page.goto(created.approve_url);
      expect(await page.locator('#amount').textContent()).toBe('5.00 USD');
      expect(await page.locator('#description').textContent()).toBe('Tollgate Starter plan');
      await Promise.all([page.waitForURL((url) => url.pathname === '/order', { timeout: 15_000 }), page.click('#pay')]);

      const landed = new URL(page.url());
      expect(landed.origin).toBe(s.url);
      expect(landed.searchParams.get('order_id')).toBe(created.order_id);
      expect(landed.searchParams.get('view')).toBe(created.view_token);
    } finally {
      await page.close();
    }

    const { status, body } = await s.viewOrder(created.order_id, created.view_token);
    expect(status).toBe(200);
    expect(body.status).toBe('paid');
    expect(body.key).toMatch(/^sk-gateway-[0-9A-Za-z]{40}$/);
    const usage = await s.usage(body.key);
    expect(usage.status).toBe(200);
    expect(s.keysOf(created.order_id)).toHaveLength(1);
  }, 30_000);

  it('sends a buyer who cancels back to the pricing page with no key', async () => {
    const created = await s.checkout('trial', 'cancel@example.com');
    const page = await browser.newPage();
    try {
      await page.goto(created.approve_url);
      await Promise.all([page.waitForURL((url) => url.pathname === '/pricing', { timeout: 15_000 }), page.click('#cancel')]);
      expect(new URL(page.url()).searchParams.get('cancelled')).toBe(created.order_id);
    } finally {
      await page.close();
    }
    expect(s.order(created.order_id).status).toBe('created');
    expect(s.keysOf(created.order_id)).toHaveLength(0);
  }, 30_000);

  it('tells the buyer in English and Chinese why PayPal sent them back, and when to start a new order', async () => {
    const sentBack = await s.checkout('starter', 'payer-action@example.com');
    await s.control('next', { fail: '422', issue: 'PAYER_ACTION_REQUIRED' });
    expect((await s.pay(sentBack)).headers.get('location')).toBe(sentBack.approve_url);
    await s.quiesce();
    const stopped = await s.checkout('starter', 'too-many@example.com');
    await s.control('next', { fail: '422', issue: 'MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED', times: 2 });
    await s.pay(stopped);
    await waitFor(() => s.order(stopped.order_id).status === 'failed', 8000, 'failed order');
    await s.quiesce();

    const page = await browser.newPage();
    try {
      for (const [lang, t] of [['en', en], ['zh', zh]] as const) {
        await page.goto(`${s.url}/order?order_id=${sentBack.order_id}&view=${sentBack.view_token}&lang=${lang}`);
        await page.getByText(t.order.payerAction).waitFor({ timeout: 10_000 });
        expect(await page.locator(`a[href="${sentBack.approve_url}"]`).textContent()).toBe(t.order.payNow);

        await page.goto(`${s.url}/order?order_id=${stopped.order_id}&view=${stopped.view_token}&lang=${lang}`);
        await page.getByText(t.order.attemptsExceeded).waitFor({ timeout: 10_000 });
        expect(await page.locator('#new-order').textContent()).toBe(t.order.newOrder);
      }
    } finally {
      await page.close();
    }
  }, 40_000);
});
