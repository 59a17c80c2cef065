import type { Config } from '../../config';
import { Err } from '../../errors';
import type { Logger } from '../../lib/log';
import type { CaptureFlow, CaptureOutcome } from './capture';
import { linkedId, PayPalApiError, type PayPalCapture, type PayPalClient, type PayPalLink } from './paypal-client';
import type { SettleResult } from './settle';
import type { CheckoutStore, OrderRow } from './store';

// POST /api/paypal/webhook. An event is a trigger, never proof: it says which order or capture to
// look at, and only what PayPal's API answers when asked moves money or keys.

/** How long the answer waits for the PayPal calls an event starts; the rest finishes afterwards. */
export const WEBHOOK_ANSWER_WITHIN_MS = 2_000;

const CAPTURE_EVENTS = new Set([
  'PAYMENT.CAPTURE.COMPLETED',
  'PAYMENT.CAPTURE.PENDING',
  'PAYMENT.CAPTURE.DENIED',
  'PAYMENT.CAPTURE.DECLINED',
  'PAYMENT.CAPTURE.REVERSED',
]);
const ORDER_EVENTS = new Set(['CHECKOUT.ORDER.APPROVED', 'CHECKOUT.ORDER.COMPLETED']);
const REFUND_EVENT = 'PAYMENT.CAPTURE.REFUNDED';

interface WebhookEvent {
  id: string;
  event_type: string;
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
  return { id, event_type: type, resource };
}

export function createWebhookReceiver(deps: { config: Config; store: CheckoutStore; client: PayPalClient; flow: CaptureFlow; log: Logger }) {
  const { config, store, client, flow, log } = deps;
  const inFlight = new Set<Promise<void>>();

  const describe = (outcome: SettleResult | CaptureOutcome) => (typeof outcome === 'string' ? outcome : outcome.kind === 'error' ? `error: ${outcome.error.message}` : outcome.kind);

  /** Which of our orders a capture belongs to: our id travels in custom_id and invoice_id. */
  function orderOfCapture(capture: PayPalCapture): OrderRow | undefined {
    for (const id of [capture.custom_id, capture.invoice_id]) {
      const order = id ? store.orderById(id) : undefined;
      if (order) return order;
    }
    const paypalOrderId = capture.supplementary_data?.related_ids?.order_id;
    const byPayPal = paypalOrderId ? store.orderByPayPalId(paypalOrderId) : undefined;
    if (byPayPal) return byPayPal;
    const payment = store.paymentByCapture(capture.id);
    return payment ? store.orderById(payment.orderId) : undefined;
  }

  async function confirmCapture(captureId: string, expect: (status: string) => boolean): Promise<Processed> {
    const capture = await client.getCapture(captureId);
    const order = orderOfCapture(capture);
    if (!order) return { result: 'ignored: no order of ours for this capture', orderId: null };
    const related = capture.supplementary_data?.related_ids?.order_id;
    if (related && related !== order.paypalOrderId) return { result: 'ignored: capture of another PayPal order', orderId: order.id };
    if (!expect(capture.status)) return { result: `ignored: PayPal says the capture is ${capture.status}`, orderId: order.id };
    return { result: describe(await flow.applyCapture(order.id, capture)), orderId: order.id };
  }

  async function process(event: WebhookEvent): Promise<Processed> {
    const { resource } = event;
    if (ORDER_EVENTS.has(event.event_type)) {
      const paypalOrderId = str(resource.id);
      const order = paypalOrderId ? store.orderByPayPalId(paypalOrderId) : undefined;
      if (!order) return { result: 'ignored: unknown order', orderId: null };
      return { result: describe(await flow.sync(order.id)), orderId: order.id };
    }
    if (CAPTURE_EVENTS.has(event.event_type)) {
      const captureId = str(resource.id);
      if (!captureId) return { result: 'ignored: no capture id', orderId: null };
      // Whatever the event claims, the capture's status is what PayPal answers now.
      return confirmCapture(captureId, () => true);
    }
    if (event.event_type === REFUND_EVENT) {
      // The resource is the refund; its `up` link names the capture.
      const captureId = linkedId(Array.isArray(resource.links) ? (resource.links as PayPalLink[]) : undefined, 'up');
      if (!captureId) return { result: 'ignored: refund without a capture link', orderId: null };
      return confirmCapture(captureId, (status) => status === 'REFUNDED' || status === 'PARTIALLY_REFUNDED');
    }
    return { result: 'ignored: event type not handled', orderId: null };
  }

  function run(event: WebhookEvent): Promise<void> {
    const work = process(event)
      .then(({ result, orderId }) => {
        store.finishEvent(event.id, result, orderId);
        log.info('paypal webhook processed', { event_id: event.id, event_type: event.event_type, result, order_id: orderId });
      })
      .catch((error: unknown) => {
        const message = error instanceof Error ? error.message : String(error);
        if (!(error instanceof PayPalApiError)) log.error('paypal webhook failed', { event_id: event.id, error: error instanceof Error ? (error.stack ?? message) : message });
        else log.warn('paypal webhook: PayPal call failed', { event_id: event.id, error: message });
        // PayPal refusing (404 for a made-up capture) is an answer; only no answer is worth a retry.
        const retryable = !(error instanceof PayPalApiError) || error.transient;
        try {
          store.finishEvent(event.id, `${retryable ? 'error' : 'rejected'}: ${message}`, null);
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

  async function verify(raw: string, headers: Headers): Promise<boolean> {
    const webhookId = config.paypal.webhookId;
    if (!webhookId) return false;
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
    return true;
  }

  return {
    /** Verifies (when a webhook id is configured), records the event id once, then acts. */
    async receive(raw: string, headers: Headers): Promise<{ received: true; duplicate: boolean }> {
      const event = parseEvent(raw);
      const verified = await verify(raw, headers);
      const inserted = store.insertEvent({
        id: event.id,
        eventType: event.event_type,
        resourceId: str(event.resource.id) ?? null,
        orderId: null,
        verified,
      });
      if (!inserted) {
        // A replay does nothing, unless the first delivery ended in a PayPal error: then retry it.
        const previous = store.eventById(event.id);
        if (!previous?.result?.startsWith('error:') || previous.eventType !== event.event_type) return { received: true, duplicate: true };
      }
      const work = run(event);
      await Promise.race([work, Bun.sleep(WEBHOOK_ANSWER_WITHIN_MS)]);
      return { received: true, duplicate: false };
    },

    /** Resolves when every event being processed has finished (tests, shutdown). */
    async settled(): Promise<void> {
      while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
    },
  };
}

export type WebhookReceiver = ReturnType<typeof createWebhookReceiver>;
