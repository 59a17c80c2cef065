import type { Config } from '../../config';
import { Err, GatewayError } from '../../errors';
import type { AddressLockout } from '../metering/counters';
import type { Logger } from '../../lib/log';
import type { CaptureFlow, CaptureOutcome } from './capture';
import { linkedId, PayPalApiError, type PayPalCapture, type PayPalClient } from './paypal-client';
import type { SettleResult } from './settle';
import type { CheckoutStore, OrderRow } from './store';

// POST /api/paypal/webhook. An event is a trigger, never proof: it says which order or capture to
// look at, and only what PayPal's API answers when asked moves money or keys.

/** How long the answer waits for the PayPal calls an event starts; the rest finishes afterwards. */
export const WEBHOOK_ANSWER_WITHIN_MS = 2_000;

const CAPTURE_EVENTS = new Set(['PAYMENT.CAPTURE.COMPLETED', 'PAYMENT.CAPTURE.PENDING', 'PAYMENT.CAPTURE.DENIED', 'PAYMENT.CAPTURE.DECLINED']);
const ORDER_EVENTS = new Set(['CHECKOUT.ORDER.APPROVED', 'CHECKOUT.ORDER.COMPLETED']);
/** Money taken back: PayPal sends both with a refund resource whose `up` link is the capture. */
const REFUND_EVENT = 'PAYMENT.CAPTURE.REFUNDED';
const REVERSAL_EVENT = 'PAYMENT.CAPTURE.REVERSED';

/** Webhook deliveries that fail verification, per client address per window, before 429. */
export const WEBHOOK_FAILURE_LIMIT = 10;
export const WEBHOOK_FAILURE_WINDOW_MS = 10 * 60_000;

interface WebhookEvent {
  id: string;
  event_type: string;
  resource_type: string | undefined;
  resource: Record<string, unknown>;
}

interface Processed {
  result: string;
  orderId: string | null;
}

const str = (value: unknown): string | undefined => (typeof value === 'string' && value !== '' ? value : undefined);

function parseEvent(raw: string): WebhookEvent {
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    throw Err.invalidJson();
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw Err.invalidBody('expected a PayPal webhook event object');
  const event = body as Record<string, unknown>;
  const id = str(event.id);
  const type = str(event.event_type);
  if (!id || id.length > 128) throw Err.invalidField('id', 'missing or too long');
  if (!type || type.length > 128) throw Err.invalidField('event_type', 'missing or too long');
  const resource = typeof event.resource === 'object' && event.resource !== null ? (event.resource as Record<string, unknown>) : {};
  return { id, event_type: type, resource_type: str(event.resource_type), resource };
}

