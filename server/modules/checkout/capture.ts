import type { OrderStatus } from '../../db/schema';
import type { Logger } from '../../lib/log';
import { PayPalApiError, type PayPalCapture, type PayPalClient, type PayPalOrder } from './paypal-client';
import { captureFacts, refundedTotal, type Settlement, type SettleResult } from './settle';
import type { CheckoutStore, OrderRow } from './store';

// Capturing an order, whoever asks first: the return page, the JS buttons, a webhook, the
// reconciler, on this instance or another. They may run at the same time: PayPal's side is made
// safe by one stable PayPal-Request-Id per capture attempt, ours by applying what PayPal answers
// in one transaction per capture (settle.ts) whose writes are conditional (the capture id unique,
// a PENDING payment claimed once, the order paid only while it has no key).
// PayPal answers a repeated request id with the first answer for 6 hours, a decline included, so
// after a decline (the buyer pays again at PayPal) the next attempt gets a new id.

export type CaptureOutcome =
  | { kind: 'paid' | 'pending' | 'failed' | 'done' | 'not_approved' | 'cancelled' | 'in_progress' }
  | { kind: 'declined'; approveUrl: string | null }
  | { kind: 'error'; error: PayPalApiError };

/** Capture 422s after which the buyer must go back to PayPal: our status reason for each. */
const BACK_TO_PAYPAL: Record<string, string> = {
  INSTRUMENT_DECLINED: 'instrument_declined',
  REDIRECT_PAYER_FOR_ALTERNATE_FUNDING: 'alternate_funding_required',
  PAYER_ACTION_REQUIRED: 'payer_action_required',
};
/** Where PayPal's error says to send the buyer, if it says. */
const BUYER_LINK_RELS = ['payer-action', 'redirect', 'approve'];

/** Orders whose money question is settled: no capture is attempted for them. */
const SETTLED: OrderStatus[] = ['paid', 'refunded', 'reversed', 'cancelled'];

/** Stable per capture attempt, distinct from the create call's id, so a retried capture is answered, not repeated. */
export const captureRequestId = (order: OrderRow) => order.captureRequestId ?? `${order.paypalRequestId}-capture`;

