import type { Clock } from '../../lib/clock';
import type { Logger } from '../../lib/log';
import { formatUsd, parseUsd } from '../../lib/money';
import type { AuditLog } from '../admin/audit';
import type { CatalogService } from '../catalog/service';
import type { Outbox } from '../mail/outbox';
import { receiptMail } from '../mail/receipt';
import type { MeteringService } from '../metering/service';
import { linkedId, type PayPalCapture, type PayPalMoney, type PayPalOrder } from './paypal-client';
import { createCrediting } from './credit';
import type { CheckoutStore, OrderRow, PaymentRow } from './store';

// Turning what PayPal confirmed about a capture into our state. Each change is one synchronous
// transaction: the payment row (unique on the capture id), the key and the order move together.

/** A capture as PayPal's API reported it, with money in nano-USD. */
export interface CaptureFacts {
  id: string;
  status: string;
  amountNano: number | null;
  currency: string | null;
  /** total refunded on this capture, when known */
  refundedNano?: number;
}

export type SettleResult =
  | 'credited'
  | 'already_credited'
  | 'pending'
  | 'amount_mismatch'
  | 'declined'
  | 'refunded'
  | 'partially_refunded'
  | 'reversed'
  | 'no_change'
  | 'unknown_order'
  | 'ignored';

export function moneyNano(money: PayPalMoney | undefined): number | null {
  if (!money || typeof money.value !== 'string') return null;
  try {
    return parseUsd(money.value);
  } catch {
    return null;
  }
}

export function captureFacts(capture: PayPalCapture, refundedNano?: number): CaptureFacts {
  return {
    id: capture.id,
    status: capture.status,
    amountNano: moneyNano(capture.amount),
    currency: capture.amount?.currency_code ?? null,
    ...(refundedNano === undefined ? {} : { refundedNano }),
  };
}

/** Every capture in a PayPal order. */
export function capturesOf(order: PayPalOrder): PayPalCapture[] {
  return (order.purchase_units ?? []).flatMap((unit) => unit.payments?.captures ?? []);
}

/** The sum of the completed refunds PayPal lists on the order for one capture. */
export function refundedTotal(order: PayPalOrder, captureId: string): number {
  let total = 0;
  for (const unit of order.purchase_units ?? []) {
    for (const refund of unit.payments?.refunds ?? []) {
      if (refund.status !== 'COMPLETED' || linkedId(refund.links, 'up') !== captureId) continue;
      total += moneyNano(refund.amount) ?? 0;
    }
  }
  return total;
}

