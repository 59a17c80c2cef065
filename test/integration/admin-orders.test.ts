import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { adminClient, auditRows, type AdminClient } from '../helpers/admin';
import { startCheckoutStack, type Created } from '../helpers/checkout';

type J = Record<string, any>;
type CheckoutStack = Awaited<ReturnType<typeof startCheckoutStack>>;

describe('admin: orders and manual refunds', () => {
  let s: CheckoutStack;
  let admin: AdminClient;
  beforeAll(async () => {
    s = await startCheckoutStack({ webhooks: false });
    admin = adminClient(s.url, s.gw.admin.token);
  });
  afterAll(() => s.close());

  async function paidOrder(email: string): Promise<Created & { key: string; captureId: string }> {
    const created = await s.checkout('starter', email);
    await s.pay(created);
    const { body } = await s.viewOrder(created.order_id, created.view_token);
    if (body.status !== 'paid') throw new Error(`order is ${body.status}`);
    return { ...created, key: body.key as string, captureId: s.payments(created.order_id)[0]?.paypal_capture_id as string };
  }
  const usage = async (key: string) => {
    const res = await s.usage(key);
    return { status: res.status, body: (await res.json()) as J };
  };

  it('lists, searches and shows orders with their payments', async () => {
    const paid = await paidOrder('list@example.com');
    const open = await s.checkout('starter', 'unpaid@example.com');
    const list = await admin.get('/orders?status=paid');
    expect(list.body.data.map((o: J) => o.id)).toContain(paid.order_id);
    expect(list.body.data.map((o: J) => o.id)).not.toContain(open.order_id);
    expect((await admin.get('/orders?q=unpaid@')).body).toMatchObject({ total: 1, data: [{ id: open.order_id, status: 'created' }] });
    expect((await admin.get(`/orders?q=${paid.paypal_order_id}`)).body.data[0].id).toBe(paid.order_id);
    expect((await admin.get(`/orders?q=${paid.captureId}`)).body.data[0].id).toBe(paid.order_id);
    const one = await admin.get(`/orders/${paid.order_id}`);
    expect(one.body).toMatchObject({ id: paid.order_id, status: 'paid', amount_usd: '5.000000000', email: 'list@example.com' });
    expect(one.body.payments).toEqual([expect.objectContaining({ paypal_capture_id: paid.captureId, status: 'COMPLETED', amount_usd: '5.000000000', refunded_usd: '0.000000000' })]);
    expect(Array.isArray(one.body.webhook_events)).toBe(true);
    expect((await admin.get('/orders/ord_nope')).status).toBe(404);
  });

  it('records a partial refund like the webhook: budget lowered, key still active', async () => {
    const paid = await paidOrder('partial@example.com');
    const res = await admin.post(`/orders/${paid.order_id}/refund`, { amount_usd: '2', reason: 'goodwill' });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('paid');
    expect((await usage(paid.key)).body).toMatchObject({ status: 'active', budget_usd: '2.250000000' });
    expect(s.payments(paid.order_id)).toMatchObject([{ status: 'PARTIALLY_REFUNDED', refunded_nano: 2_000_000_000 }]);
    const audit = auditRows(s.sqlite, 'order.refund')[0]!;
    expect(audit).toMatchObject({ actor: 'admin', target: paid.order_id });
    expect(audit.before.budget_usd).toBe('4.250000000');
    expect(audit.after).toMatchObject({ budget_usd: '2.250000000', refunded_usd: '2.000000000', reason: 'goodwill' });

    // more than is left to refund: 400, nothing changes
    const tooMuch = await admin.post(`/orders/${paid.order_id}/refund`, { amount_usd: '3.01' });
    expect(tooMuch.status).toBe(400);
    expect(tooMuch.body.error.param).toBe('amount_usd');
    expect((await admin.post(`/orders/${paid.order_id}/refund`, { amount_usd: 'all' })).status).toBe(400);
    expect((await usage(paid.key)).body.budget_usd).toBe('2.250000000');

    // the rest (the default): full refund, the key is disabled and the order refunded
    const rest = await admin.post(`/orders/${paid.order_id}/refund`, {});
    expect(rest.body.status).toBe('refunded');
    expect((await usage(paid.key)).status).toBe(401);
    const key = s.keysOf(paid.order_id)[0]!;
    expect(key).toMatchObject({ status: 'disabled', status_reason: 'refunded', budget_nano: 0 });
  });

  it('a full refund equals the webhook effect, and the later PayPal event changes nothing', async () => {
    const manual = await paidOrder('manual@example.com');
    const viaPayPal = await paidOrder('paypal@example.com');
    await admin.post(`/orders/${manual.order_id}/refund`, {});
    // the PayPal way: refund at PayPal, then the sync reads it (as the webhook handler would)
    await s.refund(viaPayPal.captureId);
    await admin.post(`/orders/${viaPayPal.order_id}/sync`, {});
    const pick = (orderId: string) => {
      const key = s.keysOf(orderId)[0]!;
      return { order: s.order(orderId).status, payment: s.payments(orderId)[0]!.status, refunded: s.payments(orderId)[0]!.refunded_nano, key: [key.status, key.status_reason, key.budget_nano] };
    };
    expect(pick(manual.order_id)).toEqual(pick(viaPayPal.order_id));
    expect(pick(manual.order_id).order).toBe('refunded');
    // refunding again: nothing left
    const again = await admin.post(`/orders/${manual.order_id}/refund`, {});
    expect(again.status).toBe(409);
    expect(auditRows(s.sqlite, 'order.sync')[0]).toMatchObject({ target: viaPayPal.order_id, after: { status: 'refunded' } });
  });

  it('records two refunds sent at once as both: each adds to what was refunded, and the budget is lowered by the sum', async () => {
    const paid = await paidOrder('two-refunds@example.com');
    const answers = await Promise.all(['2', '3'].map((amount_usd) => admin.post(`/orders/${paid.order_id}/refund`, { amount_usd })));
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    expect(s.payments(paid.order_id)).toMatchObject([{ status: 'REFUNDED', refunded_nano: 5_000_000_000 }]);
    expect(s.order(paid.order_id).status).toBe('refunded');
    expect(s.keysOf(paid.order_id)[0]).toMatchObject({ status: 'disabled', status_reason: 'refunded', budget_nano: 0 });
    const audited = [...auditRows(s.sqlite, 'order.partially_refunded'), ...auditRows(s.sqlite, 'order.refunded')].filter((row) => row.target === paid.order_id);
    const refunded = audited.map((row) => row.after.refunded_usd as string);
    expect(refunded).toHaveLength(2);
    expect(refunded).toContain('5.000000000');
    expect(['2.000000000', '3.000000000']).toContain(refunded.find((usd) => usd !== '5.000000000')!);
  });

  it('will not refund an unpaid order', async () => {
    const open = await s.checkout('starter', 'open@example.com');
    const res = await admin.post(`/orders/${open.order_id}/refund`, {});
    expect(res.status).toBe(409);
    expect(s.order(open.order_id).status).toBe('created');
  });

  it('syncs an approved order whose buyer never came back: PayPal says approved, so it is captured', async () => {
    const created = await s.checkout('starter', 'sync@example.com');
    await s.approve(created.paypal_order_id);
    const res = await admin.post(`/orders/${created.order_id}/sync`);
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('paid');
    expect(res.body.key_hint).toMatch(/^sk-gateway-/);
  });

  it('counts revenue in the overview', async () => {
    const res = await admin.get('/overview?days=7');
    expect(res.status).toBe(200);
    // paid: list, partial (refunded in full later: not counted), sync → at least list + sync paid at 5 USD
    expect(res.body.paid_orders).toBeGreaterThanOrEqual(2);
    expect(res.body.orders_by_status.refunded).toBeGreaterThanOrEqual(3);
    expect(res.body.revenue_by_day.at(-1).date).toBe(new Date().toISOString().slice(0, 10));
    expect(res.body.revenue_usd).toBe(`${5 * res.body.paid_orders}.000000000`);
    expect((await admin.get('/overview?days=0')).status).toBe(400);
  });
});