export function createCaptureFlow(deps: { store: CheckoutStore; client: PayPalClient; settlement: Settlement; log: Logger }) {
  const { store, client, settlement, log } = deps;

  async function outcomeOf(orderId: string, results: SettleResult[]): Promise<CaptureOutcome> {
    const order = await store.orderById(orderId);
    if (order?.status === 'paid') return { kind: 'paid' };
    if (order?.status === 'pending') return { kind: 'pending' };
    if (order?.status === 'failed' || results.includes('amount_mismatch')) return { kind: 'failed' };
    return { kind: 'done' };
  }

  function providerError(orderId: string, error: unknown): CaptureOutcome {
    if (!(error instanceof PayPalApiError)) throw error;
    log.warn('PayPal call failed', { order_id: orderId, error: error.message });
    return { kind: 'error', error };
  }

  /** What a capture 422 means for the order; undefined when it is no such answer. */
  async function refusal(order: OrderRow, error: PayPalApiError): Promise<CaptureOutcome | undefined> {
    const back = Object.keys(BACK_TO_PAYPAL).find((issue) => error.has(issue));
    if (back) {
      // The buyer approves again at PayPal; that is a new attempt, so it needs a new request id.
      const link = BUYER_LINK_RELS.map((rel) => error.links.find((l) => l.rel === rel)?.href).find((href) => typeof href === 'string');
      const moved = await store.restartCapture(order.id, BACK_TO_PAYPAL[back] ?? back, link ?? null);
      return { kind: 'declined', approveUrl: moved?.approveUrl ?? link ?? order.approveUrl };
    }
    if (error.has('MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED')) {
      // PayPal will not take this order any more: the buyer starts a new one.
      await store.moveOrder(order.id, ['created', 'approved', 'expired'], 'failed', 'payment_attempts_exceeded');
      return { kind: 'failed' };
    }
    if (error.has('ORDER_COMPLETION_IN_PROGRESS')) {
      // PayPal is finishing it: the webhook or the reconciler picks the capture up.
      await store.moveOrder(order.id, ['created', 'approved', 'expired'], 'approved', 'completion_in_progress');
      return { kind: 'in_progress' };
    }
    if (error.has('ORDER_NOT_APPROVED')) {
      // Nothing was attempted; the capture after the buyer approves is a new attempt.
      await store.restartCapture(order.id, order.statusReason, null);
      return { kind: 'not_approved' };
    }
    return undefined;
  }

  async function captureNow(order: OrderRow): Promise<CaptureOutcome> {
    if (!order.paypalOrderId) return { kind: 'failed' };
    let paypalOrder: PayPalOrder;
    try {
      paypalOrder = await client.captureOrder(order.paypalOrderId, captureRequestId(order));
    } catch (error) {
      if (!(error instanceof PayPalApiError)) throw error;
      const refused = await refusal(order, error);
      if (refused) return refused;
      if (!error.has('ORDER_ALREADY_CAPTURED')) {
        // The buyer may well have approved: leave the order where the reconciler looks.
        if (error.transient) await store.moveOrder(order.id, ['created', 'expired'], 'approved', null);
        return providerError(order.id, error);
      }
      try {
        paypalOrder = await client.getOrder(order.paypalOrderId);
      } catch (getError) {
        return providerError(order.id, getError);
      }
    }
    if (paypalOrder.id !== order.paypalOrderId) return { kind: 'failed' };
    return outcomeOf(order.id, await settlement.applyOrder(order.id, paypalOrder));
  }

  return {
    /** Captures the order at PayPal (return page, JS buttons) and credits what PayPal confirms. */
    async capture(orderId: string): Promise<CaptureOutcome> {
      const order = await store.orderById(orderId);
      if (!order) return { kind: 'failed' };
      if (SETTLED.includes(order.status)) return { kind: order.status === 'paid' ? 'paid' : 'done' };
      return captureNow(order);
    },

    /**
     * Asks PayPal how the order stands and acts on it: captures an approved order, credits or
     * updates from its captures (refunds included), notices a voided one.
     */
    async sync(orderId: string): Promise<CaptureOutcome> {
      const order = await store.orderById(orderId);
      if (!order?.paypalOrderId) return { kind: 'failed' };
      let paypalOrder: PayPalOrder;
      try {
        paypalOrder = await client.getOrder(order.paypalOrderId);
      } catch (error) {
        return providerError(order.id, error);
      }
      switch (paypalOrder.status) {
        case 'APPROVED':
          return SETTLED.includes(order.status) ? { kind: 'done' } : captureNow(order);
        case 'COMPLETED':
          return outcomeOf(order.id, await settlement.applyOrder(order.id, paypalOrder));
        case 'VOIDED':
          await store.moveOrder(order.id, ['created', 'approved', 'expired'], 'cancelled', 'voided_at_paypal');
          return { kind: 'cancelled' };
        default:
          // Not (or no longer) approved: the buyer still has to pay.
          await store.moveOrder(order.id, ['approved'], 'created', null);
          return { kind: 'not_approved' };
      }
    },

    /**
     * Applies a capture PayPal's API just returned (after a webhook). A partly refunded capture
     * needs the order too: PayPal lists the refunds there.
     */
    async applyCapture(orderId: string, capture: PayPalCapture): Promise<SettleResult | CaptureOutcome> {
      let refunded: number | undefined;
      if (capture.status === 'PARTIALLY_REFUNDED') {
        const order = await store.orderById(orderId);
        if (!order?.paypalOrderId) return 'unknown_order';
        try {
          refunded = refundedTotal(await client.getOrder(order.paypalOrderId), capture.id);
        } catch (error) {
          return providerError(orderId, error);
        }
      }
      return settlement.applyCapture(orderId, captureFacts(capture, refunded));
    },

    /**
     * A chargeback PayPal confirmed (the refund it made exists and names this capture): the money
     * taken back leaves the key's budget and the key is frozen.
     */
    async applyReversal(orderId: string, capture: PayPalCapture): Promise<SettleResult | CaptureOutcome> {
      const order = await store.orderById(orderId);
      if (!order?.paypalOrderId) return 'unknown_order';
      let refunded: number;
      try {
        refunded = refundedTotal(await client.getOrder(order.paypalOrderId), capture.id);
      } catch (error) {
        return providerError(orderId, error);
      }
      return settlement.applyReversal(orderId, captureFacts(capture, refunded));
    },
  };
}

export type CaptureFlow = ReturnType<typeof createCaptureFlow>;
