// POST /api/checkout against the PayPal simulator: our order first, then PayPal's, and the
// clear answers when checkout is off or PayPal fails.

import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { approveLink } from '../../server/modules/checkout/paypal-client';
import { startCheckoutStack, type CheckoutStack } from '../helpers/checkout';

type J = Record<string, any>;
let s: CheckoutStack;
beforeAll(async () => {
  s = await startCheckoutStack({ webhooks: false });
});
afterAll(() => s.close());

describe('POST /api/checkout', () => {
  it('creates our order, then a PayPal order for the plan price, and answers where to pay', async () => {
    const res = await s.post('/api/checkout', { plan_id: 'starter', email: '  Buyer.One@Example.COM ' });
    expect(res.status).toBe(200);
    const created = (await res.json()) as J;
    expect(Object.keys(created).sort()).toEqual(['approve_url', 'order_id', 'paypal_order_id', 'view_token']);
    expect(created.order_id).toMatch(/^ord_[0-9A-Za-z]{20}$/);
    expect(created.view_token).toMatch(/^[0-9A-Za-z]{32}$/);
    expect(created.approve_url).toBe(`${s.paypal.url}/checkoutnow?token=${created.paypal_order_id}`);

    const order = s.order(created.order_id);
    expect(order).toMatchObject({ status: 'created', plan_id: 'starter', email: 'buyer.one@example.com', amount_nano: 5_000_000_000, currency: 'USD' });
    expect(order.paypal_order_id).toBe(created.paypal_order_id);
    expect(order.approve_url).toBe(created.approve_url);
    expect(order.paypal_request_id).toMatch(/^[0-9a-f-]{36}$/);
    // only the token's hash is stored
    expect(order.view_token_hash).toBe(new Bun.CryptoHasher('sha256').update(created.view_token).digest('hex'));

    const { body: pp } = await s.control(`orders/${created.paypal_order_id}`);
    expect(pp.intent).toBe('CAPTURE');
    expect(pp.status).toBe('PAYER_ACTION_REQUIRED');
    expect(pp.purchase_units[0]).toMatchObject({
      amount: { currency_code: 'USD', value: '5.00' },
      custom_id: created.order_id,
      invoice_id: created.order_id,
      description: 'Tollgate Starter plan',
    });
    expect(pp.sim.approve_rel).toBe('payer-action');
    expect(pp.sim.return_url).toBe(`${s.url}/checkout/return?order_id=${created.order_id}&view=${created.view_token}`);
    expect(pp.sim.cancel_url).toBe(`${s.url}/pricing?cancelled=${created.order_id}`);
  });

  it('shows a fresh order to the holder of its view token, without a key', async () => {
    const created = await s.checkout('trial', 'viewer@example.com');
    const { status, body } = await s.viewOrder(created.order_id, created.view_token);
    expect(status).toBe(200);
    expect(body).toMatchObject({
      order_id: created.order_id,
      status: 'created',
      plan_id: 'trial',
      paid_at: null,
      key: null,
      email: 'v***@example.com',
      amount_usd: '1.000000000',
      budget_usd: '0.800000000',
      remaining_usd: null,
      approve_url: created.approve_url,
    });
  });

  it.each([
    [{ plan_id: 'starter', email: 'not-an-email' }, 'email'],
    [{ plan_id: 'starter', email: `${'a'.repeat(250)}@example.com` }, 'email'],
    [{ plan_id: 'starter', email: 'two@@example.com' }, 'email'],
    [{ plan_id: 'platinum', email: 'buyer@example.com' }, 'plan_id'],
    [{ plan_id: 'starter' }, 'email'],
  ])('refuses %p with a 400 naming %p', async (body, param) => {
    const before = s.rows('SELECT COUNT(*) AS n FROM orders')[0]?.n;
    const res = await s.post('/api/checkout', body);
    expect(res.status).toBe(400);
    const error = ((await res.json()) as J).error;
    expect(error).toMatchObject({ type: 'invalid_request_error', param });
    expect(s.rows('SELECT COUNT(*) AS n FROM orders')[0]?.n).toBe(before);
  });

  it('refuses a retired plan', async () => {
    s.sqlite.run("UPDATE plans SET retired = 1 WHERE id = 'standard'");
    await s.gw.deps.catalog.invalidate();
    try {
      const res = await s.post('/api/checkout', { plan_id: 'standard', email: 'buyer@example.com' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as J).error.message).toContain('standard');
    } finally {
      s.sqlite.run("UPDATE plans SET retired = 0 WHERE id = 'standard'");
      await s.gw.deps.catalog.invalidate();
    }
  });

  it('answers 502 payment_provider_error and marks the order failed when PayPal fails', async () => {
    await s.control('next', { fail: '500', path: '/v2/checkout/orders', times: 2 });
    const res = await s.post('/api/checkout', { plan_id: 'starter', email: 'unlucky@example.com' });
    expect(res.status).toBe(502);
    const error = ((await res.json()) as J).error;
    expect(error.code).toBe('payment_provider_error');
    expect(error.message).toContain('PayPal');
    const [order] = s.rows("SELECT * FROM orders WHERE email = 'unlucky@example.com'");
    expect(order?.status).toBe('failed');
    expect(order?.status_reason).toContain('paypal_create_failed');
  });

  it('retries a PayPal 5xx once with the same PayPal-Request-Id', async () => {
    await s.control('next', { fail: '500', path: '/v2/checkout/orders', times: 1 });
    const res = await s.post('/api/checkout', { plan_id: 'starter', email: 'retry@example.com' });
    expect(res.status).toBe(200);
    const created = (await res.json()) as J;
    expect(s.order(created.order_id).status).toBe('created');
  });

  it('limits new orders per client address (429 with Retry-After) before PayPal is asked, other buyers unaffected', async () => {
    s.gw.deps.checkout.resetLookupLimits();
    const from = { 'x-forwarded-for': '203.0.113.9' };
    const paypalCreates = () => s.paypal.exchanges.filter((x) => x.method === 'POST' && x.path === '/v2/checkout/orders').length;
    // a bad request costs PayPal nothing and is not counted
    expect((await s.post('/api/checkout', { plan_id: 'nope', email: 'flood@example.com' }, from)).status).toBe(400);
    for (let i = 0; i < 10; i++) expect((await s.post('/api/checkout', { plan_id: 'trial', email: `flood${i}@example.com` }, from)).status).toBe(200);
    const orders = s.rows('SELECT count(*) AS n FROM orders')[0]?.n as number;
    const creates = paypalCreates();

    const limited = await s.post('/api/checkout', { plan_id: 'trial', email: 'flood10@example.com' }, from);
    expect(limited.status).toBe(429);
    const wait = Number(limited.headers.get('retry-after'));
    expect(wait).toBeGreaterThan(0);
    expect(wait).toBeLessThanOrEqual(600);
    const body = (await limited.json()) as J;
    expect(body.error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded', param: null });
    expect(body.error.message).toContain(`${wait} s`);
    expect(s.rows('SELECT count(*) AS n FROM orders')[0]?.n).toBe(orders);
    expect(paypalCreates()).toBe(creates);

    expect((await s.post('/api/checkout', { plan_id: 'trial', email: 'someone-else@example.com' }, { 'x-forwarded-for': '203.0.113.10' })).status).toBe(200);
  });

  it('gets a new PayPal token when the cached one stops working', async () => {
    await s.checkout();
    const expired = await s.control('expire-tokens', {});
    expect(expired.body.expired).toBeGreaterThan(0);
    const created = await s.checkout('starter', 'after-expiry@example.com');
    expect(created.paypal_order_id).toMatch(/^[A-Z0-9]{17}$/);
  });
});

describe("PayPal's approval link", () => {
  it('is found under rel payer-action (current flow) or approve (older flow)', () => {
    const self = { href: 'https://api-m.paypal.com/v2/checkout/orders/1', rel: 'self' };
    expect(approveLink({ id: '1', status: 'PAYER_ACTION_REQUIRED', links: [self, { href: 'https://paypal.example/a', rel: 'payer-action' }] })).toBe('https://paypal.example/a');
    expect(approveLink({ id: '1', status: 'CREATED', links: [self, { href: 'https://paypal.example/b', rel: 'approve' }] })).toBe('https://paypal.example/b');
    expect(approveLink({ id: '1', status: 'CREATED', links: [self] })).toBeUndefined();
  });
});

describe('checkout without PayPal credentials', () => {
  let off: CheckoutStack;
  beforeAll(async () => {
    off = await startCheckoutStack({ credentials: false });
  });
  afterAll(() => off.close());

  it('answers 503 checkout_disabled with a message that says why', async () => {
    const res = await off.post('/api/checkout', { plan_id: 'starter', email: 'buyer@example.com' });
    expect(res.status).toBe(503);
    const error = ((await res.json()) as J).error;
    expect(error.code).toBe('checkout_disabled');
    expect(error.message).toContain('PAYPAL_CLIENT_ID');
    expect(off.rows('SELECT * FROM orders')).toHaveLength(0);
  });

  it('says so in Chinese too, with the same code', async () => {
    const res = await fetch(`${off.url}/api/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'accept-language': 'zh-CN' },
      body: JSON.stringify({ plan_id: 'starter', email: 'buyer@example.com' }),
    });
    const error = ((await res.json()) as J).error;
    expect(error.code).toBe('checkout_disabled');
    expect(error.message).toContain('在线购买未开启');
  });

  it('refuses webhooks the same way, recording nothing', async () => {
    const res = await off.post('/api/paypal/webhook', { id: 'WH-1', event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: { id: 'X' } });
    expect(res.status).toBe(503);
    expect(off.events()).toHaveLength(0);
  });
});
