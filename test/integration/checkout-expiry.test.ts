// Orders never paid become `expired` after TOLLGATE_ORDER_EXPIRY_HOURS; the reconciler stops
// asking PayPal about them; a late payment of one (return page or webhook) is still honoured.

import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { startCheckoutStack, type CheckoutStack, type Created } from '../helpers/checkout';

const HOUR_MS = 3_600_000;
let s: CheckoutStack;

/** Makes the order look `hours` old, as the database sees it. */
const age = (created: Created, hours: number) =>
  s.sqlite.query('UPDATE orders SET created_at = created_at - ?, updated_at = updated_at - ? WHERE id = ?').run(hours * HOUR_MS, hours * HOUR_MS, created.order_id);

beforeAll(async () => {
  s = await startCheckoutStack({ webhooks: false, env: { TOLLGATE_ORDER_EXPIRY_HOURS: '3' } });
});
afterAll(() => s.close());

describe('orders never paid', () => {
  it('become expired after the expiry hours, and the reconciler stops asking PayPal about them', async () => {
    const young = await s.checkout('starter', 'young@example.com');
    const old = await s.checkout('starter', 'old@example.com');
    age(young, 2.5);
    age(old, 3.5);
    const report = await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0, backoff: false });
    expect(s.order(old.order_id)).toMatchObject({ status: 'expired', status_reason: 'not_paid_in_time' });
    expect(s.order(young.order_id).status).toBe('created');
    expect(report.checked).toBeGreaterThanOrEqual(1); // the young one is still asked about
    // a second pass does not look at the expired one
    const before = s.order(old.order_id).next_check_at;
    await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0, backoff: false });
    expect(s.order(old.order_id).next_check_at).toBe(before);
    const view = await s.viewOrder(old.order_id, old.view_token);
    expect(view.body).toMatchObject({ status: 'expired', approve_url: null, key: null });
  });

  it('shows expired orders in the console, filterable', async () => {
    const res = await fetch(`${s.url}/admin/api/orders?status=expired`, { headers: { authorization: `Bearer ${s.gw.admin.token}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { data: { status: string }[] };
    expect(body.data.length).toBeGreaterThanOrEqual(1);
    expect(body.data.every((o) => o.status === 'expired')).toBe(true);
  });

  it('honours a late payment through the return page', async () => {
    const created = await s.checkout('starter', 'late@example.com');
    age(created, 4);
    expect(await s.gw.deps.checkout.expireOrders()).toBeGreaterThanOrEqual(1);
    expect(s.order(created.order_id).status).toBe('expired');
    const res = await s.pay(created);
    expect(res.status).toBe(303);
    expect(s.order(created.order_id).status).toBe('paid');
    expect(s.keysOf(created.order_id)).toHaveLength(1);
  });

  it('honours a late payment that only a webhook reports', async () => {
    const created = await s.checkout('starter', 'late-webhook@example.com');
    age(created, 4);
    await s.gw.deps.checkout.expireOrders();
    expect(s.order(created.order_id).status).toBe('expired');
    s.paypal.sim.setWebhookUrl(s.webhookUrl);
    try {
      await s.approve(created.paypal_order_id); // the buyer approved and closed the tab: PayPal sends the event
      await s.processed('CHECKOUT.ORDER.APPROVED');
      await s.quiesce();
    } finally {
      s.paypal.sim.setWebhookUrl(undefined);
    }
    expect(s.order(created.order_id).status).toBe('paid');
    expect(s.keysOf(created.order_id)).toHaveLength(1);
  });
});
