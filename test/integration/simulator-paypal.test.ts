// The PayPal simulator over real HTTP on 127.0.0.1: PayPal's REST shapes, approval page,
// signed webhooks and their verification, control endpoints, mounted mode.

import { afterAll, beforeAll, beforeEach, describe, expect, test } from 'bun:test';
import { createVerify, X509Certificate } from 'node:crypto';
import { createPayPalSimulator } from '../../server/simulators/paypal';
import { checkAll } from '../contracts/paypal-contract';
import { startRecordedPayPal } from '../contracts/paypal-recorder';
import { waitFor } from '../helpers/checkout';

type J = Record<string, any>;
interface Received {
  headers: Record<string, string>;
  raw: string;
  body: J;
}

// ---- a tiny webhook receiver ------------------------------------------------
const received: Received[] = [];
let failNext = 0; // answer 500 to this many deliveries
const receiver = Bun.serve({
  port: 0,
  hostname: '127.0.0.1',
  async fetch(req) {
    const raw = await req.text();
    if (failNext > 0) {
      failNext--;
      return new Response('nope', { status: 500 });
    }
    received.push({ headers: Object.fromEntries(req.headers), raw, body: JSON.parse(raw) as J });
    return new Response('ok');
  },
});
const hookUrl = `http://127.0.0.1:${receiver.port}/paypal/webhook`;

const eventFor = (type: string, resourceId: string) =>
  waitFor(() => received.find((r) => r.body.event_type === type && r.body.resource?.id === resourceId), 3000, type);

// ---- simulator + client helpers ---------------------------------------------
// recorded: every answer and event of this file is checked against PayPal's documents at the end
const sim = startRecordedPayPal({ webhookUrl: hookUrl, clientId: 'cid', clientSecret: 'secret', webhookId: 'WH-TEST' });
const events: unknown[] = [];
let token = '';

