// POST /api/paypal/webhook: signatures, replays, and events as triggers only. Refunds and
// reversals reduce or freeze the key, once, with an audit row.

import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { buyerAddress, startCheckoutStack, waitFor, type CheckoutStack, type Created } from '../helpers/checkout';

type J = Record<string, any>;

interface Recorded {
  headers: Record<string, string>;
  raw: string;
  body: J;
}

/** Stands where the gateway would, to catch PayPal's signed deliveries as sent. */
function startRecorder() {
  const received: Recorded[] = [];
  const server = Bun.serve({
    port: 0,
    hostname: '127.0.0.1',
    async fetch(req) {
      const raw = await req.text();
      received.push({ headers: Object.fromEntries(req.headers), raw, body: JSON.parse(raw) as J });
      return new Response('ok');
    },
  });
  return {
    url: `http://127.0.0.1:${server.port}/hook`,
    received,
    find: (type: string, resourceId: string) => waitFor(() => received.find((r) => r.body.event_type === type && r.body.resource?.id === resourceId), 5000, type),
    stop: () => server.stop(true),
  };
}

const SIGNATURE_HEADERS = ['paypal-auth-algo', 'paypal-cert-url', 'paypal-transmission-id', 'paypal-transmission-sig', 'paypal-transmission-time'];
const signatureOf = (r: Recorded) => Object.fromEntries(SIGNATURE_HEADERS.map((h) => [h, r.headers[h] ?? '']));

async function paidOrder(s: CheckoutStack, plan = 'starter', email = 'buyer@example.com'): Promise<Created & { key: string; captureId: string }> {
  const created = await s.checkout(plan, email);
  await s.pay(created);
  const { body } = await s.viewOrder(created.order_id, created.view_token);
  if (body.status !== 'paid') throw new Error(`order is ${body.status}`);
  return { ...created, key: body.key as string, captureId: s.payments(created.order_id)[0]?.paypal_capture_id as string };
}

const usage = async (s: CheckoutStack, key: string) => {
  const res = await s.usage(key);
  return { status: res.status, body: (await res.json()) as J };
};