export function createSettlement(deps: {
  store: CheckoutStore;
  metering: MeteringService;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
  catalog: CatalogService;
  outbox: Outbox;
}) {
  const { store, metering, audit, clock, log, outbox } = deps;
  const crediting = createCrediting(deps);
  const usd = (nano: number | null) => (nano === null ? null : formatUsd(nano));

  function recordPayment(order: OrderRow, c: CaptureFacts, status: string, refundedNano = 0): boolean {
    return store.insertPayment({
      orderId: order.id,
      paypalCaptureId: c.id,
      status,
      amountNano: c.amountNano ?? 0,
      currency: c.currency ?? '',
      refundedNano,
    });
  }

  /** A COMPLETED capture: one key, once, and only for the exact amount and currency of the order. */
  function credit(order: OrderRow, payment: PaymentRow | undefined, c: CaptureFacts): SettleResult {
    if (payment && payment.status !== 'PENDING') return 'already_credited';
    if (order.keyId !== null) {
      // A second capture on an order that already has its key: keep the record, issue nothing.
      recordPayment(order, c, c.status);
      log.warn('second capture on a paid order', { order_id: order.id, capture_id: c.id });
      return 'already_credited';
    }
    const claimed = payment ? store.claimPendingPayment(c.id, 'COMPLETED') : recordPayment(order, c, 'COMPLETED');
    if (!claimed) return 'already_credited';
    if (c.currency !== order.currency || c.amountNano !== order.amountNano) {
      const reason = `amount_mismatch: expected ${formatUsd(order.amountNano)} ${order.currency}, PayPal captured ${usd(c.amountNano) ?? '?'} ${c.currency ?? '?'}`;
      store.updateOrder(order.id, { status: 'failed', statusReason: reason });
      audit.record({
        actor: 'paypal',
        action: 'order.amount_mismatch',
        target: order.id,
        before: { amount_usd: formatUsd(order.amountNano), currency: order.currency },
        after: { captured_usd: usd(c.amountNano), currency: c.currency, capture_id: c.id },
      });
      log.warn('captured amount differs from the order; no key issued', { order_id: order.id, capture_id: c.id });
      return 'amount_mismatch';
    }
    const keyId = order.topupKeyId ? crediting.topUp(order, order.topupKeyId) : crediting.issueKey(order);
    const paid = store.updateOrder(order.id, { status: 'paid', statusReason: null, keyId, paidAt: clock.now() }) ?? order;
    // the receipt commits with the credit, or neither does
    const facts = crediting.receiptFacts(paid);
    if (facts) outbox.enqueue(receiptMail(facts));
    log.info('order paid', { order_id: order.id, key_id: keyId, capture_id: c.id, topup: order.topupKeyId !== null });
    return 'credited';
  }

  function pending(order: OrderRow, payment: PaymentRow | undefined, c: CaptureFacts): SettleResult {
    if (!payment) recordPayment(order, c, 'PENDING');
    store.moveOrder(order.id, ['created', 'approved', 'expired'], 'pending', 'capture_pending');
    return 'pending';
  }

  function declined(order: OrderRow, payment: PaymentRow | undefined, c: CaptureFacts): SettleResult {
    if (payment) {
      if (payment.status === c.status) return 'no_change';
      store.updatePayment(c.id, { status: c.status });
    } else {
      recordPayment(order, c, c.status);
    }
    if (order.keyId !== null && order.status === 'paid') {
      metering.setStatus(order.keyId, 'disabled', 'payment denied');
      audit.record({ actor: 'paypal', action: 'order.capture_denied', target: order.id, before: { status: order.status }, after: { status: 'failed', key_id: order.keyId } });
    }
    store.moveOrder(order.id, ['created', 'approved', 'expired', 'pending', 'paid'], 'failed', 'capture_declined');
    return 'declined';
  }

  /**
   * Lowers the key's budget by what PayPal newly took back on the capture (refunded in total:
   * `confirmed`); the payment row keeps the total. Answers the key before and after, or null when
   * nothing was new.
   */
  function lowerBudget(order: OrderRow, payment: PaymentRow, status: string, confirmed: number) {
    const total = Math.max(payment.refundedNano, Math.min(confirmed, payment.amountNano));
    const newly = total - payment.refundedNano;
    if (newly > 0 || payment.status !== status) store.updatePayment(payment.paypalCaptureId, { status, refundedNano: total });
    const before = order.keyId ? metering.keyById(order.keyId) : undefined;
    const after = before && newly > 0 ? metering.reduceBudget(before.id, newly) : before;
    return { total, newly, before, after };
  }

  /** Lowers the key's budget by what was newly refunded; a full refund disables it. */
  function refund(order: OrderRow, c: CaptureFacts): SettleResult {
    const payment = store.paymentByCapture(c.id);
    if (!payment) return 'ignored';
    const confirmed = c.status === 'REFUNDED' ? payment.amountNano : c.refundedNano;
    if (confirmed === undefined) {
      store.updatePayment(c.id, { status: c.status });
      return 'no_change';
    }
    const full = c.status === 'REFUNDED' || confirmed >= payment.amountNano;
    // A reversed order keeps its frozen key and its status; the money side still counts.
    const settled = order.status === 'refunded' || order.status === 'reversed';
    const { total, newly, before } = lowerBudget(order, payment, c.status, confirmed);
    if (newly <= 0 && (!full || settled)) return 'no_change';
    let after = before && newly > 0 ? metering.keyById(before.id) : before;
    if (before && full && order.status !== 'reversed') after = metering.setStatus(before.id, 'disabled', 'refunded');
    if (full && !settled) store.updateOrder(order.id, { status: 'refunded', statusReason: 'refunded' });
    audit.record({
      actor: 'paypal',
      action: full ? 'order.refunded' : 'order.partially_refunded',
      target: order.id,
      before: { refunded_usd: formatUsd(payment.refundedNano), budget_usd: usd(before?.budgetNano ?? null), key_status: before?.status ?? null },
      after: { refunded_usd: formatUsd(total), budget_usd: usd(after?.budgetNano ?? null), key_status: after?.status ?? null, capture_id: c.id },
    });
    return full ? 'refunded' : 'partially_refunded';
  }

  /**
   * A chargeback: the money PayPal took back leaves the budget, the key is frozen (disabled, the
   * operator may restore it) and the order is `reversed`, once.
   */
  function reverse(order: OrderRow, payment: PaymentRow | undefined, c: CaptureFacts): SettleResult {
    const taken = c.status === 'REFUNDED' ? (c.amountNano ?? 0) : (c.refundedNano ?? 0);
    let lowered: ReturnType<typeof lowerBudget> | undefined;
    if (payment) lowered = lowerBudget(order, payment, c.status, taken);
    else recordPayment(order, c, c.status, taken);
    if (order.status === 'reversed') return lowered && lowered.newly > 0 ? 'partially_refunded' : 'no_change';
    if (order.keyId) metering.setStatus(order.keyId, 'disabled', 'payment reversed');
    store.updateOrder(order.id, { status: 'reversed', statusReason: 'payment_reversed' });
    const key = order.keyId ? metering.keyById(order.keyId) : undefined;
    audit.record({
      actor: 'paypal',
      action: 'order.reversed',
      target: order.id,
      before: { status: order.status, refunded_usd: payment ? formatUsd(payment.refundedNano) : null, budget_usd: usd(lowered?.before?.budgetNano ?? null) },
      after: {
        status: 'reversed',
        key_id: order.keyId,
        key_status: key?.status ?? null,
        refunded_usd: formatUsd(lowered?.total ?? taken),
        budget_usd: usd(key?.budgetNano ?? null),
        capture_id: c.id,
      },
    });
    return 'reversed';
  }

  /** Applies a chargeback PayPal confirmed on this capture, in one transaction. */
  function applyReversal(orderId: string, c: CaptureFacts): SettleResult {
    return store.transaction(() => {
      const order = store.orderById(orderId);
      if (!order) return 'unknown_order';
      const payment = store.paymentByCapture(c.id);
      if (payment && payment.orderId !== order.id) {
        log.warn('capture belongs to another order', { order_id: order.id, capture_id: c.id });
        return 'ignored';
      }
      if (c.status !== 'REFUNDED' && c.status !== 'PARTIALLY_REFUNDED') return 'ignored';
      return reverse(order, payment, c);
    });
  }

  /** Applies one confirmed capture to our order, in one transaction. */
  function applyCapture(orderId: string, c: CaptureFacts): SettleResult {
    return store.transaction(() => {
      const order = store.orderById(orderId);
      if (!order) return 'unknown_order';
      const payment = store.paymentByCapture(c.id);
      if (payment && payment.orderId !== order.id) {
        log.warn('capture belongs to another order', { order_id: order.id, capture_id: c.id });
        return 'ignored';
      }
      switch (c.status) {
        case 'COMPLETED':
          return credit(order, payment, c);
        case 'PENDING':
          return pending(order, payment, c);
        case 'DECLINED':
        case 'FAILED':
          return declined(order, payment, c);
        case 'PARTIALLY_REFUNDED':
        case 'REFUNDED': {
          const handled = payment !== undefined && payment.status !== 'PENDING';
          if (!handled && order.keyId === null) {
            if (c.status === 'REFUNDED') {
              // Refunded before we ever saw it complete: record it, issue nothing.
              recordPayment(order, c, 'REFUNDED', c.amountNano ?? 0);
              store.moveOrder(order.id, ['created', 'approved', 'expired', 'pending'], 'refunded', 'refunded');
              return 'refunded';
            }
            credit(order, payment, { ...c, status: 'COMPLETED' });
          }
          return refund(store.orderById(orderId) ?? order, c);
        }
        default:
          return 'ignored';
      }
    });
  }

  /** Applies every capture of an order PayPal returned (from capture or GET order). */
  function applyOrder(orderId: string, paypalOrder: PayPalOrder): SettleResult[] {
    return capturesOf(paypalOrder).map((capture) =>
      applyCapture(orderId, captureFacts(capture, capture.status === 'PARTIALLY_REFUNDED' || capture.status === 'REFUNDED' ? refundedTotal(paypalOrder, capture.id) : undefined)),
    );
  }

  return { applyCapture, applyOrder, applyReversal, receiptFacts: crediting.receiptFacts };
}

export type Settlement = ReturnType<typeof createSettlement>;