const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`;
async function getToken(base = sim.url, id = 'cid', secret = 'secret') {
  return fetch(`${base}/v1/oauth2/token`, {
    method: 'POST',
    headers: { authorization: basic(id, secret), 'content-type': 'application/x-www-form-urlencoded' },
    body: 'grant_type=client_credentials',
  });
}
async function api(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, base = sim.url) {
  // PayPal wants a PayPal-Request-Id on every create that names a payment_source: send one, as clients must.
  const requestId: Record<string, string> = method === 'POST' && path === '/v2/checkout/orders' ? { 'paypal-request-id': crypto.randomUUID() } : {};
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...requestId, ...headers },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : {}) as J, headers: res.headers };
}
const control = async (path: string, body?: unknown, base = sim.url) => {
  const res = await fetch(`${base}/_control/${path}`, { method: 'POST', ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
  return { status: res.status, body: (await res.json()) as J };
};

let seq = 0;
function orderBody(opts: { legacy?: boolean; value?: string; invoice?: string; custom?: string } = {}) {
  const ctx = { return_url: 'https://shop.test/paypal/return?x=1', cancel_url: 'https://shop.test/paypal/cancel', brand_name: 'Tollgate Test', user_action: 'PAY_NOW' };
  return {
    intent: 'CAPTURE',
    purchase_units: [{
      reference_id: 'topup',
      description: 'API credit',
      custom_id: opts.custom ?? `topup-${++seq}`,
      invoice_id: opts.invoice ?? `inv-${Date.now()}-${++seq}`,
      amount: { currency_code: 'USD', value: opts.value ?? '10.00' },
    }],
    ...(opts.legacy ? { application_context: ctx } : { payment_source: { paypal: { experience_context: ctx } } }),
  };
}
const createOrder = async (opts: Parameters<typeof orderBody>[0] = {}) => {
  const r = await api('POST', '/v2/checkout/orders', orderBody(opts));
  expect([200, 201]).toContain(r.status);
  return r.body;
};
const approve = (id: string) => control(`approve/${id}`);
async function paidOrder(value = '10.00') {
  const o = await createOrder({ value });
  await approve(o.id);
  const cap = await api('POST', `/v2/checkout/orders/${o.id}/capture`, {});
  expect(cap.status).toBe(201);
  return { order: o, capture: cap.body.purchase_units[0].payments.captures[0] as J };
}
const issue = (b: J) => b.details?.[0]?.issue;
const rel = (links: J[], r: string) => links.find((l) => l.rel === r);

beforeAll(async () => {
  token = (await ((await getToken()).json() as Promise<J>)).access_token;
});
beforeEach(async () => {
  events.push(...sim.sim.sentEvents());
  await control('reset');
  received.length = 0;
  failNext = 0;
});
afterAll(async () => {
  await sim.stop();
  await receiver.stop(true);
  expect(checkAll(sim.exchanges, [...events, ...sim.sim.sentEvents()]).violations).toEqual([]);
});

describe('OAuth token', () => {
  test('good credentials give a bearer token in PayPal shape', async () => {
    const res = await getToken();
    expect(res.status).toBe(200);
    const b = (await res.json()) as J;
    expect(b.token_type).toBe('Bearer');
    expect(b.expires_in).toBeGreaterThan(32_000);
    expect(b.expires_in).toBeLessThanOrEqual(32_400);
    expect(typeof b.access_token).toBe('string');
    expect(b.app_id).toMatch(/^APP-/);
    expect(b.scope).toContain('https://uri.paypal.com/services/payments/payment');
    expect(typeof b.nonce).toBe('string');
  });

  test('wrong credentials are invalid_client', async () => {
    const res = await getToken(sim.url, 'cid', 'wrong');
    expect(res.status).toBe(401);
    expect(await res.json()).toEqual({ error: 'invalid_client', error_description: 'Client Authentication failed' });
  });

  test('REST calls need a valid bearer token; expired tokens stop working', async () => {
    const none = await fetch(`${sim.url}/v2/checkout/orders/XYZ`);
    expect(none.status).toBe(401);
    expect(((await none.json()) as J).name).toBe('AUTHENTICATION_FAILURE');
    const bad = await fetch(`${sim.url}/v2/checkout/orders`, { method: 'POST', headers: { authorization: 'Bearer nope' }, body: '{}' });
    expect(bad.status).toBe(401);

    expect((await control('expire-tokens')).body.expired).toBeGreaterThan(0);
    expect((await api('GET', '/v2/checkout/orders/XYZ')).status).toBe(401);
    token = (await ((await getToken()).json() as Promise<J>)).access_token;
    expect((await api('GET', '/v2/checkout/orders/XYZ')).status).toBe(404);
  });
});

describe('create order', () => {
  test('experience_context: 200 PAYER_ACTION_REQUIRED with payer-action link', async () => {
    const r = await api('POST', '/v2/checkout/orders', orderBody());
    expect(r.status).toBe(200);
    expect(r.body.id).toMatch(/^[A-Z0-9]{17}$/);
    expect(r.body.status).toBe('PAYER_ACTION_REQUIRED');
    expect(rel(r.body.links, 'payer-action')?.href).toBe(`${sim.url}/checkoutnow?token=${r.body.id}`);
    expect(rel(r.body.links, 'self')).toEqual({ href: `${sim.url}/v2/checkout/orders/${r.body.id}`, rel: 'self', method: 'GET' });
    expect(rel(r.body.links, 'approve')).toBeUndefined();
    expect(r.body.purchase_units).toBeUndefined(); // Prefer: return=minimal is the default
  });

  test('application_context: 201 CREATED with approve and capture links; representation on request', async () => {
    const r = await api('POST', '/v2/checkout/orders', orderBody({ legacy: true, custom: 'user-7' }), { prefer: 'return=representation' });
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('CREATED');
    expect(rel(r.body.links, 'approve')?.href).toContain(`/checkoutnow?token=${r.body.id}`);
    expect(rel(r.body.links, 'capture')?.method).toBe('POST');
    expect(rel(r.body.links, 'payer-action')).toBeUndefined();
    expect(r.body.intent).toBe('CAPTURE');
    expect(r.body.purchase_units[0]).toMatchObject({ reference_id: 'topup', custom_id: 'user-7', amount: { currency_code: 'USD', value: '10.00' } });
    expect(r.body.create_time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
  });

  test('amount is validated like PayPal does', async () => {
    const syntax = await api('POST', '/v2/checkout/orders', orderBody({ value: '10,00' }));
    expect(syntax.status).toBe(400);
    expect(syntax.body.name).toBe('INVALID_REQUEST');
    expect(issue(syntax.body)).toBe('INVALID_PARAMETER_SYNTAX');
    expect(syntax.body.details[0].field).toBe("/purchase_units/@reference_id=='topup'/amount/value");
    const precision = await api('POST', '/v2/checkout/orders', orderBody({ value: '10.001' }));
    expect(precision.status).toBe(422);
    expect(issue(precision.body)).toBe('DECIMAL_PRECISION');
    const zero = await api('POST', '/v2/checkout/orders', orderBody({ value: '0.00' }));
    expect(issue(zero.body)).toBe('CANNOT_BE_ZERO_OR_NEGATIVE');
    const malformed = await fetch(`${sim.url}/v2/checkout/orders`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: '{oops' });
    expect(malformed.status).toBe(400);
  });

  test('a reused invoice_id is 422 DUPLICATE_INVOICE_ID', async () => {
    await createOrder({ invoice: 'INV-DUP-1' });
    const r = await api('POST', '/v2/checkout/orders', orderBody({ invoice: 'INV-DUP-1' }));
    expect(r.status).toBe(422);
    expect(r.body.name).toBe('UNPROCESSABLE_ENTITY');
    expect(r.body.details[0]).toMatchObject({ issue: 'DUPLICATE_INVOICE_ID', value: 'INV-DUP-1', location: 'body' });
    expect(typeof r.body.debug_id).toBe('string');
    expect(Array.isArray(r.body.links)).toBe(true);
  });

  test('PayPal-Request-Id makes create idempotent', async () => {
    const h = { 'paypal-request-id': crypto.randomUUID() };
    const a = await api('POST', '/v2/checkout/orders', orderBody(), h);
    const b = await api('POST', '/v2/checkout/orders', orderBody(), h); // new invoice id, same request id
    expect(b.status).toBe(200);
    expect(b.body.id).toBe(a.body.id);
    const list = (await (await fetch(`${sim.url}/_control/orders`)).json()) as J;
    expect(list.data.length).toBe(1);
  });
});

describe('approve and capture', () => {
  test('capture before approval is 422 ORDER_NOT_APPROVED', async () => {
    const o = await createOrder();
    const r = await api('POST', `/v2/checkout/orders/${o.id}/capture`, {});
    expect(r.status).toBe(422);
    expect(issue(r.body)).toBe('ORDER_NOT_APPROVED');
  });

  test('control approve answers the return redirect with token and PayerID', async () => {
    const o = await createOrder();
    const r = await approve(o.id);
    expect(r.status).toBe(200);
    const u = new URL(r.body.redirect_url);
    expect(`${u.origin}${u.pathname}`).toBe('https://shop.test/paypal/return');
    expect(u.searchParams.get('x')).toBe('1');
    expect(u.searchParams.get('token')).toBe(o.id);
    expect(u.searchParams.get('PayerID')).toMatch(/^[A-Z0-9]{13}$/);
    const got = await api('GET', `/v2/checkout/orders/${o.id}`);
    expect(got.body.status).toBe('APPROVED');
    expect(got.body.payer.payer_id).toBe(u.searchParams.get('PayerID')!);
    expect((await control('approve/NOSUCHORDER')).status).toBe(404);
  });

  test('capture: 201 COMPLETED with the capture in PayPal shape; second capture 422', async () => {
    const o = await createOrder({ custom: 'topup-42', value: '25.50', invoice: 'INV-CAP-1' });
    await approve(o.id);
    const r = await api('POST', `/v2/checkout/orders/${o.id}/capture`, {});
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('COMPLETED');
    const c = r.body.purchase_units[0].payments.captures[0];
    expect(c).toMatchObject({
      status: 'COMPLETED', amount: { currency_code: 'USD', value: '25.50' }, custom_id: 'topup-42', invoice_id: 'INV-CAP-1', final_capture: true,
    });
    expect(c.id).toMatch(/^[A-Z0-9]{17}$/);
    const srb = c.seller_receivable_breakdown;
    expect(srb.gross_amount.value).toBe('25.50');
    expect(Number(srb.paypal_fee.value)).toBeGreaterThan(0);
    expect((Number(srb.net_amount.value) * 100 + Number(srb.paypal_fee.value) * 100).toFixed(0)).toBe('2550');
    expect(rel(c.links, 'up')?.href).toBe(`${sim.url}/v2/checkout/orders/${o.id}`);

    const again = await api('POST', `/v2/checkout/orders/${o.id}/capture`, {});
    expect(again.status).toBe(422);
    expect(issue(again.body)).toBe('ORDER_ALREADY_CAPTURED');

    const order = await api('GET', `/v2/checkout/orders/${o.id}`);
    expect(order.body.purchase_units[0].payments.captures[0].id).toBe(c.id);
    const cap = await api('GET', `/v2/payments/captures/${c.id}`);
    expect(cap.body.supplementary_data.related_ids.order_id).toBe(o.id);
    expect((await api('GET', '/v2/checkout/orders/UNKNOWN000000000')).body.name).toBe('RESOURCE_NOT_FOUND');
  });

  test('capture with the same PayPal-Request-Id replays instead of failing', async () => {
    const o = await createOrder();
    await approve(o.id);
    const h = { 'paypal-request-id': crypto.randomUUID() };
    const a = await api('POST', `/v2/checkout/orders/${o.id}/capture`, {}, h);
    const b = await api('POST', `/v2/checkout/orders/${o.id}/capture`, {}, h);
    expect(a.status).toBe(201);
    expect(b.status).toBe(200);
    expect(b.body.purchase_units[0].payments.captures[0].id).toBe(a.body.purchase_units[0].payments.captures[0].id);
  });

  test('declined: 422 INSTRUMENT_DECLINED, order needs approval again, then succeeds', async () => {
    const o = await createOrder();
    await approve(o.id);
    expect((await control('next', { fail: 'declined' })).status).toBe(200);
    const r = await api('POST', `/v2/checkout/orders/${o.id}/capture`, {});
    expect(r.status).toBe(422);
    expect(issue(r.body)).toBe('INSTRUMENT_DECLINED');
    expect(rel(r.body.links, 'redirect')?.href).toContain(o.id);
    expect((await api('GET', `/v2/checkout/orders/${o.id}`)).body.status).toBe('PAYER_ACTION_REQUIRED');
    expect(issue((await api('POST', `/v2/checkout/orders/${o.id}/capture`, {})).body)).toBe('ORDER_NOT_APPROVED');
    await approve(o.id);
    const ok = await api('POST', `/v2/checkout/orders/${o.id}/capture`, {});
    expect(ok.status).toBe(201);
    expect(ok.body.purchase_units[0].payments.captures[0].status).toBe('COMPLETED');
  });

  test('pending capture, then completed by control with PAYMENT.CAPTURE.COMPLETED', async () => {
    const o = await createOrder();
    await approve(o.id);
    await control('next', { fail: 'pending', path: '/capture' });
    const r = await api('POST', `/v2/checkout/orders/${o.id}/capture`, {});
    expect(r.status).toBe(201);
    expect(r.body.status).toBe('COMPLETED');
    const c = r.body.purchase_units[0].payments.captures[0];
    expect(c.status).toBe('PENDING');
    expect(c.status_details.reason).toBe('PENDING_REVIEW');
    expect((await eventFor('PAYMENT.CAPTURE.PENDING', c.id)).body.resource.status).toBe('PENDING');
    expect(issue((await api('POST', `/v2/payments/captures/${c.id}/refund`, {})).body)).toBe('PENDING_CAPTURE');

    const done = await control(`complete-capture/${c.id}`);
    expect(done.body).toMatchObject({ delivered: true, event_type: 'PAYMENT.CAPTURE.COMPLETED' });
    expect((await eventFor('PAYMENT.CAPTURE.COMPLETED', c.id)).body.resource.status).toBe('COMPLETED');
    expect((await api('GET', `/v2/payments/captures/${c.id}`)).body.status).toBe('COMPLETED');
    expect((await control(`complete-capture/${c.id}`)).status).toBe(409);
  });

  test('pending capture denied: DECLINED and PAYMENT.CAPTURE.DENIED', async () => {
    const o = await createOrder();
    await approve(o.id);
    await control('next', { fail: 'pending' });
    const c = (await api('POST', `/v2/checkout/orders/${o.id}/capture`, {})).body.purchase_units[0].payments.captures[0];
    const denied = await control(`deny-capture/${c.id}`);
    expect(denied.body.capture.status).toBe('DECLINED');
    expect((await eventFor('PAYMENT.CAPTURE.DENIED', c.id)).body.resource.status).toBe('DECLINED');
  });
});

describe('refunds', () => {
  test('partial then full refund; over-refund rejected; capture status follows', async () => {
    const { capture } = await paidOrder('10.00');
    const part = await api('POST', `/v2/payments/captures/${capture.id}/refund`, { amount: { currency_code: 'USD', value: '4.00' } });
    expect(part.status).toBe(201);
    expect(part.body).toMatchObject({ status: 'COMPLETED', amount: { currency_code: 'USD', value: '4.00' } });
    expect(rel(part.body.links, 'up')?.href).toBe(`${sim.url}/v2/payments/captures/${capture.id}`);
    expect((await api('GET', `/v2/payments/captures/${capture.id}`)).body.status).toBe('PARTIALLY_REFUNDED');

    const over = await api('POST', `/v2/payments/captures/${capture.id}/refund`, { amount: { currency_code: 'USD', value: '6.01' } });
    expect(over.status).toBe(422);
    expect(issue(over.body)).toBe('REFUND_AMOUNT_EXCEEDED');

    const rest = await api('POST', `/v2/payments/captures/${capture.id}/refund`);
    expect(rest.status).toBe(201);
    expect(rest.body.amount.value).toBe('6.00');
    expect((await api('GET', `/v2/payments/captures/${capture.id}`)).body.status).toBe('REFUNDED');
    expect((await api('GET', `/v2/payments/refunds/${rest.body.id}`)).body.amount.value).toBe('6.00');
    expect(issue((await api('POST', `/v2/payments/captures/${capture.id}/refund`)).body)).toBe('CAPTURE_FULLY_REFUNDED');

    const ev = await eventFor('PAYMENT.CAPTURE.REFUNDED', part.body.id);
    expect(ev.body.resource_type).toBe('refund');
    expect(rel(ev.body.resource.links, 'up')?.href).toContain(capture.id);
  });
});

describe('webhooks', () => {
  test('events arrive signed, in PayPal envelope, and verify; tampering fails verification', async () => {
    const { order, capture } = await paidOrder('12.00');
    const approved = await eventFor('CHECKOUT.ORDER.APPROVED', order.id);
    expect(approved.body.resource_type).toBe('checkout-order');
    expect(approved.body.resource.status).toBe('APPROVED');
    const ev = await eventFor('PAYMENT.CAPTURE.COMPLETED', capture.id);
    const b = ev.body;
    expect(b.id).toMatch(/^WH-[A-Z0-9]{17}-[A-Z0-9]{17}$/);
    expect(b).toMatchObject({ event_version: '1.0', resource_type: 'capture', resource_version: '2.0', event_type: 'PAYMENT.CAPTURE.COMPLETED' });
    expect(b.summary).toContain('12.00 USD');
    expect(b.resource).toMatchObject({ id: capture.id, status: 'COMPLETED', custom_id: capture.custom_id, amount: { value: '12.00' } });
    expect(b.resource.supplementary_data.related_ids.order_id).toBe(order.id);
    expect(rel(b.links, 'self')?.href).toContain(`/v1/notifications/webhooks-events/${b.id}`);
    const h = ev.headers;
    expect(h['content-type']).toContain('application/json');
    expect(h['paypal-auth-algo']).toBe('SHA256withRSA');
    for (const k of ['paypal-transmission-id', 'paypal-transmission-time', 'paypal-transmission-sig', 'paypal-cert-url']) expect(h[k]).toBeTruthy();

    const verify = (over: J = {}) =>
      api('POST', '/v1/notifications/verify-webhook-signature', {
        auth_algo: h['paypal-auth-algo'], cert_url: h['paypal-cert-url'], transmission_id: h['paypal-transmission-id'],
        transmission_sig: h['paypal-transmission-sig'], transmission_time: h['paypal-transmission-time'], webhook_id: 'WH-TEST',
        webhook_event: JSON.parse(ev.raw), ...over,
      });
    expect((await verify()).body).toEqual({ verification_status: 'SUCCESS' });
    const altered = JSON.parse(ev.raw);
    altered.resource.amount.value = '1200.00';
    expect((await verify({ webhook_event: altered })).body.verification_status).toBe('FAILURE');
    const sig = h['paypal-transmission-sig']!;
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    expect((await verify({ transmission_sig: flipped })).body.verification_status).toBe('FAILURE');
    expect((await verify({ webhook_id: 'WH-OTHER' })).body.verification_status).toBe('FAILURE');
    expect((await verify({ transmission_time: '2020-01-01T00:00:00Z' })).body.verification_status).toBe('FAILURE');
    expect((await verify({ transmission_id: undefined })).status).toBe(400);

    // Offline check with the certificate at PAYPAL-CERT-URL, as PayPal documents it.
    const cert = new X509Certificate(await (await fetch(h['paypal-cert-url']!)).text());
    const v = createVerify('RSA-SHA256');
    v.update(`${h['paypal-transmission-id']}|${h['paypal-transmission-time']}|WH-TEST|${Bun.hash.crc32(ev.raw) >>> 0}`);
    expect(v.verify(cert.publicKey, sig, 'base64')).toBe(true);
  });

  test('/_control/webhook sends signed events on demand and updates state', async () => {
    const o = await createOrder();
    const ap = await control('webhook', { event_type: 'CHECKOUT.ORDER.APPROVED', order_id: o.id });
    expect(ap.body).toMatchObject({ delivered: true, status: 200, event_type: 'CHECKOUT.ORDER.APPROVED' });
    expect((await api('GET', `/v2/checkout/orders/${o.id}`)).body.status).toBe('APPROVED');
    expect(received.some((r) => r.body.id === ap.body.event_id)).toBe(true);

    await api('POST', `/v2/checkout/orders/${o.id}/capture`, {});
    const captureId = (await api('GET', `/v2/checkout/orders/${o.id}`)).body.purchase_units[0].payments.captures[0].id as string;
    const rv = await control('webhook', { event_type: 'PAYMENT.CAPTURE.REVERSED', order_id: o.id });
    expect(rv.body.delivered).toBe(true);
    const ev = received.find((r) => r.body.id === rv.body.event_id)!;
    // a chargeback is told with a refund resource whose `up` link is the capture, as PayPal does
    expect(ev.body).toMatchObject({ event_type: 'PAYMENT.CAPTURE.REVERSED', resource_type: 'refund' });
    expect(ev.body.resource.status).toBe('COMPLETED');
    expect(rel(ev.body.resource.links, 'up')?.href).toEndWith(`/v2/payments/captures/${captureId}`);
    // and the capture shows the money gone, in PayPal's own statuses (there is no REVERSED)
    const capture = await api('GET', `/v2/payments/captures/${captureId}`);
    expect(capture.body.status).toBe('REFUNDED');
    const refundAgain = await api('POST', `/v2/payments/captures/${captureId}/refund`, {});
    expect(refundAgain.status).toBe(422);

    expect((await control('webhook', { event_type: 'PAYMENT.CAPTURE.COMPLETED', order_id: 'NOPE' })).status).toBe(404);
    expect((await control('webhook', { event_type: 'BOGUS.EVENT', order_id: o.id })).status).toBe(400);
  });

  test('a failing receiver is retried (bounded) and the delivery is recorded', async () => {
    const o = await createOrder();
    failNext = 1;
    const r = await control('webhook', { event_type: 'CHECKOUT.ORDER.APPROVED', order_id: o.id });
    expect(r.body).toMatchObject({ delivered: true, attempts: 2, status: 200 });
    failNext = 10;
    const o2 = await createOrder();
    const r2 = await control('webhook', { event_type: 'CHECKOUT.ORDER.APPROVED', order_id: o2.id });
    expect(r2.body).toMatchObject({ delivered: false, attempts: 3, status: 500 });
    const log = (await (await fetch(`${sim.url}/_control/webhooks`)).json()) as J;
    expect(log.data.find((d: J) => d.event_id === r2.body.event_id)?.delivered).toBe(false);
  });
});

describe('approval page', () => {
  test('shows the order with Pay and Cancel; Pay redirects 303 to return_url', async () => {
    const o = await createOrder({ value: '7.25' });
    const page = await fetch(`${sim.url}/checkoutnow?token=${o.id}`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    expect(html).toContain('id="pay"');
    expect(html).toContain('id="cancel"');
    expect(html).toContain('7.25 USD');
    expect(html).toContain('Tollgate Test');
    expect(html).toMatch(/<form method="post" action="\/checkoutnow">/);

    const post = (action: string) =>
      fetch(`${sim.url}/checkoutnow`, {
        method: 'POST', redirect: 'manual',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: o.id, action }).toString(),
      });
    const cancel = await post('cancel');
    expect(cancel.status).toBe(303);
    expect(cancel.headers.get('location')).toBe(`https://shop.test/paypal/cancel?token=${o.id}`);
    expect((await api('GET', `/v2/checkout/orders/${o.id}`)).body.status).toBe('PAYER_ACTION_REQUIRED');

    const pay = await post('pay');
    expect(pay.status).toBe(303);
    const loc = new URL(pay.headers.get('location')!);
    expect(loc.searchParams.get('token')).toBe(o.id);
    expect(loc.searchParams.get('PayerID')).toMatch(/^[A-Z0-9]{13}$/);
    expect((await api('GET', `/v2/checkout/orders/${o.id}`)).body.status).toBe('APPROVED');
    await eventFor('CHECKOUT.ORDER.APPROVED', o.id);
    expect((await fetch(`${sim.url}/checkoutnow?token=NOSUCH`)).status).toBe(404);
  });
});

