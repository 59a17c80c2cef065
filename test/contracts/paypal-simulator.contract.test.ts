// The PayPal simulator against PayPal's own OpenAPI documents, one operation and outcome at a
// time, plus the behaviours those documents and PayPal's guides describe: request ids kept for
// 6 hours (declines included), unapproved orders gone after 3 hours, PAYPAL_REQUEST_ID_REQUIRED,
// a chargeback told as a refund resource.

import { afterAll, beforeEach, describe, expect, it } from 'bun:test';
import { CAPTURE_ISSUES } from '../../server/simulators/paypal/context';
import { checkAll, checkAnswer, checkEvent, checkSchema } from './paypal-contract';
import { startRecordedPayPal } from './paypal-recorder';

type J = Record<string, any>;
const pp = startRecordedPayPal({ clientId: 'cid', clientSecret: 'secret' });
afterAll(() => pp.stop());

let token = '';
async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  if (!token) {
    const res = await fetch(`${pp.url}/v1/oauth2/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from('cid:secret').toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    token = ((await res.json()) as J).access_token as string;
  }
  const res = await fetch(`${pp.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as J };
}
const control = async (path: string, body: unknown = {}) => {
  const res = await fetch(`${pp.url}/_control/${path}`, { method: 'POST', body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as J };
};

let n = 0;
const orderBody = (payer = true) => ({
  intent: 'CAPTURE',
  purchase_units: [{ reference_id: 'starter', custom_id: `ord_contract_${++n}`, invoice_id: `ord_contract_${n}-${Date.now()}`, description: 'Tollgate Starter plan', amount: { currency_code: 'USD', value: '5.00' } }],
  ...(payer
    ? { payment_source: { paypal: { experience_context: { return_url: 'https://shop.test/return', cancel_url: 'https://shop.test/cancel', user_action: 'PAY_NOW', shipping_preference: 'NO_SHIPPING', brand_name: 'Tollgate' } } } }
    : {}),
});
const create = async (headers: Record<string, string> = { 'paypal-request-id': crypto.randomUUID(), prefer: 'return=representation' }) => {
  const r = await api('POST', '/v2/checkout/orders', orderBody(), headers);
  expect([200, 201]).toContain(r.status);
  return r.body;
};
const capture = (id: string, requestId = crypto.randomUUID()) => api('POST', `/v2/checkout/orders/${id}/capture`, {}, { 'paypal-request-id': requestId, prefer: 'return=representation' });
const paid = async (fail?: J) => {
  const o = await create();
  await control(`approve/${o.id}`);
  if (fail) await control('next', fail);
  const c = await capture(o.id);
  return { order: o, capture: c.body.purchase_units?.[0]?.payments?.captures?.[0] as J };
};
const lastAnswer = () => pp.exchanges[pp.exchanges.length - 1];

beforeEach(async () => {
  await control('reset');
});

describe('each operation the gateway uses answers as PayPal documents it', () => {
  it('orders.create: 200 PAYER_ACTION_REQUIRED (payment_source), 201 CREATED (no payment_source), minimal and full', async () => {
    await create();
    await create({ 'paypal-request-id': crypto.randomUUID() });
    const legacy = await api('POST', '/v2/checkout/orders', orderBody(false), { prefer: 'return=representation' });
    expect(legacy.status).toBe(201);
    expect(legacy.body.status).toBe('CREATED');
  });

  it('orders.create: 400 PAYPAL_REQUEST_ID_REQUIRED for a payment_source create without PayPal-Request-Id', async () => {
    const r = await api('POST', '/v2/checkout/orders', orderBody());
    expect(r.status).toBe(400);
    expect(r.body).toMatchObject({ name: 'INVALID_REQUEST', details: [{ issue: 'PAYPAL_REQUEST_ID_REQUIRED' }] });
  });

  it('orders.get and orders.capture: 201 COMPLETED, a replay 200, a second capture 422 ORDER_ALREADY_CAPTURED, 404 for none', async () => {
    const o = await create();
    expect((await capture(o.id)).body.details[0].issue).toBe('ORDER_NOT_APPROVED');
    await control(`approve/${o.id}`);
    const rid = crypto.randomUUID();
    const first = await capture(o.id, rid);
    expect(first.status).toBe(201);
    expect(first.body.purchase_units[0].payments.captures[0]).toMatchObject({ status: 'COMPLETED', seller_receivable_breakdown: { gross_amount: { value: '5.00' } } });
    expect((await capture(o.id, rid)).status).toBe(200);
    expect((await capture(o.id)).body.details[0].issue).toBe('ORDER_ALREADY_CAPTURED');
    expect((await api('GET', `/v2/checkout/orders/${o.id}`)).status).toBe(200);
    expect((await api('GET', '/v2/checkout/orders/NOSUCHORDER00000')).status).toBe(404);
  });

  for (const issue of CAPTURE_ISSUES) {
    it(`orders.capture: 422 ${issue} in PayPal's words`, async () => {
      const o = await create();
      await control(`approve/${o.id}`);
      await control('next', { fail: '422', issue });
      const r = await capture(o.id);
      expect(r.status).toBe(422);
      expect(r.body).toMatchObject({ name: 'UNPROCESSABLE_ENTITY', details: [{ issue }] });
      expect(typeof r.body.debug_id).toBe('string');
      expect(checkAnswer(lastAnswer()!).errors).toEqual([]);
    });
  }

  it('captures.get: COMPLETED with its breakdown, PENDING without one (nothing received yet), 404', async () => {
    const done = await paid();
    const got = await api('GET', `/v2/payments/captures/${done.capture.id}`);
    expect(got.body.seller_receivable_breakdown.net_amount.value).toBe('4.34');
    const pending = await paid({ fail: 'pending' });
    const p = await api('GET', `/v2/payments/captures/${pending.capture.id}`);
    expect(p.body).toMatchObject({ status: 'PENDING', status_details: { reason: 'PENDING_REVIEW' } });
    expect(p.body.seller_receivable_breakdown).toBeUndefined();
    expect((await api('GET', '/v2/payments/captures/NOSUCHCAPTURE0000')).status).toBe(404);
  });

  it('captures.refund and refunds.get: 201 partial and full, 422 once nothing is left, the refund links up to its capture', async () => {
    const { capture: c } = await paid();
    const part = await api('POST', `/v2/payments/captures/${c.id}/refund`, { amount: { currency_code: 'USD', value: '1.00' } });
    expect(part.status).toBe(201);
    const rest = await api('POST', `/v2/payments/captures/${c.id}/refund`, {});
    expect(rest.status).toBe(201);
    expect((await api('POST', `/v2/payments/captures/${c.id}/refund`, {})).body.details[0].issue).toBe('CAPTURE_FULLY_REFUNDED');
    const r = await api('GET', `/v2/payments/refunds/${part.body.id}`);
    expect(r.body.links.find((l: J) => l.rel === 'up').href).toEndWith(`/v2/payments/captures/${c.id}`);
    expect((await api('GET', '/v2/payments/refunds/NOSUCHREFUND00000')).status).toBe(404);
  });

  it('verify-webhook-signature: SUCCESS, FAILURE, 400 for missing fields; webhooks-events.get and resend; 401 without a token', async () => {
    const o = await create();
    await control('webhook', { event_type: 'CHECKOUT.ORDER.APPROVED', order_id: o.id });
    const [event] = pp.sim.sentEvents();
    const wrong = await api('POST', '/v1/notifications/verify-webhook-signature', {
      auth_algo: 'SHA256withRSA', cert_url: 'https://example.com/c', transmission_id: 'x', transmission_sig: 'x', transmission_time: 'x', webhook_id: pp.sim.webhookId, webhook_event: event,
    });
    expect(wrong.body).toEqual({ verification_status: 'FAILURE' });
    expect((await api('POST', '/v1/notifications/verify-webhook-signature', { webhook_event: event })).status).toBe(400);
    expect((await api('GET', `/v1/notifications/webhooks-events/${String(event?.id)}`)).status).toBe(200);
    expect((await api('POST', `/v1/notifications/webhooks-events/${String(event?.id)}/resend`, {})).status).toBe(202);
    expect((await api('GET', '/v1/notifications/webhooks-events/WH-NOPE')).status).toBe(404);
    const unauthorised = await fetch(`${pp.url}/v2/checkout/orders/${o.id}`);
    expect(unauthorised.status).toBe(401);
  });

  it('every webhook event, of each type the gateway handles, is a PayPal event with a resource of its documented schema', async () => {
    const o = await create();
    await control('webhook', { event_type: 'CHECKOUT.ORDER.APPROVED', order_id: o.id });
    await control('next', { fail: 'pending' });
    const c = (await capture(o.id)).body.purchase_units[0].payments.captures[0] as J;
    await control(`complete-capture/${c.id}`);
    await control('webhook', { event_type: 'PAYMENT.CAPTURE.REFUNDED', order_id: o.id });
    const other = await paid();
    await control('webhook', { event_type: 'PAYMENT.CAPTURE.REVERSED', order_id: other.order.id });
    const denied = await paid({ fail: 'pending' });
    await control(`deny-capture/${denied.capture.id}`);
    const events = pp.sim.sentEvents() as J[];
    expect(new Set(events.map((e) => e.event_type))).toEqual(
      new Set(['CHECKOUT.ORDER.APPROVED', 'PAYMENT.CAPTURE.PENDING', 'PAYMENT.CAPTURE.COMPLETED', 'PAYMENT.CAPTURE.REFUNDED', 'PAYMENT.CAPTURE.REVERSED', 'PAYMENT.CAPTURE.DENIED']),
    );
    const reversal = events.find((e) => e.event_type === 'PAYMENT.CAPTURE.REVERSED');
    expect(reversal).toMatchObject({ resource_type: 'refund', resource: { status: 'COMPLETED' } });
    for (const e of events) expect(checkEvent(e)).toEqual([]);
  });

  afterAll(() => {
    // everything the tests above saw, answers and events alike
    const { violations, operations } = checkAll(pp.exchanges, pp.sim.sentEvents());
    expect(violations).toEqual([]);
    for (const op of ['orders.create 200', 'orders.create 201', 'orders.create 400', 'orders.get 200', 'orders.get 404', 'orders.capture 201', 'orders.capture 200', 'orders.capture 422', 'captures.get 200', 'captures.get 404', 'captures.refund 201', 'captures.refund 422', 'refunds.get 200', 'verify-webhook-signature.post 200', 'verify-webhook-signature.post 400', 'webhooks-events.get 200', 'webhooks-events.resend 202']) {
      expect(operations).toContain(op);
    }
  });
});

describe('what PayPal keeps, and for how long', () => {
  it('answers a repeated request id with the same decline for 6 hours, and captures with a new id', async () => {
    const o = await create();
    await control(`approve/${o.id}`);
    await control('next', { fail: 'declined' });
    const rid = crypto.randomUUID();
    expect((await capture(o.id, rid)).body.details[0].issue).toBe('INSTRUMENT_DECLINED');
    await control(`approve/${o.id}`); // the buyer pays again with another card
    expect((await capture(o.id, rid)).body.details[0].issue).toBe('INSTRUMENT_DECLINED');
    await control('clock', { advance_ms: 5 * 3_600_000 });
    expect((await capture(o.id, rid)).status).toBe(422);
    expect((await capture(o.id)).status).toBe(201);
  });

  it('forgets a request id after 6 hours', async () => {
    const o = await create();
    await control(`approve/${o.id}`);
    await control('next', { fail: 'declined' });
    const rid = crypto.randomUUID();
    await capture(o.id, rid);
    await control(`approve/${o.id}`);
    await control('clock', { advance_ms: 6 * 3_600_000 });
    expect((await capture(o.id, rid)).status).toBe(201);
  });

  it('lets an order nobody approved expire after 3 hours (404), an approved one stays', async () => {
    const unapproved = await create();
    const approved = await create();
    await control(`approve/${approved.id}`);
    await control('clock', { advance_ms: 3 * 3_600_000 });
    expect((await api('GET', `/v2/checkout/orders/${unapproved.id}`)).status).toBe(404);
    expect((await api('GET', `/v2/checkout/orders/${approved.id}`)).body.status).toBe('APPROVED');
    expect((await control(`approve/${unapproved.id}`)).status).toBe(404);
  });

  it('gives payer and merchant ids in PayPal’s format', async () => {
    const o = await create();
    await control(`approve/${o.id}`);
    const { body } = await api('GET', `/v2/checkout/orders/${o.id}`);
    expect(body.payer.payer_id).toMatch(/^[2-9A-HJ-NP-Z]{13}$/);
    expect(body.purchase_units[0].payee.merchant_id).toMatch(/^[2-9A-HJ-NP-Z]{13}$/);
    expect(pp.sim.webhookId).toMatch(/^[A-Z0-9]{17}$/);
  });
});

describe('the checker itself', () => {
  it('catches what PayPal would never send: an invented capture status, a bad id, an unlisted issue', () => {
    expect(checkSchema('payments', 'capture-2', { id: 'X', status: 'REVERSED' })).not.toEqual([]);
    expect(checkSchema('payments', 'capture-2', { id: 'X', status: 'COMPLETED', payee: { merchant_id: 'SIMMERCHANT01' } })).not.toEqual([]);
    const unlisted = checkAnswer({
      method: 'POST',
      path: '/v2/checkout/orders/X/capture',
      status: 422,
      body: { name: 'UNPROCESSABLE_ENTITY', message: 'The requested action could not be performed, semantically incorrect, or failed business validation.', details: [{ issue: 'MADE_UP', description: 'x' }] },
    });
    expect(unlisted.errors).not.toEqual([]);
    expect(checkAnswer({ method: 'GET', path: '/v2/payments/captures/X', status: 418, body: {} }).errors).not.toEqual([]);
  });
});
