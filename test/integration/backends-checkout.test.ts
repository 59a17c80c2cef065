import { afterAll, beforeAll, beforeEach, expect, it } from 'bun:test';
import { nextCheckAt, RECHECK_MIN_MS } from '../../server/modules/checkout/reconciler';
import { eachBackend } from '../helpers/backends';
import { startCheckoutStack, waitFor, type CheckoutStack, type Created } from '../helpers/checkout';

// Checkout on both backends, through the gateway's routes with the PayPal simulator: one key and
// one credit per capture however often it is asked for, the order found by each of its ids,
// a refund taken off the budget once, a top-up of an existing key, orders that expire unpaid, and
// the reconciler's backoff in next_check_at.

type J = Record<string, any>;
const HOUR = 3_600_000;
const DAY = 86_400_000;

eachBackend('checkout', (b) => {
  let s: CheckoutStack;
  beforeAll(async () => {
    s = await startCheckoutStack({ env: { ...(await b.env({ icuLocale: 'en-US' })), TOLLGATE_ORDER_EXPIRY_HOURS: '3' }, query: b.query });
  });
  afterAll(() => s?.close());
  it('runs on its backend', () => expect(s.gw.deps.database === undefined).toBe(b.kind === 'postgres'));
  beforeEach(() => s.gw.deps.checkout.resetLookupLimits());

  const one = async (text: string, ...params: (string | number)[]) => (await s.q(text, ...params))[0] as J;
  const order = (id: string) => one('SELECT * FROM orders WHERE id = ?', id);
  const keysOf = (orderId: string) => s.q('SELECT * FROM api_keys WHERE order_id = ?', orderId);
  const paymentsOf = (orderId: string) => s.q('SELECT * FROM payments WHERE order_id = ? ORDER BY id', orderId);
  const creditsOf = (where: string, value: string) => s.q(`SELECT * FROM credits WHERE ${where} = ? ORDER BY id`, value);
  const lookup = async (body: J) => {
    const res = await s.post('/api/orders/lookup', body);
    return { status: res.status, body: (await res.json()) as J };
  };
  const usage = async (key: string) => (await (await s.usage(key)).json()) as J;
  const age = (created: Created, hours: number) =>
    s.q('UPDATE orders SET created_at = created_at - ?, updated_at = updated_at - ? WHERE id = ?', hours * HOUR, hours * HOUR, created.order_id);
  const paid = async (plan: string, email: string, key?: string) => {
    const res = await s.post('/api/checkout', { plan_id: plan, email, ...(key ? { key } : {}) }, { 'x-forwarded-for': `198.51.100.${Math.floor(Math.random() * 250) + 1}` });
    expect(res.status).toBe(200);
    const created = (await res.json()) as Created;
    expect((await s.pay(created)).status).toBe(303);
    await s.quiesce();
    const view = (await s.viewOrder(created.order_id, created.view_token)).body;
    expect(view.status).toBe('paid');
    const [payment] = await paymentsOf(created.order_id);
    return { ...created, key: view.key as string, captureId: payment!.paypal_capture_id as string };
  };

  it('makes one key, one payment and one credit from the return page, the JS capture and replayed webhooks', async () => {
    const created = await s.checkout('starter', 'once@example.com');
    const back = await s.approve(created.paypal_order_id);
    const answers = await Promise.all([
      s.visit(back),
      s.visit(back),
      s.post(`/api/checkout/${created.order_id}/capture?view=${created.view_token}`, {}),
      s.control('webhook', { event_type: 'PAYMENT.CAPTURE.COMPLETED', order_id: created.paypal_order_id }),
      s.control('webhook', { event_type: 'CHECKOUT.ORDER.APPROVED', order_id: created.paypal_order_id }),
    ]);
    expect(answers.every((a) => a.status < 500)).toBe(true);
    await s.quiesce();
    await s.control('webhook', { event_type: 'PAYMENT.CAPTURE.COMPLETED', order_id: created.paypal_order_id });
    await s.quiesce();
    expect((await s.visit(back)).status).toBe(303);

    const keys = await keysOf(created.order_id);
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ plan_id: 'starter', budget_nano: 4_250_000_000, spent_nano: 0, email: 'once@example.com', status: 'active' });
    expect(await paymentsOf(created.order_id)).toMatchObject([{ status: 'COMPLETED', amount_nano: 5_000_000_000, refunded_nano: 0 }]);
    expect(await creditsOf('order_id', created.order_id)).toMatchObject([{ kind: 'purchase', amount_nano: 5_000_000_000, budget_added_nano: 4_250_000_000 }]);
    expect(await order(created.order_id)).toMatchObject({ status: 'paid', key_id: keys[0]!.id });
    const view = (await s.viewOrder(created.order_id, created.view_token)).body;
    expect(view).toMatchObject({ status: 'paid', budget_usd: '4.250000000', remaining_usd: '4.250000000', key_status: 'active' });
    expect(await usage(view.key)).toMatchObject({ budget_usd: '4.250000000', spent_usd: '0.000000000', status: 'active' });
    expect((await s.q("SELECT * FROM audit_log WHERE action = 'key.create' AND target = ?", keys[0]!.id as string)).length).toBeLessThanOrEqual(1);
  });

  it('finds an order by our id, PayPal’s order id and the capture id, and answers every mismatch with the same 404', async () => {
    const order = await paid('starter', 'Finder@Example.com');
    for (const id of [order.order_id, order.paypal_order_id, order.captureId]) {
      const found = await lookup({ order_id: id, email: 'FINDER@example.com' });
      expect(found.status).toBe(200);
      expect(found.body).toMatchObject({ order_id: order.order_id, status: 'paid', key: order.key, budget_usd: '4.250000000' });
    }
    const misses = await Promise.all([
      lookup({ order_id: order.order_id, email: 'other@example.com' }),
      lookup({ order_id: order.captureId, email: 'other@example.com' }),
      lookup({ order_id: 'ord_AAAAAAAAAAAAAAAAAAAA', email: 'finder@example.com' }),
      lookup({ order_id: '5O190127TN364715T', email: 'finder@example.com' }),
    ]);
    for (const miss of misses) {
      expect(miss.status).toBe(404);
      expect(miss.body).toEqual(misses[0]!.body);
    }
    expect(misses[0]!.body.error.code).toBe('order_not_found');
    const wrongView = await s.viewOrder(order.order_id, 'x'.repeat(32));
    expect(wrongView.status).toBe(404);
    expect(wrongView.body.error.code).toBe('order_not_found');
  });

  it('takes a refund off the budget once, however often its event comes', async () => {
    const order = await paid('starter', 'refund@example.com');
    await s.refund(order.captureId, '2.00');
    const [event] = await waitFor(async () => {
      const rows = await s.q("SELECT * FROM webhook_events WHERE event_type = 'PAYMENT.CAPTURE.REFUNDED' AND processed_at IS NOT NULL AND order_id = ?", order.order_id);
      return rows.length >= 1 ? rows : undefined;
    }, 8000, 'the refund event');
    await s.gw.deps.checkout.settled();
    expect(await paymentsOf(order.order_id)).toMatchObject([{ status: 'PARTIALLY_REFUNDED', refunded_nano: 2_000_000_000 }]);
    expect(await usage(order.key)).toMatchObject({ status: 'active', budget_usd: '2.250000000' });

    // the same event again, and the same refund reported by another event
    const resent = await fetch(`${s.paypal.url}/v1/notifications/webhooks-events/${event!.id}/resend`, { method: 'POST', headers: { authorization: `Bearer ${await s.paypalToken()}` } });
    expect(resent.status).toBe(202);
    await s.quiesce();
    await s.gw.deps.checkout.syncOrder(order.order_id);
    await s.gw.deps.checkout.settled();
    expect(await usage(order.key)).toMatchObject({ status: 'active', budget_usd: '2.250000000' });
    expect(await paymentsOf(order.order_id)).toMatchObject([{ refunded_nano: 2_000_000_000 }]);
    expect(await s.q("SELECT id FROM audit_log WHERE action = 'order.partially_refunded' AND target = ?", order.order_id)).toHaveLength(1);
    const [key] = await keysOf(order.order_id);
    expect(key).toMatchObject({ budget_nano: 2_250_000_000, status: 'active' });
  });

  it('tops up an existing key: the budget added, the expiry extended from the current one, one credit, no new key', async () => {
    const first = await paid('starter', 'topper@example.com');
    const [before] = await keysOf(first.order_id);
    const keyCount = (await one('SELECT count(*) AS n FROM api_keys')).n;
    const topup = await paid('pro', 'topper@example.com', first.key);
    expect(await order(topup.order_id)).toMatchObject({ topup_key_id: before!.id, key_id: before!.id, status: 'paid' });
    expect(topup.key).toBe(first.key);
    const after = await one('SELECT * FROM api_keys WHERE id = ?', before!.id as string);
    expect(after).toMatchObject({ budget_nano: 4_250_000_000 + 45_000_000_000, plan_id: 'pro', key_hash: before!.key_hash, status: 'active' });
    expect(after.expires_at).toBe(before!.expires_at + 180 * DAY);
    expect((await one('SELECT count(*) AS n FROM api_keys')).n).toBe(keyCount);
    expect((await creditsOf('key_id', before!.id as string)).map((c) => [c.kind, c.budget_added_nano, c.plan_before, c.plan_after])).toEqual([
      ['purchase', 4_250_000_000, null, 'starter'],
      ['topup', 45_000_000_000, 'starter', 'pro'],
    ]);
    expect(await usage(first.key)).toMatchObject({ budget_usd: '49.250000000', plan_id: 'pro' });
    const credits = (await (await fetch(`${s.url}/api/usage/credits`, { headers: { authorization: `Bearer ${first.key}` } })).json()) as J;
    expect(credits.data.map((c: J) => [c.order_id, c.kind, c.expires_after])).toEqual([
      [topup.order_id, 'topup', new Date(after.expires_at).toISOString()],
      [first.order_id, 'purchase', new Date(before!.expires_at).toISOString()],
    ]);
  });

  it('lists and searches orders in the console by any of their ids and the email in any case, and shows one with its payments and events', async () => {
    const order = await paid('starter', 'Console_Buyer@Example.com');
    const admin = async (path: string, init: RequestInit = {}) => {
      const res = await fetch(`${s.url}/admin/api${path}`, { ...init, headers: { authorization: `Bearer ${s.gw.admin.token}`, 'content-type': 'application/json' } });
      return { status: res.status, body: (await res.json()) as J };
    };
    for (const q of [order.order_id, order.order_id.toLowerCase(), order.paypal_order_id, order.captureId, 'CONSOLE_BUYER@example', 'console_buyer']) {
      const found = (await admin(`/orders?q=${encodeURIComponent(q)}`)).body;
      expect({ q, total: found.total, ids: found.data.map((o: J) => o.id) }).toEqual({ q, total: 1, ids: [order.order_id] });
    }
    expect((await admin('/orders?q=consoleXbuyer')).body.total).toBe(0);
    const all = (await admin('/orders?limit=100')).body;
    const rows = (await s.q('SELECT id, created_at FROM orders')) as J[];
    expect(all.total).toBe(rows.length);
    expect(all.data.map((o: J) => o.id)).toEqual(rows.sort((x, y) => y.created_at - x.created_at || (y.id < x.id ? -1 : 1)).map((r) => r.id));
    const page = (await admin('/orders?limit=1&offset=1')).body;
    expect({ total: page.total, ids: page.data.map((o: J) => o.id) }).toEqual({ total: rows.length, ids: [all.data[1].id] });
    const detail = (await admin(`/orders/${order.order_id}`)).body;
    expect(detail).toMatchObject({ id: order.order_id, status: 'paid', email: 'console_buyer@example.com', amount_usd: '5.000000000' });
    expect(detail.payments).toEqual([expect.objectContaining({ paypal_capture_id: order.captureId, status: 'COMPLETED', amount_usd: '5.000000000', refunded_usd: '0.000000000' })]);
    expect(detail.webhook_events.length).toBeGreaterThanOrEqual(1);
    expect(detail.webhook_events.every((e: J) => e.verified === true && typeof e.received_at === 'string')).toBe(true);
    const received = detail.webhook_events.map((e: J) => Date.parse(e.received_at));
    expect(received).toEqual([...received].sort((x: number, y: number) => x - y));

    // two refunds recorded at once: both count, and the budget is lowered by their sum
    const answers = await Promise.all(['1', '2'].map((amount_usd) => admin(`/orders/${order.order_id}/refund`, { method: 'POST', body: JSON.stringify({ amount_usd }) })));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(await paymentsOf(order.order_id)).toMatchObject([{ status: 'PARTIALLY_REFUNDED', refunded_nano: 3_000_000_000 }]);
    expect(await usage(order.key)).toMatchObject({ status: 'active', budget_usd: '1.250000000' });
  });

  it('gives the buyer a new key with the same remaining budget; the old key stops working', async () => {
    const order = await paid('starter', 'rotator@example.com');
    const [row] = await keysOf(order.order_id);
    await s.q('UPDATE api_keys SET spent_nano = 1000000000 WHERE id = ?', row!.id as string);
    s.gw.deps.metering.dropKeyCache();
    const res = await s.post('/api/orders/rotate-key', { order_id: order.paypal_order_id, email: 'ROTATOR@example.com' });
    expect(res.status).toBe(200);
    const body = (await res.json()) as J;
    expect(body).toMatchObject({ order_id: order.order_id, status: 'paid', budget_usd: '4.250000000', remaining_usd: '3.250000000' });
    expect(body.key).not.toBe(order.key);
    expect((await s.usage(order.key)).status).toBe(401);
    expect(await usage(body.key)).toMatchObject({ remaining_usd: '3.250000000' });
    expect(await keysOf(order.order_id)).toHaveLength(1);
    expect((await keysOf(order.order_id))[0]!.key_hash).not.toBe(row!.key_hash);
    expect((await s.viewOrder(order.order_id, order.view_token)).body.key).toBe(body.key);
    expect(await s.q("SELECT actor, target FROM audit_log WHERE action = 'key.rotate' AND target = ?", row!.id as string)).toEqual([{ actor: 'buyer', target: row!.id }]);
  });

  it('captures many orders paid at the same moment, each once with its own key', async () => {
    const created = await Promise.all(Array.from({ length: 12 }, (_, i) => s.checkout('trial', `rush${i}@example.com`)));
    const backs = await Promise.all(created.map((c) => s.approve(c.paypal_order_id)));
    const answers = await Promise.all(backs.flatMap((back) => [s.visit(back), s.visit(back)]));
    expect(answers.every((a) => a.status === 303)).toBe(true);
    await s.quiesce();
    for (const c of created) {
      expect((await order(c.order_id)).status).toBe('paid');
      expect(await keysOf(c.order_id)).toHaveLength(1);
      expect(await creditsOf('order_id', c.order_id)).toHaveLength(1);
    }
    const keyIds = new Set((await Promise.all(created.map((c) => keysOf(c.order_id)))).map(([k]) => k!.id));
    expect(keyIds.size).toBe(12);
  });

  it('expires orders not paid in time, stops asking PayPal about them, and still honours a late payment', async () => {
    const young = await s.checkout('starter', 'young@example.com');
    const old = await s.checkout('starter', 'old@example.com');
    await age(young, 2.5);
    await age(old, 3.5);
    await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0, backoff: false });
    expect(await order(old.order_id)).toMatchObject({ status: 'expired', status_reason: 'not_paid_in_time' });
    expect((await order(young.order_id)).status).toBe('created');
    const asked = (await order(old.order_id)).next_check_at;
    await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0, backoff: false });
    expect((await order(old.order_id)).next_check_at).toBe(asked);
    const admin = (await (await fetch(`${s.url}/admin/api/orders?status=expired`, { headers: { authorization: `Bearer ${s.gw.admin.token}` } })).json()) as J;
    expect(admin.data.map((o: J) => o.id ?? o.order_id)).toContain(old.order_id);
    expect(admin.data.every((o: J) => o.status === 'expired')).toBe(true);

    expect((await s.pay(old)).status).toBe(303);
    await s.quiesce();
    expect((await order(old.order_id)).status).toBe('paid');
    expect(await keysOf(old.order_id)).toHaveLength(1);
  });

  it('asks PayPal about a waiting order again only after a backoff of a quarter of its age, written to next_check_at', async () => {
    const now = Date.now();
    const ages = { young: 10 * 60_000, hour: HOUR, old: 9 * HOUR };
    for (const [name, ageMs] of Object.entries(ages)) {
      // pending at PayPal for good: PayPal does not know these ids, so every sync fails and they keep waiting
      await s.q(
        `INSERT INTO orders (id, plan_id, email, amount_nano, currency, status, paypal_order_id, paypal_request_id, view_token_hash, created_at, updated_at)
         VALUES (?, 'starter', 'stuck@example.com', 5000000000, 'USD', 'pending', ?, ?, 'x', ?, ?)`,
        `ord_wait_${name}`,
        `WAIT${name.toUpperCase()}0000000`,
        crypto.randomUUID(),
        now - ageMs,
        now - ageMs,
      );
    }
    const started = Date.now();
    await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0 });
    const ended = Date.now();
    const next: Record<string, number> = {};
    for (const [name, ageMs] of Object.entries(ages)) {
      const row = await order(`ord_wait_${name}`);
      expect(row.status).toBe('pending');
      expect(row.next_check_at).toBeGreaterThanOrEqual(nextCheckAt(started, now - ageMs));
      expect(row.next_check_at).toBeLessThanOrEqual(nextCheckAt(ended, now - ageMs));
      next[name] = row.next_check_at;
    }
    expect(next.young! - started).toBeLessThan(next.hour! - started);
    expect(next.old! - ended).toBeLessThanOrEqual(HOUR);
    expect(next.old! - started).toBeGreaterThan(next.hour! - started);

    // not asked again before its time; asked again once it is due
    await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0 });
    expect((await order('ord_wait_hour')).next_check_at).toBe(next.hour!);
    await s.q("UPDATE orders SET next_check_at = ? WHERE id = 'ord_wait_hour'", Date.now() - 1);
    await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0 });
    expect((await order('ord_wait_hour')).next_check_at).toBeGreaterThan(Date.now() + RECHECK_MIN_MS);
    expect((await order('ord_wait_old')).next_check_at).toBe(next.old!);
  });
});