describe('injected failures', () => {
  test('500 once on a matching path, then normal again', async () => {
    await control('next', { fail: '500', path: '/v2/checkout/orders' });
    const a = await api('POST', '/v2/checkout/orders', orderBody());
    expect(a.status).toBe(500);
    expect(a.body.name).toBe('INTERNAL_SERVER_ERROR');
    expect((await api('POST', '/v2/checkout/orders', orderBody())).status).toBe(200);
  });

  test('timeout holds the request until the client gives up; token calls untouched without a path', async () => {
    await control('next', { fail: 'timeout' });
    expect((await getToken()).status).toBe(200);
    const t0 = Date.now();
    const err = await fetch(`${sim.url}/v2/checkout/orders`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(orderBody()), signal: AbortSignal.timeout(300),
    }).then(() => null, (e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect((await api('POST', '/v2/checkout/orders', orderBody())).status).toBe(200);
  });

  test('a lost capture answer (timeout with process) is recovered by retrying with the same request id', async () => {
    const o = await createOrder();
    await approve(o.id);
    await control('next', { fail: 'timeout', path: '/capture', process: true, ms: 200 });
    const h = { 'paypal-request-id': crypto.randomUUID() };
    const lost = await api('POST', `/v2/checkout/orders/${o.id}/capture`, {}, h);
    expect(lost.status).toBe(503);
    const retry = await api('POST', `/v2/checkout/orders/${o.id}/capture`, {}, h);
    expect(retry.status).toBe(200);
    expect(retry.body.status).toBe('COMPLETED');
    expect(retry.body.purchase_units[0].payments.captures).toHaveLength(1);
  });
});

describe('mounted under a basePath', () => {
  test('serves PayPal paths under the prefix with links that include it', async () => {
    const mounted = createPayPalSimulator({ basePath: '/paypal-sandbox' });
    const host = Bun.serve({
      port: 0, hostname: '127.0.0.1',
      fetch: (req) => (new URL(req.url).pathname.startsWith('/paypal-sandbox') ? mounted.fetch(req) : new Response('host app')),
    });
    try {
      const origin = `http://127.0.0.1:${host.port}`;
      mounted.setPublicUrl(origin);
      const base = `${origin}/paypal-sandbox`;
      const tok = (await ((await getToken(base, 'sim-client', 'sim-secret')).json() as Promise<J>)).access_token;
      const res = await fetch(`${base}/v2/checkout/orders`, {
        method: 'POST', headers: { authorization: `Bearer ${tok}`, 'content-type': 'application/json' }, body: JSON.stringify(orderBody({ legacy: true })),
      });
      expect(res.status).toBe(201);
      const o = (await res.json()) as J;
      expect(rel(o.links, 'approve')?.href).toBe(`${base}/checkoutnow?token=${o.id}`);
      const html = await (await fetch(rel(o.links, 'approve')!.href)).text();
      expect(html).toContain('action="/paypal-sandbox/checkoutnow"');
      const ap = (await (await fetch(`${base}/_control/approve/${o.id}`, { method: 'POST' })).json()) as J;
      expect(ap.redirect_url).toContain(`token=${o.id}`);
      expect(await (await fetch(`${origin}/elsewhere`)).text()).toBe('host app');
      expect((await mounted.fetch(new Request(`${origin}/v2/checkout/orders`, { method: 'POST' }))).status).toBe(404);
    } finally {
      mounted.close();
      await host.stop(true);
    }
  });
});