describe('signatures: every event is verified with PayPal', () => {
  let s: CheckoutStack;
  const recorder = startRecorder();
  beforeAll(async () => {
    s = await startCheckoutStack();
  });
  afterAll(async () => {
    await s.close();
    await recorder.stop();
  });

  it("acts on PayPal's own signed events", async () => {
    const created = await s.checkout('trial', 'signed@example.com');
    await s.approve(created.paypal_order_id);
    await waitFor(() => s.order(created.order_id).status === 'paid', 8000, 'paid order');
    const events = s.rows('SELECT * FROM webhook_events WHERE resource_id = ?', created.paypal_order_id);
    expect(events).toMatchObject([{ event_type: 'CHECKOUT.ORDER.APPROVED', verified: 1 }]);
  });

  it('answers 400 to a made-up signature and records nothing', async () => {
    await s.quiesce();
    const before = s.events().length;
    const forged = { id: 'WH-FORGED-0001', event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: { id: 'CAPTURE0000000001' } };
    const res = await s.post('/api/paypal/webhook', forged, {
      'paypal-auth-algo': 'SHA256withRSA',
      'paypal-cert-url': `${s.paypal.url}/v1/notifications/certs/CERT-fake`,
      'paypal-transmission-id': crypto.randomUUID(),
      'paypal-transmission-sig': Buffer.from('not a signature').toString('base64'),
      'paypal-transmission-time': new Date().toISOString(),
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as J).error.code).toBe('webhook_signature_invalid');
    const unsigned = await s.post('/api/paypal/webhook', { ...forged, id: 'WH-FORGED-0002' });
    expect(unsigned.status).toBe(400);
    expect(s.events()).toHaveLength(before);
  });

  it('answers 400 to a signed event whose body was altered, then takes the original, once', async () => {
    s.paypal.sim.setWebhookUrl(recorder.url);
    try {
      const victim = await s.checkout('trial', 'victim@example.com');
      const created = await s.checkout('starter', 'altered@example.com');
      await s.approve(created.paypal_order_id);
      const delivery = await recorder.find('CHECKOUT.ORDER.APPROVED', created.paypal_order_id);
      await s.quiesce();
      const before = s.events().length;

      // the same signed delivery, pointed at another order
      const altered = delivery.raw.replaceAll(created.paypal_order_id, victim.paypal_order_id);
      expect(altered).not.toBe(delivery.raw);
      const bad = await fetch(s.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...signatureOf(delivery) }, body: altered });
      expect(bad.status).toBe(400);
      expect(s.events()).toHaveLength(before);

      const good = await fetch(s.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...signatureOf(delivery) }, body: delivery.raw });
      expect(good.status).toBe(200);
      expect(await good.json()).toEqual({ received: true, duplicate: false });
      await s.gw.deps.checkout.settled();
      expect(s.order(created.order_id).status).toBe('paid');

      const replay = await fetch(s.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...signatureOf(delivery) }, body: delivery.raw });
      expect(replay.status).toBe(200);
      expect(await replay.json()).toEqual({ received: true, duplicate: true });
      expect(s.events()).toHaveLength(before + 1);
      expect(s.keysOf(created.order_id)).toHaveLength(1);
      expect(s.order(victim.order_id).status).toBe('created');
    } finally {
      s.paypal.sim.setWebhookUrl(s.webhookUrl);
    }
  });

  it('answers 503 when PayPal cannot verify right now, so PayPal delivers again later', async () => {
    s.paypal.sim.setWebhookUrl(recorder.url);
    try {
      const created = await s.checkout('trial', 'verify-later@example.com');
      await s.approve(created.paypal_order_id);
      const delivery = await recorder.find('CHECKOUT.ORDER.APPROVED', created.paypal_order_id);
      await s.quiesce();
      const before = s.events().length;
      await s.control('next', { fail: '500', path: '/v1/notifications/verify-webhook-signature', times: 1 });
      const send = () => fetch(s.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json', ...signatureOf(delivery) }, body: delivery.raw });
      const unavailable = await send();
      expect(unavailable.status).toBe(503);
      expect(((await unavailable.json()) as J).error.code).toBe('payment_provider_error');
      expect(s.events()).toHaveLength(before);
      expect(s.order(created.order_id).status).toBe('created');

      const later = await send();
      expect(later.status).toBe(200);
      await s.gw.deps.checkout.settled();
      expect(s.order(created.order_id).status).toBe('paid');
    } finally {
      s.paypal.sim.setWebhookUrl(s.webhookUrl);
    }
  });
});

