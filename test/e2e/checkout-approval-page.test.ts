// The buyer's round trip in a real browser: the PayPal simulator's approval page, the Pay
// button, PayPal's redirect to our return page, and our 303 to the order page.

import { afterAll, beforeAll, expect, it } from 'bun:test';
import type { Browser } from 'playwright-core';
import { BROWSER_AVAILABLE, describeBrowser, launchBrowser } from '../helpers/browser';
import { startCheckoutStack, type CheckoutStack } from '../helpers/checkout';

let s: CheckoutStack;
let browser: Browser;

beforeAll(async () => {
  if (!BROWSER_AVAILABLE) return;
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
});
