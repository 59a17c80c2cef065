// Seeing an order again: the view token from the return link, lookup by id and email (with
// one answer for every miss, and a limit per address), and replacing the key.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'bun:test';
import { startCheckoutStack, type CheckoutStack, type Created } from '../helpers/checkout';

type J = Record<string, any>;
let s: CheckoutStack;
let paid: Created & { key: string };
let unpaid: Created;

const lookup = async (body: J) => {
  const res = await s.post('/api/orders/lookup', body);
  return { status: res.status, headers: res.headers, body: (await res.json()) as J };
};
const rotate = async (body: J) => {
  const res = await s.post('/api/orders/rotate-key', body);
  return { status: res.status, headers: res.headers, body: (await res.json()) as J };
};

beforeAll(async () => {
  s = await startCheckoutStack({ webhooks: false });
  const created = await s.checkout('starter', 'Owner@Example.com');
  await s.pay(created);
  paid = { ...created, key: (await s.viewOrder(created.order_id, created.view_token)).body.key as string };
  unpaid = await s.checkout('trial', 'later@example.com');
});
afterAll(() => s.close());
beforeEach(() => s.gw.deps.checkout.resetLookupLimits());

describe('GET /api/orders/{id}?view=', () => {
  it('shows the paid order with its key to the view token', async () => {
    const { status, body } = await s.viewOrder(paid.order_id, paid.view_token);
    expect(status).toBe(200);
    expect(body).toMatchObject({ order_id: paid.order_id, status: 'paid', key: paid.key, email: 'o***@example.com', amount_usd: '5.000000000' });
  });

  it('answers the same 404 for a wrong token, no token and an unknown order', async () => {
    const wrong = await s.viewOrder(paid.order_id, 'x'.repeat(32));
    const none = await fetch(`${s.url}/api/orders/${paid.order_id}`);
    const unknown = await s.viewOrder('ord_doesnotexist0000000', paid.view_token);
    expect(wrong.status).toBe(404);
    expect(none.status).toBe(404);
    expect(unknown.status).toBe(404);
    expect(wrong.body.error.code).toBe('order_not_found');
    expect(await none.json()).toEqual(wrong.body);
    expect(unknown.body).toEqual(wrong.body);
  });
});

describe('POST /api/orders/lookup', () => {
  it('shows the key of a paid order to its email, in any case', async () => {
    const { status, body } = await lookup({ order_id: paid.order_id, email: 'OWNER@example.COM' });
    expect(status).toBe(200);
    expect(body).toMatchObject({ order_id: paid.order_id, status: 'paid', plan_id: 'starter', key: paid.key, budget_usd: '4.250000000', remaining_usd: '4.250000000' });
    expect(typeof body.paid_at).toBe('string');
  });

  it('shows an unpaid order without a key, with where to pay', async () => {
    const { body } = await lookup({ order_id: unpaid.order_id, email: 'later@example.com' });
    expect(body).toMatchObject({ status: 'created', key: null, paid_at: null, remaining_usd: null, approve_url: unpaid.approve_url });
  });

  it('answers a wrong email and a wrong id with the very same 404', async () => {
    const wrongEmail = await lookup({ order_id: paid.order_id, email: 'someone@example.com' });
    const wrongId = await lookup({ order_id: 'ord_AAAAAAAAAAAAAAAAAAAA', email: 'owner@example.com' });
    expect(wrongEmail.status).toBe(404);
    expect(wrongId.status).toBe(404);
    expect(wrongEmail.body).toEqual(wrongId.body);
    expect(wrongEmail.body.error).toMatchObject({ code: 'order_not_found', type: 'invalid_request_error' });
    expect(JSON.stringify(wrongEmail.body)).not.toContain('owner');
  });

  it('allows 10 lookups and rotations per address in 10 minutes; the 11th is 429 with Retry-After', async () => {
    for (let i = 0; i < 6; i++) expect((await lookup({ order_id: paid.order_id, email: `guess${i}@example.com` })).status).toBe(404);
    for (let i = 0; i < 2; i++) expect((await rotate({ order_id: paid.order_id, email: `guess${i}@example.com` })).status).toBe(404);
    expect((await rotate({ order_id: unpaid.order_id, email: 'later@example.com' })).status).toBe(409);
    expect((await lookup({ order_id: paid.order_id, email: 'owner@example.com' })).status).toBe(200);

    const limited = await lookup({ order_id: paid.order_id, email: 'owner@example.com' });
    expect(limited.status).toBe(429);
    expect(limited.body.error.code).toBe('rate_limit_exceeded');
    const retryAfter = Number(limited.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(500);
    expect(retryAfter).toBeLessThanOrEqual(600);
    expect((await rotate({ order_id: paid.order_id, email: 'owner@example.com' })).status).toBe(429);
  });

  it('refuses a body without an email with a 400', async () => {
    const { status, body } = await lookup({ order_id: paid.order_id });
    expect(status).toBe(400);
    expect(body.error.param).toBe('email');
  });
});

describe('POST /api/orders/rotate-key', () => {
  it('gives a new key with the same remaining budget; the old key stops working', async () => {
    // some of the budget already spent
    const keyId = s.order(paid.order_id).key_id as string;
    s.sqlite.run('UPDATE api_keys SET spent_nano = 1000000000 WHERE id = ?', [keyId]);
    s.gw.deps.metering.dropKeyCache();
    const before = (await (await s.usage(paid.key)).json()) as J;
    expect(before.remaining_usd).toBe('3.250000000');

    const { status, body } = await rotate({ order_id: paid.order_id, email: 'owner@example.com' });
    expect(status).toBe(200);
    expect(body.key).toMatch(/^sk-gateway-[0-9A-Za-z]{40}$/);
    expect(body.key).not.toBe(paid.key);
    expect(body).toMatchObject({ status: 'paid', budget_usd: '4.250000000', remaining_usd: '3.250000000' });

    expect((await s.usage(paid.key)).status).toBe(401);
    const after = await s.usage(body.key);
    expect(after.status).toBe(200);
    expect(((await after.json()) as J).remaining_usd).toBe('3.250000000');
    expect(s.keysOf(paid.order_id)).toHaveLength(1);

    const audit = s.audit('key.rotate');
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor: 'buyer', target: keyId, ip: '127.0.0.1' });

    // the order page and the lookup show the new key from now on
    expect((await s.viewOrder(paid.order_id, paid.view_token)).body.key).toBe(body.key);
    expect((await lookup({ order_id: paid.order_id, email: 'owner@example.com' })).body.key).toBe(body.key);
    paid.key = body.key;
  });

  it('answers 409 order_not_paid for an order without a key, and 404 for a wrong email', async () => {
    const unpaidRotate = await rotate({ order_id: unpaid.order_id, email: 'later@example.com' });
    expect(unpaidRotate.status).toBe(409);
    expect(unpaidRotate.body.error.code).toBe('order_not_paid');
    const wrong = await rotate({ order_id: paid.order_id, email: 'thief@example.com' });
    expect(wrong.status).toBe(404);
    expect(s.audit('key.rotate')).toHaveLength(1);
    expect((await s.usage(paid.key)).status).toBe(200);
  });
});
