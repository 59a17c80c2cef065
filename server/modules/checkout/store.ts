import type { OrderStatus, orders, payments, webhookEvents } from '../../db/schema';

// Every query on orders, payments and webhook_events. One implementation per backend
// (store.sqlite.ts; store.pg.ts to come). Money moves only through conditional writes: a payment
// inserted once per capture id, PENDING claimed once, a refund total raised from the value read.

export type OrderRow = typeof orders.$inferSelect;
export type NewOrderRow = typeof orders.$inferInsert;
export type PaymentRow = typeof payments.$inferSelect;
export type NewPaymentRow = typeof payments.$inferInsert;
export type WebhookEventRow = typeof webhookEvents.$inferSelect;

export interface ReconcileQuery {
  now: number;
  waitingBefore: number;
  createdAfter: number;
  limit: number;
  ignoreNextCheck?: boolean;
}

export interface CheckoutStore {
  insertOrder(row: NewOrderRow): Promise<void>;
  orderById(id: string): Promise<OrderRow | undefined>;
  /** orderById, the row locked until the transaction ends (PostgreSQL: FOR UPDATE; SQLite's BEGIN IMMEDIATE has locked everything) */
  lockOrder(id: string): Promise<OrderRow | undefined>;
  orderByPayPalId(paypalOrderId: string): Promise<OrderRow | undefined>;
  /** an address's paid orders, newest first */
  paidOrdersOf(email: string, limit: number): Promise<OrderRow[]>;
  /** orders still `created` since before `createdBefore` become `expired`; answers how many */
  expireUnpaid(createdBefore: number): Promise<number>;
  updateOrder(id: string, patch: Partial<NewOrderRow>): Promise<OrderRow | undefined>;
  /** the order paid with its key, once: undefined when it has a key already */
  markPaid(id: string, keyId: string, paidAt: number): Promise<OrderRow | undefined>;
  /** changes the status only if it is still one of `from` (a compare-and-set) */
  moveOrder(id: string, from: OrderStatus[], to: OrderStatus, reason: string | null): Promise<OrderRow | undefined>;
  /** back to `created` with a new capture request id (if it was created, approved or expired) */
  restartCapture(id: string, reason: string | null, approveUrl: string | null): Promise<OrderRow | undefined>;
  /** orders the reconciler should ask PayPal about now, least recently asked first */
  ordersToReconcile(query: ReconcileQuery): Promise<OrderRow[]>;
  setNextCheck(id: string, at: number): Promise<void>;

  paymentByCapture(captureId: string): Promise<PaymentRow | undefined>;
  paymentsOfOrder(orderId: string): Promise<PaymentRow[]>;
  /** inserts the payment unless its capture id is known; true when this call inserted it */
  insertPayment(row: NewPaymentRow): Promise<boolean>;
  /** PENDING → `status`, once: true only for the caller that made the change */
  claimPendingPayment(captureId: string, status: string): Promise<boolean>;
  setPaymentStatus(captureId: string, status: string): Promise<void>;
  /** refunded_nano from `before` to `total` (and the status) only if it is still `before`: true when this call moved it */
  raiseRefunded(captureId: string, before: number, total: number, status: string): Promise<boolean>;

  /** records an event id once; false when it was there already (a replay) */
  insertEvent(row: { id: string; eventType: string; resourceId: string | null; orderId: string | null; verified: boolean }): Promise<boolean>;
  eventById(id: string): Promise<WebhookEventRow | undefined>;
  finishEvent(id: string, result: string, orderId: string | null, at: number): Promise<void>;
}
