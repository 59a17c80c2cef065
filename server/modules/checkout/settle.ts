import type { Stores, Tx } from '../../backend';
import type { UnitOfWork } from '../../db/unit-of-work';
import type { Clock } from '../../lib/clock';
import type { Logger } from '../../lib/log';
import { Err } from '../../errors';
import { formatUsd, parseUsd } from '../../lib/money';
import type { AuditLog } from '../admin/audit';
import type { CatalogService } from '../catalog/service';
import type { Outbox } from '../mail/outbox';
import { receiptMail } from '../mail/receipt';
import type { MeteringService } from '../metering/service';
import { linkedId, type PayPalCapture, type PayPalMoney, type PayPalOrder } from './paypal-client';
import { createCrediting } from './credit';
import type { OrderRow, PaymentRow } from './store';

// Turning what PayPal confirmed about a capture into our state. Each change is one unit of work
// (one transaction, no network I/O in it): the order row is read locked, and the payment row
// (unique on the capture id), the key, its credit, the audit row and the receipt in the outbox
// move together. Money moves through conditional writes only (a payment inserted or claimed once,
// a refund total raised from the value read, the budget lowered in the statement itself), so two
// instances applying the same capture at once credit once and reduce once.

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
  stores: Stores;
  uow: UnitOfWork<Tx>;
  metering: MeteringService;
  audit: AuditLog;
  clock: Clock;
  log: Logger;
  catalog: CatalogService;
  outbox: Outbox;
}) {
  const { uow, metering, audit, clock, log, outbox } = deps;
  const crediting = createCrediting(deps);
  const usd = (nano: number | null) => (nano === null ? null : formatUsd(nano));

  function recordPayment(tx: Tx, order: OrderRow, c: CaptureFacts, status: string, refundedNano = 0): Promise<boolean> {
    return tx.checkout.insertPayment({
      orderId: order.id,
      paypalCaptureId: c.id,
      status,
      amountNano: c.amountNano ?? 0,
      currency: c.currency ?? '',
      refundedNano,
    });
  }

  /** A COMPLETED capture: one key, once, and only for the exact amount and currency of the order. */
  async function credit(tx: Tx, order: OrderRow, payment: PaymentRow | undefined, c: CaptureFacts): Promise<SettleResult> {
    if (payment && payment.status !== 'PENDING') return 'already_credited';
    if (order.keyId !== null) {
      // A second capture on an order that already has its key: keep the record, issue nothing.
      await recordPayment(tx, order, c, c.status);
      log.warn('second capture on a paid order', { order_id: order.id, capture_id: c.id });
      return 'already_credited';
    }
    const claimed = payment ? await tx.checkout.claimPendingPayment(c.id, 'COMPLETED') : await recordPayment(tx, order, c, 'COMPLETED');
    if (!claimed) return 'already_credited';
    if (c.currency !== order.currency || c.amountNano !== order.amountNano) {
      const reason = `amount_mismatch: expected ${formatUsd(order.amountNano)} ${order.currency}, PayPal captured ${usd(c.amountNano) ?? '?'} ${c.currency ?? '?'}`;
      await tx.checkout.updateOrder(order.id, { status: 'failed', statusReason: reason });
      await audit.record(
        {
          actor: 'paypal',
          action: 'order.amount_mismatch',
          target: order.id,
          before: { amount_usd: formatUsd(order.amountNano), currency: order.currency },
          after: { captured_usd: usd(c.amountNano), currency: c.currency, capture_id: c.id },
        },
        tx,
      );
      log.warn('captured amount differs from the order; no key issued', { order_id: order.id, capture_id: c.id });
      return 'amount_mismatch';
    }
    const keyId = order.topupKeyId ? await crediting.topUp(tx, order, order.topupKeyId) : await crediting.issueKey(tx, order);
    const paid = await tx.checkout.markPaid(order.id, keyId, clock.now());
    // the order row is locked and had no key: nothing else can have paid it meanwhile
    if (!paid) throw new Error(`order ${order.id} was paid by another capture meanwhile`);
    // the receipt commits with the credit, or neither does
    const facts = await crediting.receiptFacts(paid, tx);
    if (facts) await outbox.enqueue(receiptMail(facts), tx);
    log.info('order paid', { order_id: order.id, key_id: keyId, capture_id: c.id, topup: order.topupKeyId !== null });
    return 'credited';
  }

  async function pending(tx: Tx, order: OrderRow, payment: PaymentRow | undefined, c: CaptureFacts): Promise<SettleResult> {
    if (!payment) await recordPayment(tx, order, c, 'PENDING');
    await tx.checkout.moveOrder(order.id, ['created', 'approved', 'expired'], 'pending', 'capture_pending');
    return 'pending';
  }

  async function declined(tx: Tx, order: OrderRow, payment: PaymentRow | undefined, c: CaptureFacts): Promise<SettleResult> {
    if (payment) {
      if (payment.status === c.status) return 'no_change';
      await tx.checkout.setPaymentStatus(c.id, c.status);
    } else {
      await recordPayment(tx, order, c, c.status);
    }
    if (order.keyId !== null && order.status === 'paid') {
      await metering.setStatus(order.keyId, 'disabled', 'payment denied', tx);
      await audit.record({ actor: 'paypal', action: 'order.capture_denied', target: order.id, before: { status: order.status }, after: { status: 'failed', key_id: order.keyId } }, tx);
    }
    await tx.checkout.moveOrder(order.id, ['created', 'approved', 'expired', 'pending', 'paid'], 'failed', 'capture_declined');
    return 'declined';
  }

  /**
   * Lowers the key's budget by what PayPal newly took back on the capture (refunded in total:
   * `confirmed`). The payment's refunded total is raised from the value read (a compare-and-set,
   * read again if another transaction moved it first), and only what this call added leaves the
   * budget, in one statement. Answers the payment as read, the key before and after, and the totals.
   */
  async function lowerBudget(tx: Tx, order: OrderRow, first: PaymentRow, status: string, confirmed: number) {
    let payment = first;
    for (let attempt = 0; ; attempt++) {
      const total = Math.max(payment.refundedNano, Math.min(confirmed, payment.amountNano));
      const newly = total - payment.refundedNano;
      if (newly <= 0) {
        if (payment.status !== status) await tx.checkout.setPaymentStatus(payment.paypalCaptureId, status);
        const key = order.keyId ? await metering.keyById(order.keyId, tx) : undefined;
        return { payment, total, newly: 0, before: key, after: key };
      }
      if (await tx.checkout.raiseRefunded(payment.paypalCaptureId, payment.refundedNano, total, status)) {
        const before = order.keyId ? await metering.keyById(order.keyId, tx) : undefined;
        const after = before ? await metering.reduceBudget(before.id, newly, tx) : undefined;
        return { payment, total, newly, before, after };
      }
      const again = await tx.checkout.paymentByCapture(payment.paypalCaptureId);
      if (!again || attempt >= 3) throw new Error(`the refunded total of capture ${payment.paypalCaptureId} keeps moving`);
      payment = again;
    }
  }

  /** Lowers the key's budget by what was newly refunded; a full refund disables it. */
  async function refund(tx: Tx, order: OrderRow, c: CaptureFacts): Promise<SettleResult> {
    const found = await tx.checkout.paymentByCapture(c.id);
    if (!found) return 'ignored';
    const confirmed = c.status === 'REFUNDED' ? found.amountNano : c.refundedNano;
    if (confirmed === undefined) {
      await tx.checkout.setPaymentStatus(c.id, c.status);
      return 'no_change';
    }
    const full = c.status === 'REFUNDED' || confirmed >= found.amountNano;
    // A reversed order keeps its frozen key and its status; the money side still counts.
    const settled = order.status === 'refunded' || order.status === 'reversed';
    const { payment, total, newly, before, after: lowered } = await lowerBudget(tx, order, found, c.status, confirmed);
    if (newly <= 0 && (!full || settled)) return 'no_change';
    let after = lowered;
    if (before && full && order.status !== 'reversed') after = await metering.setStatus(before.id, 'disabled', 'refunded', tx);
    if (full && !settled) await tx.checkout.updateOrder(order.id, { status: 'refunded', statusReason: 'refunded' });
    await audit.record(
      {
        actor: 'paypal',
        action: full ? 'order.refunded' : 'order.partially_refunded',
        target: order.id,
        before: { refunded_usd: formatUsd(payment.refundedNano), budget_usd: usd(before?.budgetNano ?? null), key_status: before?.status ?? null },
        after: { refunded_usd: formatUsd(total), budget_usd: usd(after?.budgetNano ?? null), key_status: after?.status ?? null, capture_id: c.id },
      },
      tx,
    );
    return full ? 'refunded' : 'partially_refunded';
  }

  /**
   * A chargeback: the money PayPal took back leaves the budget, the key is frozen (disabled, the
   * operator may restore it) and the order is `reversed`, once.
   */
  async function reverse(tx: Tx, order: OrderRow, payment: PaymentRow | undefined, c: CaptureFacts): Promise<SettleResult> {
    const taken = c.status === 'REFUNDED' ? (c.amountNano ?? 0) : (c.refundedNano ?? 0);
    let lowered: Awaited<ReturnType<typeof lowerBudget>> | undefined;
    if (payment) lowered = await lowerBudget(tx, order, payment, c.status, taken);
    else await recordPayment(tx, order, c, c.status, taken);
    if (order.status === 'reversed') return lowered && lowered.newly > 0 ? 'partially_refunded' : 'no_change';
    if (order.keyId) await metering.setStatus(order.keyId, 'disabled', 'payment reversed', tx);
    await tx.checkout.updateOrder(order.id, { status: 'reversed', statusReason: 'payment_reversed' });
    const key = order.keyId ? await metering.keyById(order.keyId, tx) : undefined;
    await audit.record(
      {
        actor: 'paypal',
        action: 'order.reversed',
        target: order.id,
        before: { status: order.status, refunded_usd: lowered ? formatUsd(lowered.payment.refundedNano) : null, budget_usd: usd(lowered?.before?.budgetNano ?? null) },
        after: {
          status: 'reversed',
          key_id: order.keyId,
          key_status: key?.status ?? null,
          refunded_usd: formatUsd(lowered?.total ?? taken),
          budget_usd: usd(key?.budgetNano ?? null),
          capture_id: c.id,
        },
      },
      tx,
    );
    return 'reversed';
  }

  /** The order (locked) and the capture's payment, unless the capture belongs to another order. */
  async function openOrder(tx: Tx, orderId: string, c: CaptureFacts): Promise<{ order: OrderRow; payment: PaymentRow | undefined } | SettleResult> {
    const order = await tx.checkout.lockOrder(orderId);
    if (!order) return 'unknown_order';
    const payment = await tx.checkout.paymentByCapture(c.id);
    if (payment && payment.orderId !== order.id) {
      log.warn('capture belongs to another order', { order_id: order.id, capture_id: c.id });
      return 'ignored';
    }
    return { order, payment };
  }

  /** Applies a chargeback PayPal confirmed on this capture, in one transaction. */
  function applyReversal(orderId: string, c: CaptureFacts): Promise<SettleResult> {
    return uow.run(async (tx) => {
      const opened = await openOrder(tx, orderId, c);
      if (typeof opened === 'string') return opened;
      if (c.status !== 'REFUNDED' && c.status !== 'PARTIALLY_REFUNDED') return 'ignored';
      return reverse(tx, opened.order, opened.payment, c);
    });
  }

  /** Applies one confirmed capture to our order, in one transaction. */
  function applyCapture(orderId: string, c: CaptureFacts): Promise<SettleResult> {
    return uow.run((tx) => applyCaptureIn(tx, orderId, c));
  }

  /**
   * A refund the operator made in PayPal's dashboard, recorded here: `amountNano` more (default:
   * all that is left) on the order's captured payment, worked out from the payment as this
   * transaction reads it, so that two recorded at once add up. Then the same path as PayPal's
   * refund webhook.
   */
  function applyManualRefund(orderId: string, amountNano: number | undefined): Promise<{ result: SettleResult; refundedNano: number }> {
    return uow.run(async (tx) => {
      const order = await tx.checkout.lockOrder(orderId);
      if (!order) throw Err.orderNotFound();
      const payment = (await tx.checkout.paymentsOfOrder(orderId)).find((p) => (p.status === 'COMPLETED' || p.status === 'PARTIALLY_REFUNDED') && p.refundedNano < p.amountNano);
      if (!payment) throw Err.conflict(`order ${orderId} (${order.status}) has no captured payment left to refund`);
      const refundable = payment.amountNano - payment.refundedNano;
      const amount = amountNano ?? refundable;
      if (!Number.isSafeInteger(amount) || amount <= 0 || amount > refundable) {
        throw Err.invalidField('amount_usd', `must be more than 0 and at most ${formatUsd(refundable)} (not yet refunded)`);
      }
      const refundedNano = payment.refundedNano + amount;
      const result = await applyCaptureIn(tx, orderId, {
        id: payment.paypalCaptureId,
        status: refundedNano >= payment.amountNano ? 'REFUNDED' : 'PARTIALLY_REFUNDED',
        amountNano: payment.amountNano,
        currency: payment.currency,
        refundedNano,
      });
      return { result, refundedNano: amount };
    });
  }

  async function applyCaptureIn(tx: Tx, orderId: string, c: CaptureFacts): Promise<SettleResult> {
    const opened = await openOrder(tx, orderId, c);
    if (typeof opened === 'string') return opened;
    const { order, payment } = opened;
    switch (c.status) {
      case 'COMPLETED':
        return credit(tx, order, payment, c);
      case 'PENDING':
        return pending(tx, order, payment, c);
      case 'DECLINED':
      case 'FAILED':
        return declined(tx, order, payment, c);
      case 'PARTIALLY_REFUNDED':
      case 'REFUNDED': {
        const handled = payment !== undefined && payment.status !== 'PENDING';
        if (!handled && order.keyId === null) {
          if (c.status === 'REFUNDED') {
            // Refunded before we ever saw it complete: record it, issue nothing.
            await recordPayment(tx, order, c, 'REFUNDED', c.amountNano ?? 0);
            await tx.checkout.moveOrder(order.id, ['created', 'approved', 'expired', 'pending'], 'refunded', 'refunded');
            return 'refunded';
          }
          await credit(tx, order, payment, { ...c, status: 'COMPLETED' });
        }
        return refund(tx, (await tx.checkout.orderById(orderId)) ?? order, c);
      }
      default:
        return 'ignored';
    }
  }

  /** Applies every capture of an order PayPal returned (from capture or GET order), one transaction each. */
  async function applyOrder(orderId: string, paypalOrder: PayPalOrder): Promise<SettleResult[]> {
    const results: SettleResult[] = [];
    for (const capture of capturesOf(paypalOrder)) {
      results.push(await applyCapture(orderId, captureFacts(capture, capture.status === 'PARTIALLY_REFUNDED' || capture.status === 'REFUNDED' ? refundedTotal(paypalOrder, capture.id) : undefined)));
    }
    return results;
  }

  return { applyCapture, applyOrder, applyReversal, applyManualRefund, receiptFacts: crediting.receiptFacts };
}

export type Settlement = ReturnType<typeof createSettlement>;
