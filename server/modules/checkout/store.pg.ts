import { and, desc, eq, gte, inArray, isNotNull, isNull, lt, lte, or, sql } from 'drizzle-orm';
import { bytewise, type PgConn } from '../../db/pg/conn';
import { orders, payments, webhookEvents } from '../../db/pg/schema';
import type { CheckoutStore, OrderRow } from './store';

/** CheckoutStore on PostgreSQL: lockOrder is SELECT … FOR UPDATE; every money move a conditional write. */
export function createPgCheckoutStore(conn: PgConn): CheckoutStore {
  const { db } = conn;
  const first = async <T>(rows: Promise<T[]>): Promise<T | undefined> => (await rows)[0];
  const orderById = (id: string): Promise<OrderRow | undefined> => first(db.select().from(orders).where(eq(orders.id, id)));

  return {
    async insertOrder(row) {
      await db.insert(orders).values(row);
    },
    orderById,
    lockOrder: (id) => first(db.select().from(orders).where(eq(orders.id, id)).for('update')),
    orderByPayPalId: (paypalOrderId) => first(db.select().from(orders).where(eq(orders.paypalOrderId, paypalOrderId))),
    paidOrdersOf: (email, limit) =>
      db.select().from(orders).where(and(eq(orders.email, email), eq(orders.status, 'paid'))).orderBy(desc(orders.paidAt), desc(bytewise(orders.id))).limit(limit),
    expireUnpaid: async (createdBefore) =>
      (
        await db
          .update(orders)
          .set({ status: 'expired', statusReason: 'not_paid_in_time', updatedAt: Date.now() })
          .where(and(eq(orders.status, 'created'), lt(orders.createdAt, createdBefore)))
          .returning({ id: orders.id })
      ).length,
    updateOrder: (id, patch) => first(db.update(orders).set({ updatedAt: Date.now(), ...patch }).where(eq(orders.id, id)).returning()),
    markPaid: (id, keyId, paidAt) =>
      first(
        db
          .update(orders)
          .set({ status: 'paid', statusReason: null, keyId, paidAt, updatedAt: Date.now() })
          .where(and(eq(orders.id, id), isNull(orders.keyId)))
          .returning(),
      ),
    moveOrder: (id, from, to, reason) =>
      first(
        db
          .update(orders)
          .set({ status: to, statusReason: reason, updatedAt: Date.now() })
          .where(and(eq(orders.id, id), inArray(orders.status, from)))
          .returning(),
      ),
    restartCapture: (id, reason, approveUrl) =>
      first(
        db
          .update(orders)
          .set({ status: 'created', statusReason: reason, captureRequestId: crypto.randomUUID(), updatedAt: Date.now(), ...(approveUrl ? { approveUrl } : {}) })
          .where(and(eq(orders.id, id), inArray(orders.status, ['created', 'approved', 'expired'])))
          .returning(),
      ),
    ordersToReconcile(input) {
      const waiting = and(inArray(orders.status, ['approved', 'pending']), lt(orders.updatedAt, input.waitingBefore));
      const unreturned = and(eq(orders.status, 'created'), isNotNull(orders.paypalOrderId), lt(orders.createdAt, input.waitingBefore), gte(orders.createdAt, input.createdAfter));
      const due = input.ignoreNextCheck ? undefined : or(isNull(orders.nextCheckAt), lte(orders.nextCheckAt, input.now));
      return db
        .select()
        .from(orders)
        .where(and(or(waiting, unreturned), due))
        .orderBy(sql`coalesce(${orders.nextCheckAt}, 0)`, orders.createdAt)
        .limit(input.limit);
    },
    async setNextCheck(id, at) {
      await db.update(orders).set({ nextCheckAt: at }).where(eq(orders.id, id));
    },

    paymentByCapture: (captureId) => first(db.select().from(payments).where(eq(payments.paypalCaptureId, captureId))),
    paymentsOfOrder: (orderId) => db.select().from(payments).where(eq(payments.orderId, orderId)).orderBy(payments.id),
    insertPayment: async (row) => (await db.insert(payments).values(row).onConflictDoNothing({ target: payments.paypalCaptureId }).returning({ id: payments.id })).length > 0,
    claimPendingPayment: async (captureId, status) =>
      (
        await db
          .update(payments)
          .set({ status, updatedAt: Date.now() })
          .where(and(eq(payments.paypalCaptureId, captureId), eq(payments.status, 'PENDING')))
          .returning({ id: payments.id })
      ).length > 0,
    async setPaymentStatus(captureId, status) {
      await db.update(payments).set({ status, updatedAt: Date.now() }).where(eq(payments.paypalCaptureId, captureId));
    },
    raiseRefunded: async (captureId, before, total, status) =>
      (
        await db
          .update(payments)
          .set({ status, refundedNano: total, updatedAt: Date.now() })
          .where(and(eq(payments.paypalCaptureId, captureId), eq(payments.refundedNano, before)))
          .returning({ id: payments.id })
      ).length > 0,

    insertEvent: async (row) => (await db.insert(webhookEvents).values(row).onConflictDoNothing().returning({ id: webhookEvents.id })).length > 0,
    eventById: (id) => first(db.select().from(webhookEvents).where(eq(webhookEvents.id, id))),
    async finishEvent(id, result, orderId, at) {
      await db
        .update(webhookEvents)
        .set({ result: result.slice(0, 500), processedAt: at, ...(orderId ? { orderId } : {}) })
        .where(eq(webhookEvents.id, id));
    },
  };
}
