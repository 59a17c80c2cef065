// In-memory state of the PayPal simulator: orders, captures, refunds, idempotency keys, tokens.

import type { Money } from './money';

export type OrderStatus = 'CREATED' | 'PAYER_ACTION_REQUIRED' | 'APPROVED' | 'COMPLETED' | 'VOIDED';
/** PayPal's capture_status enum (a chargeback shows as REFUNDED / PARTIALLY_REFUNDED; there is no REVERSED). */
export type CaptureStatus = 'COMPLETED' | 'PENDING' | 'DECLINED' | 'REFUNDED' | 'PARTIALLY_REFUNDED' | 'FAILED';

export interface Payer {
  payer_id: string;
  email_address: string;
  name: { given_name: string; surname: string };
  address: { country_code: string };
}

export interface OrderRec {
  id: string;
  intent: 'CAPTURE';
  status: OrderStatus;
  /** Status before approval: PAYER_ACTION_REQUIRED (experience_context) or CREATED (application_context / none). */
  initialStatus: 'CREATED' | 'PAYER_ACTION_REQUIRED';
  /** Which approval link rel the order carries. */
  linkRel: 'payer-action' | 'approve';
  usesPaymentSource: boolean;
  referenceId: string;
  amount: Money;
  minor: bigint;
  description?: string;
  customId?: string;
  invoiceId?: string;
  softDescriptor?: string;
  returnUrl?: string;
  cancelUrl?: string;
  brandName?: string;
  userAction?: string;
  payer?: Payer;
  captureIds: string[];
  /** PayPal refused further payment attempts (MAX_NUMBER_OF_PAYMENT_ATTEMPTS_EXCEEDED): every capture now fails so. */
  attemptsExhausted?: boolean;
  /** creation time on the simulator's clock (ms), for the 3-hour expiry of unapproved orders */
  createdMs: number;
  createTime: string;
  updateTime: string;
}

export interface CaptureRec {
  id: string;
  orderId: string;
  status: CaptureStatus;
  statusReason?: string;
  amount: Money;
  minor: bigint;
  fee: bigint;
  refundedMinor: bigint;
  /** a chargeback took money back: no more refunds through the API */
  chargeback?: boolean;
  customId?: string;
  invoiceId?: string;
  refundIds: string[];
  createTime: string;
  updateTime: string;
}

export interface RefundRec {
  id: string;
  captureId: string;
  status: 'COMPLETED';
  amount: Money;
  minor: bigint;
  fee: bigint;
  /** Total refunded on the capture once this refund went through. */
  totalRefundedMinor: bigint;
  /** money taken back by a chargeback (sent as PAYMENT.CAPTURE.REVERSED), not refunded by the merchant */
  reversal?: boolean;
  invoiceId?: string;
  customId?: string;
  noteToPayer?: string;
  createTime: string;
  updateTime: string;
}

/**
 * The stored outcome of a request with a PayPal-Request-Id: the resource it made (a repeat shows
 * that resource's latest state) or the exact error it answered (a repeat gets the same error).
 */
export interface IdempotentResult {
  /** simulator clock (ms) when it was stored */
  at: number;
  resourceId?: string;
  error?: { status: number; body: string };
}

/** How long PayPal keeps a PayPal-Request-Id's result. */
export const IDEMPOTENCY_TTL_MS = 6 * 3_600_000;
/** An order nobody approved is gone after this long. */
export const UNAPPROVED_ORDER_TTL_MS = 3 * 3_600_000;

export class SimState {
  orders = new Map<string, OrderRec>();
  captures = new Map<string, CaptureRec>();
  refunds = new Map<string, RefundRec>();
  /** invoice_id -> order id (invoice ids are unique per merchant). */
  invoices = new Map<string, string>();
  /** `${scope}|${PayPal-Request-Id}` -> what the first request with that id answered (kept 6 hours). */
  idempotency = new Map<string, IdempotentResult>();

  clear(): void {
    this.orders.clear();
    this.captures.clear();
    this.refunds.clear();
    this.invoices.clear();
    this.idempotency.clear();
  }

  captureOf(order: OrderRec): CaptureRec | undefined {
    const id = order.captureIds[order.captureIds.length - 1];
    return id === undefined ? undefined : this.captures.get(id);
  }
}