describe('events are triggers: PayPal is asked, and forgeries never get that far', () => {
  let s: CheckoutStack;
  beforeAll(async () => {
    s = await startCheckoutStack();
  });
  afterAll(() => s.close());

  // Posted as from an address of its own, so these forgeries do not count against PayPal's (loopback here).
  const forge = (event: J, from = buyerAddress()) => s.post('/api/paypal/webhook', { event_version: '1.0', resource_version: '2.0', ...event }, { 'x-forwarded-for': from });

  it('refuses unsigned capture and approval events and moves no money', async () => {
    const created = await s.checkout('pro', 'forged@example.com');
    const before = s.events().length;
    const completed = await forge({
      id: 'WH-FAKE-COMPLETED',
      event_type: 'PAYMENT.CAPTURE.COMPLETED',
      resource: { id: 'FAKECAPTURE000001', status: 'COMPLETED', amount: { currency_code: 'USD', value: '50.00' }, custom_id: created.order_id, invoice_id: created.order_id },
    });
    expect(completed.status).toBe(400);
    expect(((await completed.json()) as J).error.code).toBe('webhook_signature_invalid');
    const approved = await forge({ id: 'WH-FAKE-APPROVED', event_type: 'CHECKOUT.ORDER.APPROVED', resource: { id: created.paypal_order_id, status: 'APPROVED' } });
    expect(approved.status).toBe(400);
    await s.gw.deps.checkout.settled();

    expect(s.order(created.order_id).status).toBe('created');
    expect(s.payments(created.order_id)).toHaveLength(0);
    expect(s.keysOf(created.order_id)).toHaveLength(0);
    expect(s.events()).toHaveLength(before);
  });

  it('refuses unsigned refund and reversal events on a paid order and moves no money', async () => {
    const paid = await paidOrder(s, 'starter', 'forged-refund@example.com');
    await s.quiesce();
    const refund = await forge({
      id: 'WH-FAKE-REFUND',
      event_type: 'PAYMENT.CAPTURE.REFUNDED',
      resource_type: 'refund',
      resource: { id: 'FAKEREFUND0000001', status: 'COMPLETED', amount: { currency_code: 'USD', value: '5.00' }, links: [{ rel: 'up', href: `${s.paypal.url}/v2/payments/captures/${paid.captureId}`, method: 'GET' }] },
    });
    const reversal = await forge({ id: 'WH-FAKE-REVERSED', event_type: 'PAYMENT.CAPTURE.REVERSED', resource_type: 'refund', resource: { id: 'FAKEREFUND0000002', status: 'COMPLETED', links: [{ rel: 'up', href: `${s.paypal.url}/v2/payments/captures/${paid.captureId}`, method: 'GET' }] } });
    expect([refund.status, reversal.status]).toEqual([400, 400]);
    await s.gw.deps.checkout.settled();

    expect(s.order(paid.order_id).status).toBe('paid');
    expect(s.payments(paid.order_id)).toMatchObject([{ status: 'COMPLETED', refunded_nano: 0 }]);
    const { status, body } = await usage(s, paid.key);
    expect(status).toBe(200);
    expect(body).toMatchObject({ status: 'active', budget_usd: '4.250000000' });
    expect(s.rows("SELECT * FROM audit_log WHERE actor = 'paypal' AND target = ?", paid.order_id)).toHaveLength(0);
  });

  it('turns away an address that keeps sending unverifiable events (429, Retry-After) before asking PayPal, while PayPal’s own still land', async () => {
    const from = '203.0.113.77';
    s.gw.deps.checkout.resetLookupLimits();
    const verifications = () => s.paypal.exchanges.filter((x) => x.path === '/v1/notifications/verify-webhook-signature').length;
    const signedLooking = {
      'paypal-auth-algo': 'SHA256withRSA',
      'paypal-cert-url': `${s.paypal.url}/v1/notifications/certs/CERT-fake`,
      'paypal-transmission-sig': Buffer.from('not a signature').toString('base64'),
      'paypal-transmission-time': new Date().toISOString(),
    };
    const send = (n: number) =>
      s.post('/api/paypal/webhook', { id: `WH-FLOOD-${n}`, event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: { id: 'FAKECAPTURE000002' } }, { ...signedLooking, 'paypal-transmission-id': crypto.randomUUID(), 'x-forwarded-for': from });
    for (let n = 0; n < 10; n++) expect((await send(n)).status).toBe(400);
    const asked = verifications();
    const limited = await send(10);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await limited.json()) as J).error).toMatchObject({ type: 'rate_limit_error', code: 'rate_limit_exceeded' });
    expect(verifications()).toBe(asked); // PayPal was not asked about the 11th

    // PayPal's real deliveries come from elsewhere and verify: they are never slowed down
    const created = await s.checkout('trial', 'still-works@example.com');
    await s.approve(created.paypal_order_id);
    await waitFor(() => s.order(created.order_id).status === 'paid', 8000, 'paid order');
  });

  it('lowers the budget by each partial refund once, however often the event comes, then disables the key on the full refund', async () => {
    const paid = await paidOrder(s, 'starter', 'refunds@example.com');
    await s.quiesce(); // PAYMENT.CAPTURE.COMPLETED done, so the refund event is the one that acts

    await s.refund(paid.captureId, '2.00');
    const [first] = await waitFor(() => {
      const rows = s.rows("SELECT * FROM webhook_events WHERE event_type = 'PAYMENT.CAPTURE.REFUNDED' AND processed_at IS NOT NULL AND order_id = ?", paid.order_id);
      return rows.length >= 1 ? rows : undefined;
    });
    // Under load a late earlier event may ask PayPal first and apply the refund itself; either
    // way it is applied exactly once (the audit rows and the budget below say so).
    expect(['partially_refunded', 'no_change']).toContain(first?.result as string);
    expect((await usage(s, paid.key)).body).toMatchObject({ status: 'active', budget_usd: '2.250000000' });
    expect(s.payments(paid.order_id)).toMatchObject([{ status: 'PARTIALLY_REFUNDED', refunded_nano: 2_000_000_000 }]);

    // PayPal resends the same event (same id): answered, ignored
    const resent = await fetch(`${s.paypal.url}/v1/notifications/webhooks-events/${first?.id}/resend`, { method: 'POST', headers: { authorization: `Bearer ${await s.paypalToken()}` } });
    expect(resent.status).toBe(202);
    await waitFor(async () => {
      const { body } = await s.control('webhooks');
      return (body.data as J[]).filter((d) => d.event_id === first?.id && d.delivered && d.status === 200).length === 2;
    }, 5000, 'the resent delivery');
    await s.gw.deps.checkout.settled();
    // handled once: the first processing is what the row still says
    expect(s.rows('SELECT processed_at, result FROM webhook_events WHERE id = ?', first?.id)).toEqual([{ processed_at: first?.processed_at, result: first?.result }]);
    expect((await usage(s, paid.key)).body.budget_usd).toBe('2.250000000');
    expect(s.audit('order.partially_refunded').filter((r) => r.target === paid.order_id)).toHaveLength(1);

    // a second partial refund lowers it by the new amount only
    await s.refund(paid.captureId, '1.00');
    await waitFor(() => s.payments(paid.order_id)[0]?.refunded_nano === 3_000_000_000, 5000, 'second refund');
    await s.gw.deps.checkout.settled();
    expect((await usage(s, paid.key)).body).toMatchObject({ status: 'active', budget_usd: '1.250000000' });
    expect(s.order(paid.order_id).status).toBe('paid');

    // the rest, refunded from PayPal's dashboard: the key is disabled, the order refunded
    const full = await s.control('webhook', { event_type: 'PAYMENT.CAPTURE.REFUNDED', order_id: paid.paypal_order_id });
    expect(full.body.delivered).toBe(true);
    await s.gw.deps.checkout.settled();
    expect(s.order(paid.order_id)).toMatchObject({ status: 'refunded' });
    expect(s.payments(paid.order_id)).toMatchObject([{ status: 'REFUNDED', refunded_nano: 5_000_000_000 }]);
    const key = s.keysOf(paid.order_id)[0];
    expect(key).toMatchObject({ status: 'disabled', status_reason: 'refunded', budget_nano: 0 });
    expect((await usage(s, paid.key)).status).toBe(401);
    const audit = s.audit('order.refunded').filter((r) => r.target === paid.order_id);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.actor).toBe('paypal');
    expect(JSON.parse(audit[0]?.after)).toMatchObject({ refunded_usd: '5.000000000', key_status: 'disabled' });

    // another event about the same refunded capture changes nothing
    await s.control('webhook', { event_type: 'PAYMENT.CAPTURE.REFUNDED', order_id: paid.paypal_order_id });
    await s.gw.deps.checkout.settled();
    expect(s.audit('order.refunded').filter((r) => r.target === paid.order_id)).toHaveLength(1);
    expect(s.payments(paid.order_id)[0]?.refunded_nano).toBe(5_000_000_000);
    const { body } = await s.viewOrder(paid.order_id, paid.view_token);
    expect(body).toMatchObject({ status: 'refunded', key: null, key_status: 'disabled' });
  });

  it('takes a chargeback (PAYMENT.CAPTURE.REVERSED, a refund resource) out of the budget and freezes the key, once', async () => {
    const paid = await paidOrder(s, 'starter', 'chargeback@example.com');
    await s.quiesce();
    expect((await usage(s, paid.key)).status).toBe(200);
    const sent = await s.control('webhook', { event_type: 'PAYMENT.CAPTURE.REVERSED', order_id: paid.paypal_order_id, amount: '2.00' });
    expect(sent.body.delivered).toBe(true);
    await s.gw.deps.checkout.settled();
    const [event] = s.rows('SELECT * FROM webhook_events WHERE id = ?', sent.body.event_id);
    expect(event).toMatchObject({ event_type: 'PAYMENT.CAPTURE.REVERSED', result: 'reversed', order_id: paid.order_id, verified: 1 });

    expect(s.order(paid.order_id)).toMatchObject({ status: 'reversed', status_reason: 'payment_reversed' });
    expect(s.payments(paid.order_id)).toMatchObject([{ status: 'PARTIALLY_REFUNDED', refunded_nano: 2_000_000_000 }]);
    // the 2 USD taken back leave the budget (4.25 → 2.25), and the key is frozen
    expect(s.keysOf(paid.order_id)[0]).toMatchObject({ status: 'disabled', status_reason: 'payment reversed', budget_nano: 2_250_000_000 });
    expect((await usage(s, paid.key)).status).toBe(401);
    const audit = s.audit('order.reversed').filter((r) => r.target === paid.order_id);
    expect(audit).toHaveLength(1);
    expect(audit[0]?.actor).toBe('paypal');
    expect(JSON.parse(audit[0]?.after)).toMatchObject({ status: 'reversed', key_status: 'disabled', refunded_usd: '2.000000000', budget_usd: '2.250000000' });
    const { body } = await s.viewOrder(paid.order_id, paid.view_token);
    expect(body).toMatchObject({ status: 'reversed', key: null, key_status: 'disabled' });

    // PayPal telling it again (a resend, or the re-check) changes nothing
    await s.control('webhook', { event_type: 'PAYMENT.CAPTURE.REVERSED', order_id: paid.paypal_order_id });
    await s.gw.deps.checkout.settled();
    await s.gw.deps.checkout.syncOrder(paid.order_id);
    expect(s.audit('order.reversed').filter((r) => r.target === paid.order_id)).toHaveLength(1);
    expect(s.keysOf(paid.order_id)[0]).toMatchObject({ status: 'disabled', status_reason: 'payment reversed' });
    expect(s.order(paid.order_id).status).toBe('reversed');
  });

  it('freezes the key of a fully reversed payment and leaves nothing of its budget', async () => {
    const paid = await paidOrder(s, 'trial', 'chargeback-full@example.com');
    await s.quiesce();
    await s.control('webhook', { event_type: 'PAYMENT.CAPTURE.REVERSED', order_id: paid.paypal_order_id });
    await s.gw.deps.checkout.settled();
    expect(s.order(paid.order_id)).toMatchObject({ status: 'reversed', status_reason: 'payment_reversed' });
    expect(s.payments(paid.order_id)).toMatchObject([{ status: 'REFUNDED', refunded_nano: 1_000_000_000 }]);
    expect(s.keysOf(paid.order_id)[0]).toMatchObject({ status: 'disabled', status_reason: 'payment reversed', budget_nano: 0 });
    expect((await usage(s, paid.key)).status).toBe(401);
  });

  it('answers 400 to a body that is not an event', async () => {
    const notJson = await fetch(s.webhookUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{nope' });
    expect(notJson.status).toBe(400);
    const noId = await forge({ event_type: 'PAYMENT.CAPTURE.COMPLETED', resource: {} });
    expect(noId.status).toBe(400);
  });
});
