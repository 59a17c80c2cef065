// In-memory state of the PayPal simulator: orders, captures, refunds, idempotency keys, tokens.

import type { Money } from './money';

export type OrderStatus = 'CREATED' | 'PAYER_ACTION_REQUIRED' | 'APPROVED' | 'COMPLETED' | 'VOIDED';
export type CaptureStatus = 'COMPLETED' | 'PENDING' | 'DECLINED' | 'REFUNDED' | 'PARTIALLY_REFUNDED' | 'REVERSED' | 'FAILED';

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
  invoiceId?: string;
  customId?: string;
  noteToPayer?: string;
  createTime: string;
  updateTime: string;
}

export class SimState {
  orders = new Map<string, OrderRec>();
  captures = new Map<string, CaptureRec>();
  refunds = new Map<string, RefundRec>();
  /** invoice_id -> order id (invoice ids are unique per merchant). */
  invoices = new Map<string, string>();
  /** `${scope}|${PayPal-Request-Id}` -> resource id (order, order for capture, refund). */
  idempotency = new Map<string, string>();

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
