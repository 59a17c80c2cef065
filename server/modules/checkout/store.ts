import { and, desc, eq, gte, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { orders, payments, webhookEvents, type OrderStatus } from '../../db/schema';
import type { Clock } from '../../lib/clock';

export type OrderRow = typeof orders.$inferSelect;
export type NewOrderRow = typeof orders.$inferInsert;
export type PaymentRow = typeof payments.$inferSelect;
export type NewPaymentRow = typeof payments.$inferInsert;
export type WebhookEventRow = typeof webhookEvents.$inferSelect;

/** Every query on orders, payments and webhook_events. */
export function createCheckoutStore(db: DB, clock: Clock) {
  const byId = db.select().from(orders).where(eq(orders.id, sql.placeholder('id'))).prepare();

  return {
    /**
     * One synchronous write transaction (BEGIN IMMEDIATE). Everything on this connection inside
     * `fn`, including other modules' writes, commits or rolls back with it. No await inside.
     */
    transaction: <T>(fn: () => T): T => db.transaction(() => fn(), { behavior: 'immediate' }),

    insertOrder: (row: NewOrderRow) => db.insert(orders).values(row).run(),
    orderById: (id: string): OrderRow | undefined => byId.get({ id }),
    orderByPayPalId: (paypalOrderId: string): OrderRow | undefined =>
      db.select().from(orders).where(eq(orders.paypalOrderId, paypalOrderId)).get(),
    /** An address's paid orders, newest first. */
    paidOrdersOf: (email: string, limit: number): OrderRow[] =>
      db.select().from(orders).where(and(eq(orders.email, email), eq(orders.status, 'paid'))).orderBy(desc(orders.paidAt), desc(orders.id)).limit(limit).all(),

    /**
     * Orders still waiting for the buyer to approve (`created`) since before `createdBefore` become
     * `expired`: PayPal lets an unapproved order lapse after 3 hours. A late capture still pays one.
     */
    expireUnpaid: (createdBefore: number): number =>
      db
        .update(orders)
        .set({ status: 'expired', statusReason: 'not_paid_in_time', updatedAt: Date.now() })
        .where(and(eq(orders.status, 'created'), lt(orders.createdAt, createdBefore)))
        .returning({ id: orders.id })
        .all().length,

    updateOrder: (id: string, patch: Partial<NewOrderRow>): OrderRow | undefined =>
      db.update(orders).set({ updatedAt: Date.now(), ...patch }).where(eq(orders.id, id)).returning().get(),

    /** Changes the status only if it is still one of `from` (a compare-and-set). */
    moveOrder(id: string, from: OrderStatus[], to: OrderStatus, reason: string | null): OrderRow | undefined {
      return db
        .update(orders)
        .set({ status: to, statusReason: reason, updatedAt: Date.now() })
        .where(and(eq(orders.id, id), inArray(orders.status, from)))
        .returning()
        .get();
    },

    /**
     * The buyer has to approve at PayPal again: the order waits for payment (if it still did), and
     * the next capture is a new attempt with a new PayPal-Request-Id.
     */
    restartCapture(id: string, reason: string | null, approveUrl: string | null): OrderRow | undefined {
      return db
        .update(orders)
        .set({ status: 'created', statusReason: reason, captureRequestId: crypto.randomUUID(), updatedAt: Date.now(), ...(approveUrl ? { approveUrl } : {}) })
        .where(and(eq(orders.id, id), inArray(orders.status, ['created', 'approved', 'expired'])))
        .returning()
        .get();
    },

    /**
     * Orders the reconciler should ask PayPal about now, least recently asked first (never asked
     * before all others), so a pile of orders PayPal keeps no answer for cannot crowd out newer ones:
     * each one asked moves to the back by its next-check time.
     */
    ordersToReconcile(input: { now: number; waitingBefore: number; createdAfter: number; limit: number; ignoreNextCheck?: boolean }): OrderRow[] {
      const waiting = and(inArray(orders.status, ['approved', 'pending']), lt(orders.updatedAt, input.waitingBefore));
      // A buyer who approved but never came back, with the webhook lost too.
      const unreturned = and(
        eq(orders.status, 'created'),
        isNotNull(orders.paypalOrderId),
        lt(orders.createdAt, input.waitingBefore),
        gte(orders.createdAt, input.createdAfter),
      );
      const due = input.ignoreNextCheck ? undefined : or(isNull(orders.nextCheckAt), lte(orders.nextCheckAt, input.now));
      return db
        .select()
        .from(orders)
        .where(and(or(waiting, unreturned), due))
        .orderBy(sql`coalesce(${orders.nextCheckAt}, 0)`, orders.createdAt)
        .limit(input.limit)
        .all();
    },

    /** When the reconciler may ask about this order again. */
    setNextCheck: (id: string, at: number) => db.update(orders).set({ nextCheckAt: at }).where(eq(orders.id, id)).run(),

    paymentByCapture: (captureId: string): PaymentRow | undefined =>
      db.select().from(payments).where(eq(payments.paypalCaptureId, captureId)).get(),
    paymentsOfOrder: (orderId: string): PaymentRow[] =>
      db.select().from(payments).where(eq(payments.orderId, orderId)).orderBy(payments.id).all(),

    /** Inserts the payment unless its capture id is already known; true when this call inserted it. */
    insertPayment: (row: NewPaymentRow): boolean =>
      db.insert(payments).values(row).onConflictDoNothing({ target: payments.paypalCaptureId }).returning({ id: payments.id }).all().length > 0,

    /** PENDING → COMPLETED, once: true only for the caller that made the change. */
    claimPendingPayment: (captureId: string, status: string): boolean =>
      db
        .update(payments)
        .set({ status, updatedAt: Date.now() })
        .where(and(eq(payments.paypalCaptureId, captureId), eq(payments.status, 'PENDING')))
        .returning({ id: payments.id })
        .all().length > 0,

    updatePayment: (captureId: string, patch: Partial<Pick<NewPaymentRow, 'status' | 'refundedNano'>>) =>
      db.update(payments).set({ updatedAt: Date.now(), ...patch }).where(eq(payments.paypalCaptureId, captureId)).returning().get(),

    /** Records an event id once; false when it was already there (a replay). */
    insertEvent: (row: { id: string; eventType: string; resourceId: string | null; orderId: string | null; verified: boolean }): boolean =>
      db.insert(webhookEvents).values(row).onConflictDoNothing().returning({ id: webhookEvents.id }).all().length > 0,
    eventById: (id: string): WebhookEventRow | undefined => db.select().from(webhookEvents).where(eq(webhookEvents.id, id)).get(),
    finishEvent: (id: string, result: string, orderId: string | null) =>
      db
        .update(webhookEvents)
        .set({ result: result.slice(0, 500), processedAt: clock.now(), ...(orderId ? { orderId } : {}) })
        .where(eq(webhookEvents.id, id))
        .run(),
  };
}

export type CheckoutStore = ReturnType<typeof createCheckoutStore>;
