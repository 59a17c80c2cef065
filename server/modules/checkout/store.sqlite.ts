import { and, desc, eq, gte, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { orders, payments, webhookEvents } from '../../db/schema';
import type { Synchronous } from '../../db/sqlite/gate';
import type { CheckoutStore, OrderRow } from './store';

/** CheckoutStore on bun:sqlite. */
export function createSqliteCheckoutStore(db: DB): Synchronous<CheckoutStore> {
  const byId = db.select().from(orders).where(eq(orders.id, sql.placeholder('id'))).prepare();
  const orderById = (id: string): OrderRow | undefined => byId.get({ id });

  return {
    insertOrder(row) {
      db.insert(orders).values(row).run();
    },
    orderById,
    lockOrder: orderById,
    orderByPayPalId: (paypalOrderId) => db.select().from(orders).where(eq(orders.paypalOrderId, paypalOrderId)).get(),
    paidOrdersOf: (email, limit) =>
      db.select().from(orders).where(and(eq(orders.email, email), eq(orders.status, 'paid'))).orderBy(desc(orders.paidAt), desc(orders.id)).limit(limit).all(),
    expireUnpaid: (createdBefore) =>
      db
        .update(orders)
        .set({ status: 'expired', statusReason: 'not_paid_in_time', updatedAt: Date.now() })
        .where(and(eq(orders.status, 'created'), lt(orders.createdAt, createdBefore)))
        .returning({ id: orders.id })
        .all().length,
    updateOrder: (id, patch) => db.update(orders).set({ updatedAt: Date.now(), ...patch }).where(eq(orders.id, id)).returning().get(),
    markPaid: (id, keyId, paidAt) =>
      db
        .update(orders)
        .set({ status: 'paid', statusReason: null, keyId, paidAt, updatedAt: Date.now() })
        .where(and(eq(orders.id, id), isNull(orders.keyId)))
        .returning()
        .get(),
    moveOrder: (id, from, to, reason) =>
      db
        .update(orders)
        .set({ status: to, statusReason: reason, updatedAt: Date.now() })
        .where(and(eq(orders.id, id), inArray(orders.status, from)))
        .returning()
        .get(),
    restartCapture: (id, reason, approveUrl) =>
      db
        .update(orders)
        .set({ status: 'created', statusReason: reason, captureRequestId: crypto.randomUUID(), updatedAt: Date.now(), ...(approveUrl ? { approveUrl } : {}) })
        .where(and(eq(orders.id, id), inArray(orders.status, ['created', 'approved', 'expired'])))
        .returning()
        .get(),
    ordersToReconcile(input) {
      const waiting = and(inArray(orders.status, ['approved', 'pending']), lt(orders.updatedAt, input.waitingBefore));
      // A buyer who approved but never came back, with the webhook lost too.
      const unreturned = and(eq(orders.status, 'created'), isNotNull(orders.paypalOrderId), lt(orders.createdAt, input.waitingBefore), gte(orders.createdAt, input.createdAfter));
      const due = input.ignoreNextCheck ? undefined : or(isNull(orders.nextCheckAt), lte(orders.nextCheckAt, input.now));
      return db
        .select()
        .from(orders)
        .where(and(or(waiting, unreturned), due))
        .orderBy(sql`coalesce(${orders.nextCheckAt}, 0)`, orders.createdAt)
        .limit(input.limit)
        .all();
    },
    setNextCheck(id, at) {
      db.update(orders).set({ nextCheckAt: at }).where(eq(orders.id, id)).run();
    },

    paymentByCapture: (captureId) => db.select().from(payments).where(eq(payments.paypalCaptureId, captureId)).get(),
    paymentsOfOrder: (orderId) => db.select().from(payments).where(eq(payments.orderId, orderId)).orderBy(payments.id).all(),
    insertPayment: (row) => db.insert(payments).values(row).onConflictDoNothing({ target: payments.paypalCaptureId }).returning({ id: payments.id }).all().length > 0,
    claimPendingPayment: (captureId, status) =>
      db
        .update(payments)
        .set({ status, updatedAt: Date.now() })
        .where(and(eq(payments.paypalCaptureId, captureId), eq(payments.status, 'PENDING')))
        .returning({ id: payments.id })
        .all().length > 0,
    setPaymentStatus(captureId, status) {
      db.update(payments).set({ status, updatedAt: Date.now() }).where(eq(payments.paypalCaptureId, captureId)).run();
    },
    raiseRefunded: (captureId, before, total, status) =>
      db
        .update(payments)
        .set({ status, refundedNano: total, updatedAt: Date.now() })
        .where(and(eq(payments.paypalCaptureId, captureId), eq(payments.refundedNano, before)))
        .returning({ id: payments.id })
        .all().length > 0,

    insertEvent: (row) => db.insert(webhookEvents).values(row).onConflictDoNothing().returning({ id: webhookEvents.id }).all().length > 0,
    eventById: (id) => db.select().from(webhookEvents).where(eq(webhookEvents.id, id)).get(),
    finishEvent(id, result, orderId, at) {
      db.update(webhookEvents)
        .set({ result: result.slice(0, 500), processedAt: at, ...(orderId ? { orderId } : {}) })
        .where(eq(webhookEvents.id, id))
        .run();
    },
  };
}
