// Capture and crediting: the return page, the JS capture, webhooks and the reconciler, in any
// order and as often as they come, make one key for one COMPLETED capture of the right amount.

import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { startCheckoutStack, waitFor, type CheckoutStack } from '../helpers/checkout';

type J = Record<string, any>;
const orderPage = (c: { order_id: string; view_token: string }) => `/order?order_id=${c.order_id}&view=${c.view_token}`;

describe('the happy path', () => {
  let s: CheckoutStack;
  beforeAll(async () => {
    s = await startCheckoutStack({ deepseek: true });
  });
  afterAll(() => s.close());

  it('create → approve → return page → 303 to the order page → the key → a chat completion', async () => {
    const created = await s.checkout('starter', 'happy@example.com');
    const back = await s.approve(created.paypal_order_id);
    expect(back).toStartWith(`${s.url}/checkout/return?order_id=${created.order_id}&view=${created.view_token}&token=${created.paypal_order_id}`);

    const res = await s.visit(back);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(orderPage(created));

    const { status, body } = await s.viewOrder(created.order_id, created.view_token);
    expect(status).toBe(200);
    expect(body).toMatchObject({ order_id: created.order_id, status: 'paid', plan_id: 'starter', budget_usd: '4.250000000', remaining_usd: '4.250000000', key_status: 'active' });
    expect(body.key).toMatch(/^sk-gateway-[0-9A-Za-z]{40}$/);
    expect(Date.parse(body.paid_at)).toBeGreaterThan(Date.now() - 60_000);
    expect(body.approve_url).toBeNull();

    const [payment] = s.payments(created.order_id);
    expect(payment).toMatchObject({ status: 'COMPLETED', amount_nano: 5_000_000_000, currency: 'USD', refunded_nano: 0 });
    const [key] = s.keysOf(created.order_id);
    expect(key).toMatchObject({ plan_id: 'starter', budget_nano: 4_250_000_000, email: 'happy@example.com', status: 'active' });
    expect(s.order(created.order_id).key_id).toBe(key?.id);

    const chat = await fetch(`${s.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${body.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'Hello there' }], max_tokens: 32 }),
    });
    expect(chat.status).toBe(200);
    const completion = (await chat.json()) as J;
    expect(completion.choices[0].message.role).toBe('assistant');
    expect(completion.choices[0].message.content.length).toBeGreaterThan(0);
    expect(completion.usage.prompt_tokens).toBeGreaterThan(0);
  });

  it('makes one key, one payment and one credit however often capture is asked for', async () => {
    const created = await s.checkout('trial', 'many@example.com');
    const back = await s.approve(created.paypal_order_id); // PayPal also sends CHECKOUT.ORDER.APPROVED
    const [first, second, js] = await Promise.all([
      s.visit(back),
      s.visit(back),
      s.post(`/api/checkout/${created.order_id}/capture?view=${created.view_token}`, {}),
      s.gw.deps.checkout.reconcileNow({ minAgeMs: 0, backoff: false }),
    ]);
    expect(first.status).toBe(303);
    expect(second.status).toBe(303);
    expect(js.status).toBe(200);
    expect(((await js.json()) as J).status).toBe('paid');
    await s.control('webhook', { event_type: 'CHECKOUT.ORDER.APPROVED', order_id: created.paypal_order_id });
    await s.control('webhook', { event_type: 'PAYMENT.CAPTURE.COMPLETED', order_id: created.paypal_order_id });
    expect((await s.visit(back)).status).toBe(303);
    await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0, backoff: false });
    await s.gw.deps.checkout.settled();

    expect(s.keysOf(created.order_id)).toHaveLength(1);
    expect(s.payments(created.order_id)).toHaveLength(1);
    expect(s.keysOf(created.order_id)[0]?.budget_nano).toBe(800_000_000);
    const { body } = await s.viewOrder(created.order_id, created.view_token);
    expect(body.key).toMatch(/^sk-gateway-/);
    // both webhooks were looked at and changed nothing
    const results = s.rows('SELECT result FROM webhook_events WHERE event_type IN (?, ?)', 'CHECKOUT.ORDER.APPROVED', 'PAYMENT.CAPTURE.COMPLETED').map((r) => r.result);
    expect(results.length).toBeGreaterThanOrEqual(2);
  });

  it('answers the JS capture with the order view, needs the view token, and repeats itself', async () => {
    const created = await s.checkout('starter', 'buttons@example.com');
    await s.approve(created.paypal_order_id);
    const wrong = await s.post(`/api/checkout/${created.order_id}/capture?view=nope`, {});
    expect(wrong.status).toBe(404);
    expect(((await wrong.json()) as J).error.code).toBe('order_not_found');

    const first = (await (await s.post(`/api/checkout/${created.order_id}/capture?view=${created.view_token}`, {})).json()) as J;
    const again = (await (await s.post(`/api/checkout/${created.order_id}/capture?view=${created.view_token}`, {})).json()) as J;
    expect(first.status).toBe('paid');
    expect(first.key).toMatch(/^sk-gateway-/);
    expect(again.key).toBe(first.key);
    expect(s.keysOf(created.order_id)).toHaveLength(1);
  });
});

describe('when things go differently', () => {
  let s: CheckoutStack;
  beforeAll(async () => {
    // No automatic webhooks here, so each test decides who captures.
    s = await startCheckoutStack({ webhooks: false });
  });
  afterAll(() => s.close());

  it('issues no key for a capture whose amount differs from the order, and says why', async () => {
    const created = await s.checkout('starter', 'mismatch@example.com');
    // The order now expects 6 USD while PayPal was asked for 5.
    s.sqlite.run('UPDATE orders SET amount_nano = 6000000000 WHERE id = ?', [created.order_id]);
    const res = await s.pay(created);
    expect(res.headers.get('location')).toBe(orderPage(created));

    const order = s.order(created.order_id);
    expect(order.status).toBe('failed');
    expect(order.status_reason).toContain('amount_mismatch');
    expect(order.status_reason).toContain('5.000000000');
    expect(s.keysOf(created.order_id)).toHaveLength(0);
    const audit = s.audit('order.amount_mismatch').filter((row) => row.target === created.order_id);
    expect(audit).toHaveLength(1);
    expect(JSON.parse(audit[0]?.after)).toMatchObject({ captured_usd: '5.000000000', currency: 'USD' });

    // asking again changes nothing
    await s.visit(await Promise.resolve(`${s.url}/checkout/return?order_id=${created.order_id}&view=${created.view_token}&token=${created.paypal_order_id}`));
    await s.gw.deps.checkout.syncOrder(created.order_id);
    expect(s.keysOf(created.order_id)).toHaveLength(0);
    expect(s.audit('order.amount_mismatch').filter((row) => row.target === created.order_id)).toHaveLength(1);
    const { body } = await s.viewOrder(created.order_id, created.view_token);
    expect(body).toMatchObject({ status: 'failed', key: null });
  });

  it('leaves a PENDING capture pending, then the reconciler credits it once PayPal completes it', async () => {
    const created = await s.checkout('starter', 'pending@example.com');
    await s.control('next', { fail: 'pending' });
    await s.pay(created);
    expect(s.order(created.order_id).status).toBe('pending');
    expect(s.keysOf(created.order_id)).toHaveLength(0);
    const [payment] = s.payments(created.order_id);
    expect(payment?.status).toBe('PENDING');
    expect((await s.viewOrder(created.order_id, created.view_token)).body).toMatchObject({ status: 'pending', key: null });

    // still pending at PayPal: the reconciler finds nothing to credit
    await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0, backoff: false });
    expect(s.keysOf(created.order_id)).toHaveLength(0);

    const completed = await s.control(`complete-capture/${payment?.paypal_capture_id}`, {});
    expect(completed.status).toBe(200);
    // an order younger than 30 s is left alone by the regular pass (the return page is likely on it)…
    await s.gw.deps.checkout.reconcileNow();
    expect(s.order(created.order_id).status).toBe('pending');
    // …and finished once it has waited
    await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0, backoff: false });
    expect(s.order(created.order_id).status).toBe('paid');
    expect(s.keysOf(created.order_id)).toHaveLength(1);
    expect(s.payments(created.order_id)).toMatchObject([{ status: 'COMPLETED' }]);
  });

  it('finishes an order whose buyer approved but never came back', async () => {
    const created = await s.checkout('trial', 'gone@example.com');
    await s.approve(created.paypal_order_id);
    const report = await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0, backoff: false });
    expect(report.checked).toBeGreaterThanOrEqual(1);
    expect(s.order(created.order_id).status).toBe('paid');
    expect(s.keysOf(created.order_id)).toHaveLength(1);
  });

  it('recovers a capture whose answer was lost: the order waits as approved, the reconciler credits it', async () => {
    const created = await s.checkout('starter', 'lost@example.com');
    await s.control('next', { fail: 'timeout', path: '/capture', process: true, ms: 50 });
    const res = await s.pay(created);
    expect(res.headers.get('location')).toBe(orderPage(created));
    expect(s.order(created.order_id).status).toBe('approved');
    expect(s.keysOf(created.order_id)).toHaveLength(0);

    await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0, backoff: false });
    expect(s.order(created.order_id).status).toBe('paid');
    expect(s.keysOf(created.order_id)).toHaveLength(1);
    expect(s.payments(created.order_id)).toHaveLength(1);
  });

  it('does not capture for a return link whose PayPal token is not the order’s', async () => {
    const created = await s.checkout('starter', 'forged-return@example.com');
    await s.approve(created.paypal_order_id);
    const res = await s.visit(`/checkout/return?order_id=${created.order_id}&view=${created.view_token}&token=SOMEONEELSES1234`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(orderPage(created));
    expect(s.order(created.order_id).status).toBe('created');
    expect((await s.control(`orders/${created.paypal_order_id}`)).body.status).toBe('APPROVED');
  });

  it('applies a refund made at PayPal when the operator re-checks the order, with no webhook at all', async () => {
    const created = await s.checkout('trial', 'synced@example.com');
    await s.pay(created);
    const captureId = s.payments(created.order_id)[0]?.paypal_capture_id as string;
    await s.refund(captureId, '0.40');
    expect(s.keysOf(created.order_id)[0]?.budget_nano).toBe(800_000_000);

    expect((await s.gw.deps.checkout.syncOrder(created.order_id)).kind).toBe('paid');
    expect(s.keysOf(created.order_id)[0]).toMatchObject({ budget_nano: 400_000_000, status: 'active' });
    await s.gw.deps.checkout.syncOrder(created.order_id);
    expect(s.keysOf(created.order_id)[0]?.budget_nano).toBe(400_000_000);
    expect(s.audit('order.partially_refunded').filter((r) => r.target === created.order_id)).toHaveLength(1);
  });

  it('credits nothing for a return before the buyer approved', async () => {
    const created = await s.checkout('starter', 'early@example.com');
    const res = await s.visit(`/checkout/return?order_id=${created.order_id}&view=${created.view_token}&token=${created.paypal_order_id}`);
    expect(res.headers.get('location')).toBe(orderPage(created));
    expect(s.order(created.order_id).status).toBe('created');
    expect(s.payments(created.order_id)).toHaveLength(0);
  });
});

describe('webhooks carrying the capture', () => {
  let s: CheckoutStack;
  beforeAll(async () => {
    s = await startCheckoutStack();
  });
  afterAll(() => s.close());

  it('credits a PENDING capture when PAYMENT.CAPTURE.COMPLETED arrives, and not before', async () => {
    const created = await s.checkout('starter', 'pending-hook@example.com');
    await s.control('next', { fail: 'pending' });
    await s.pay(created);
    await waitFor(() => s.order(created.order_id).status === 'pending', 5000, 'pending order');
    await s.processed('PAYMENT.CAPTURE.PENDING');
    expect(s.keysOf(created.order_id)).toHaveLength(0);

    const [payment] = s.payments(created.order_id);
    const sent = await s.control(`complete-capture/${payment?.paypal_capture_id}`, {});
    expect(sent.body.delivered).toBe(true);
    await s.gw.deps.checkout.settled();
    expect(s.order(created.order_id).status).toBe('paid');
    expect(s.keysOf(created.order_id)).toHaveLength(1);
    const { body } = await s.viewOrder(created.order_id, created.view_token);
    expect(body.key).toMatch(/^sk-gateway-/);
  });

  it('captures from CHECKOUT.ORDER.APPROVED alone when the buyer never returns', async () => {
    const created = await s.checkout('trial', 'hook-only@example.com');
    await s.approve(created.paypal_order_id);
    await waitFor(() => s.order(created.order_id).status === 'paid', 8000, 'paid order');
    expect(s.keysOf(created.order_id)).toHaveLength(1);
  });

  it('fails the order when PayPal denies a pending capture', async () => {
    const created = await s.checkout('starter', 'denied@example.com');
    await s.control('next', { fail: 'pending' });
    await s.pay(created);
    await waitFor(() => s.order(created.order_id).status === 'pending', 5000, 'pending order');
    const [payment] = s.payments(created.order_id);
    await s.control(`deny-capture/${payment?.paypal_capture_id}`, {});
    await s.gw.deps.checkout.settled();
    expect(s.order(created.order_id)).toMatchObject({ status: 'failed', status_reason: 'capture_declined' });
    expect(s.keysOf(created.order_id)).toHaveLength(0);
  });
});