export function createWebhookReceiver(deps: { config: Config; store: CheckoutStore; client: PayPalClient; flow: CaptureFlow; log: Logger; now: () => number; failures: AddressLockout }) {
  const { config, store, client, flow, log } = deps;
  const inFlight = new Set<Promise<void>>();
  // Only failures count: PayPal's own deliveries verify, so its addresses are never slowed down.
  const { failures } = deps;

  const describe = (outcome: SettleResult | CaptureOutcome) => (typeof outcome === 'string' ? outcome : outcome.kind === 'error' ? `error: ${outcome.error.message}` : outcome.kind);

  /** Which of our orders a capture belongs to: our id travels in custom_id and invoice_id. */
  async function orderOfCapture(capture: PayPalCapture): Promise<OrderRow | undefined> {
    for (const id of [capture.custom_id, capture.invoice_id]) {
      const order = id ? await store.orderById(id) : undefined;
      if (order) return order;
    }
    const paypalOrderId = capture.supplementary_data?.related_ids?.order_id;
    const byPayPal = paypalOrderId ? await store.orderByPayPalId(paypalOrderId) : undefined;
    if (byPayPal) return byPayPal;
    const payment = await store.paymentByCapture(capture.id);
    return payment ? store.orderById(payment.orderId) : undefined;
  }

  async function confirmCapture(captureId: string, expect: (status: string) => boolean): Promise<Processed> {
    const capture = await client.getCapture(captureId);
    const order = await orderOfCapture(capture);
    if (!order) return { result: 'ignored: no order of ours for this capture', orderId: null };
    const related = capture.supplementary_data?.related_ids?.order_id;
    if (related && related !== order.paypalOrderId) return { result: 'ignored: capture of another PayPal order', orderId: order.id };
    if (!expect(capture.status)) return { result: `ignored: PayPal says the capture is ${capture.status}`, orderId: order.id };
    return { result: describe(await flow.applyCapture(order.id, capture)), orderId: order.id };
  }

  /**
   * PAYMENT.CAPTURE.REFUNDED / REVERSED: the resource is a refund. PayPal is asked for that refund
   * (it must exist and be done), its `up` link names the capture, and PayPal is asked for the capture.
   */
  async function takenBack(event: WebhookEvent): Promise<Processed> {
    const reversal = event.event_type === REVERSAL_EVENT;
    let captureId: string | undefined;
    if (event.resource_type === 'capture') {
      captureId = str(event.resource.id); // an older event shape: the capture itself
    } else {
      const refundId = str(event.resource.id);
      if (!refundId) return { result: 'ignored: no refund id', orderId: null };
      const refund = await client.getRefund(refundId);
      if (refund.status !== 'COMPLETED') return { result: `ignored: PayPal says the refund is ${refund.status}`, orderId: null };
      captureId = linkedId(refund.links, 'up');
    }
    if (!captureId) return { result: 'ignored: refund without a capture link', orderId: null };
    const capture = await client.getCapture(captureId);
    const order = await orderOfCapture(capture);
    if (!order) return { result: 'ignored: no order of ours for this capture', orderId: null };
    const related = capture.supplementary_data?.related_ids?.order_id;
    if (related && related !== order.paypalOrderId) return { result: 'ignored: capture of another PayPal order', orderId: order.id };
    if (capture.status !== 'REFUNDED' && capture.status !== 'PARTIALLY_REFUNDED') {
      return { result: `ignored: PayPal says the capture is ${capture.status}`, orderId: order.id };
    }
    const outcome = reversal ? await flow.applyReversal(order.id, capture) : await flow.applyCapture(order.id, capture);
    return { result: describe(outcome), orderId: order.id };
  }

  async function process(event: WebhookEvent): Promise<Processed> {
    const { resource } = event;
    if (ORDER_EVENTS.has(event.event_type)) {
      const paypalOrderId = str(resource.id);
      const order = paypalOrderId ? await store.orderByPayPalId(paypalOrderId) : undefined;
      if (!order) return { result: 'ignored: unknown order', orderId: null };
      return { result: describe(await flow.sync(order.id)), orderId: order.id };
    }
    if (CAPTURE_EVENTS.has(event.event_type)) {
      const captureId = str(resource.id);
      if (!captureId) return { result: 'ignored: no capture id', orderId: null };
      // Whatever the event claims, the capture's status is what PayPal answers now.
      return confirmCapture(captureId, () => true);
    }
    if (event.event_type === REFUND_EVENT || event.event_type === REVERSAL_EVENT) return takenBack(event);
    return { result: 'ignored: event type not handled', orderId: null };
  }

  function run(event: WebhookEvent): Promise<void> {
    const work = process(event)
      .then(async ({ result, orderId }) => {
        await store.finishEvent(event.id, result, orderId, deps.now());
        log.info('paypal webhook processed', { event_id: event.id, event_type: event.event_type, result, order_id: orderId });
      })
      .catch(async (error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (!(error instanceof PayPalApiError)) log.error('paypal webhook failed', { event_id: event.id, error: error instanceof Error ? (error.stack ?? message) : message });
        else log.warn('paypal webhook: PayPal call failed', { event_id: event.id, error: message });
        // PayPal refusing (404 for a made-up capture) is an answer; only no answer is worth a retry.
        const retryable = !(error instanceof PayPalApiError) || error.transient;
        try {
          await store.finishEvent(event.id, `${retryable ? 'error' : 'rejected'}: ${message}`, null, deps.now());
        } catch {
          // the database may be closed on shutdown
        }
      })
      .finally(() => {
        inFlight.delete(work);
      });
    inFlight.add(work);
    return work;
  }

  /** Asks PayPal whether it sent this; throws unless it says SUCCESS. Nothing unverified is ever acted on. */
  async function verify(raw: string, headers: Headers): Promise<void> {
    const webhookId = config.paypal.webhookId;
    if (!webhookId) throw Err.webhookSignatureInvalid(); // config refuses to start so; never accept unverified
    const get = (name: string) => headers.get(name) ?? '';
    const transmission = {
      authAlgo: get('paypal-auth-algo'),
      certUrl: get('paypal-cert-url'),
      transmissionId: get('paypal-transmission-id'),
      transmissionSig: get('paypal-transmission-sig'),
      transmissionTime: get('paypal-transmission-time'),
    };
    if (Object.values(transmission).some((value) => value === '')) throw Err.webhookSignatureInvalid();
    let ok: boolean;
    try {
      ok = await client.verifyWebhookSignature(transmission, webhookId, raw);
    } catch (error) {
      if (!(error instanceof PayPalApiError)) throw error;
      // 400 from PayPal means the fields were not acceptable; anything else: ask PayPal to retry.
      if (error.status === 400) throw Err.webhookSignatureInvalid();
      log.warn('webhook verification unavailable', { error: error.message });
      throw Err.paymentProviderUnavailable(error.message);
    }
    if (!ok) throw Err.webhookSignatureInvalid();
  }

  /** verify, with an address that keeps sending what does not verify turned away before PayPal is asked. */
  async function verifyFrom(ip: string, raw: string, headers: Headers): Promise<void> {
    const wait = await failures.retryAfterSeconds(ip);
    if (wait > 0) throw Err.webhookRateLimited(wait);
    try {
      await verify(raw, headers);
    } catch (error) {
      if (error instanceof GatewayError && error.code === 'webhook_signature_invalid') await failures.fail(ip);
      throw error;
    }
  }

  return {
    /** Verifies with PayPal, records the event id once, then acts. */
    async receive(raw: string, headers: Headers, ip: string): Promise<{ received: true; duplicate: boolean }> {
      const event = parseEvent(raw);
      await verifyFrom(ip, raw, headers);
      const inserted = await store.insertEvent({
        id: event.id,
        eventType: event.event_type,
        resourceId: str(event.resource.id) ?? null,
        orderId: null,
        verified: true,
      });
      if (!inserted) {
        // A replay does nothing, unless the first delivery ended in a PayPal error: then retry it.
        const previous = await store.eventById(event.id);
        if (!previous?.result?.startsWith('error:') || previous.eventType !== event.event_type) return { received: true, duplicate: true };
      }
      const work = run(event);
      await Promise.race([work, Bun.sleep(WEBHOOK_ANSWER_WITHIN_MS)]);
      return { received: true, duplicate: false };
    },

    resetLimits: () => failures.clear(),

    /** Resolves when every event being processed has finished (tests, shutdown). */
    async settled(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

export type WebhookReceiver = ReturnType<typeof createWebhookReceiver>;
