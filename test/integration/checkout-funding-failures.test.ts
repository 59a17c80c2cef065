// When PayPal refuses a capture: the buyer is sent back to PayPal (declined card, another funding
// source, an action at PayPal) and the next attempt is a new PayPal-Request-Id, because PayPal
// answers a repeated id with its first answer for 6 hours; or the order fails for good (too many
// attempts), or PayPal is still finishing it. Whatever happens, one paid order makes one key.

import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { startCheckoutStack, type CheckoutStack, type Created } from '../helpers/checkout';

const orderPage = (c: Created) => `/order?order_id=${c.order_id}&view=${c.view_token}`;

describe('capture refusals', () => {
  let s: CheckoutStack;
  beforeAll(async () => {
    // No automatic webhooks here, so each test decides who captures.
    s = await startCheckoutStack({ webhooks: false });
  });
  afterAll(() => s.close());

  /** The PayPal-Request-Ids the gateway captured this PayPal order with, in order. */
  const captureIds = (c: Created) => s.paypal.exchanges.filter((x) => x.path === `/v2/checkout/orders/${c.paypal_order_id}/capture`).map((x) => x.requestId);

  it('sends a declined buyer back to PayPal, then captures the second try with a new request id, not the stored decline', async () => {
    const created = await s.checkout('starter', 'declined@example.com');
    await s.control('next', { fail: 'declined' });
    const declined = await s.pay(created);
    expect(declined.status).toBe(303);
    expect(declined.headers.get('location')).toBe(created.approve_url);
    expect(s.order(created.order_id)).toMatchObject({ status: 'created', status_reason: 'instrument_declined', key_id: null });
    const unpaid = await s.viewOrder(created.order_id, created.view_token);
    expect(unpaid.body).toMatchObject({ status: 'created', status_reason: 'instrument_declined', key: null, approve_url: created.approve_url });

    // the buyer approves again with another card; the same id would get the stored decline again
    const paid = await s.pay(created);
    expect(paid.headers.get('location')).toBe(orderPage(created));
    expect(s.order(created.order_id).status).toBe('paid');
    expect(s.keysOf(created.order_id)).toHaveLength(1);
    const ids = captureIds(created);
    expect(ids).toHaveLength(2);
    expect(ids[0]).not.toBe(ids[1]);

    // PayPal still holds the decline for the first id: that is what the old code looped on
    const replay = await fetch(`${s.paypal.url}/v2/checkout/orders/${created.paypal_order_id}/capture`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await s.paypalToken()}`, 'content-type': 'application/json', 'paypal-request-id': ids[0] as string },
      body: '{}',
    });
    expect(replay.status).toBe(422);
    expect(((await replay.json()) as { details: { issue: string }[] }).details[0]?.issue).toBe('INSTRUMENT_DECLINED');
    expect(s.keysOf(created.order_id)).toHaveLength(1);
  });

  it('keeps one request id for retries of one attempt (PayPal did not answer), so nothing is captured twice', async () => {
    const created = await s.checkout('trial', 'retry-same@example.com');
    await s.control('next', { fail: '500', path: '/capture' });
    await s.pay(created);
    expect(s.order(created.order_id).status).toBe('approved');
    await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0, backoff: false });
    expect(s.order(created.order_id).status).toBe('paid');
    const ids = captureIds(created);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);
    expect(s.payments(created.order_id)).toHaveLength(1);
  });

  for (const [issue, reason] of [
    ['REDIRECT_PAYER_FOR_ALTERNATE_FUNDING', 'alternate_funding_required'],
    ['PAYER_ACTION_REQUIRED', 'payer_action_required'],
  ] as const) {
    it(`sends the buyer back to PayPal on ${issue}, then credits the new attempt once`, async () => {
      const created = await s.checkout('starter', `${reason}@example.com`);
      await s.control('next', { fail: '422', issue });
      const back = await s.pay(created);
      expect(back.status).toBe(303);
      expect(back.headers.get('location')).toBe(created.approve_url);
      expect(s.order(created.order_id)).toMatchObject({ status: 'created', status_reason: reason, key_id: null });
      const { body } = await s.viewOrder(created.order_id, created.view_token);
      expect(body).toMatchObject({ status: 'created', status_reason: reason, approve_url: created.approve_url, key: null });

      const paid = await s.pay(created);
      expect(paid.headers.get('location')).toBe(orderPage(created));
      expect(s.order(created.order_id).status).toBe('paid');
      expect(s.keysOf(created.order_id)).toHaveLength(1);
      const ids = captureIds(created);
      expect(new Set(ids).size).toBe(2);
    });
  }

  it('fails the order for good on MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED and offers a new one', async () => {
    const created = await s.checkout('starter', 'too-many@example.com');
    await s.control('next', { fail: '422', issue: 'MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED' });
    const res = await s.pay(created);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(orderPage(created));
    expect(s.order(created.order_id)).toMatchObject({ status: 'failed', status_reason: 'payment_attempts_exceeded', key_id: null });
    const { body } = await s.viewOrder(created.order_id, created.view_token);
    expect(body).toMatchObject({ status: 'failed', status_reason: 'payment_attempts_exceeded', approve_url: null, key: null });

    // nothing asks PayPal about it again, and the buyer can simply start over
    const before = captureIds(created).length;
    await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0, backoff: false });
    expect(captureIds(created)).toHaveLength(before);
    expect(s.order(created.order_id).status).toBe('failed');
    const again = await s.checkout('starter', 'too-many@example.com');
    await s.pay(again);
    expect(s.order(again.order_id).status).toBe('paid');
  });

  it('waits on ORDER_COMPLETION_IN_PROGRESS and credits once the reconciler finds the capture', async () => {
    const created = await s.checkout('trial', 'in-progress@example.com');
    await s.control('next', { fail: '422', issue: 'ORDER_COMPLETION_IN_PROGRESS' });
    const res = await s.pay(created);
    expect(res.headers.get('location')).toBe(orderPage(created));
    expect(s.order(created.order_id)).toMatchObject({ status: 'approved', status_reason: 'completion_in_progress', key_id: null });
    expect((await s.viewOrder(created.order_id, created.view_token)).body).toMatchObject({ status: 'approved', key: null });

    await s.gw.deps.checkout.reconcileNow({ minAgeMs: 0, backoff: false });
    expect(s.order(created.order_id).status).toBe('paid');
    // the return link again, and the buttons' capture: still one key
    await s.visit(orderPage(created).replace('/order?', '/checkout/return?') + `&token=${created.paypal_order_id}`);
    const js = await s.post(`/api/checkout/${created.order_id}/capture?view=${created.view_token}`, {});
    expect(js.status).toBe(200);
    expect(s.keysOf(created.order_id)).toHaveLength(1);
    expect(s.payments(created.order_id)).toHaveLength(1);
  });
});

describe('capture refusals with PayPal’s webhooks on', () => {
  let s: CheckoutStack;
  beforeAll(async () => {
    s = await startCheckoutStack();
  });
  afterAll(() => s.close());

  it('credits ORDER_COMPLETION_IN_PROGRESS from PAYMENT.CAPTURE.COMPLETED, once', async () => {
    const created = await s.checkout('starter', 'in-progress-hook@example.com');
    await s.control('next', { fail: '422', issue: 'ORDER_COMPLETION_IN_PROGRESS', path: '/capture' });
    await s.pay(created);
    await s.processed('PAYMENT.CAPTURE.COMPLETED');
    await s.quiesce();
    expect(s.order(created.order_id).status).toBe('paid');
    expect(s.keysOf(created.order_id)).toHaveLength(1);
  });
});
