import { and, count, desc, eq, gte, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { containsPattern, pgContains as ilike } from '../../db/like';
import { bytewise, numbers, utcDay, type PgConn } from '../../db/pg/conn';
import { apiKeys, auditLog, ledger, ledgerDaily, orders, payments, webhookEvents } from '../../db/pg/schema';
import type { KeyRow, LedgerRow } from '../metering/store';
import type { AdminStore, EarnedRow, KeyFilter, LedgerFilter, OrderSearch, Page } from './store';

const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const summed = (expression: SQL) => sql<number>`coalesce(sum(${expression}), 0)`.mapWith(Number);

function mergeBy<T>(rows: T[], keyOf: (row: T) => string, add: (a: T, b: T) => T): T[] {
  const merged = new Map<string, T>();
  for (const row of rows) {
    const key = keyOf(row);
    const same = merged.get(key);
    merged.set(key, same ? add(same, row) : row);
  }
  return [...merged.values()];
}

const EARNED = `SELECT k.id AS "keyId", k.budget_nano AS "budgetNano", s.spent AS "spentNano",
    coalesce((SELECT sum(o.amount_nano - coalesce((SELECT sum(p.refunded_nano) FROM payments p WHERE p.order_id = o.id), 0))
              FROM orders o WHERE o.key_id = k.id AND o.paid_at IS NOT NULL AND o.status <> 'reversed'), 0) AS "paidNano"
  FROM (SELECT key_id, sum(spent) AS spent FROM (
          SELECT key_id, sum(cost_nano) AS spent FROM ledger WHERE started_at >= $1 GROUP BY key_id
          UNION ALL
          SELECT key_id, sum(cost_nano) AS spent FROM ledger_daily WHERE date >= $2 GROUP BY key_id) AS both_sources
        GROUP BY key_id) s
  JOIN api_keys k ON k.id = s.key_id
  WHERE s.spent > 0`;

const OWED = `SELECT coalesce(sum(budget_nano - spent_nano), 0) AS "owedNano", count(*) AS keys FROM api_keys
  WHERE status = 'active' AND (expires_at IS NULL OR expires_at > $1) AND budget_nano > spent_nano`;

/** AdminStore on PostgreSQL: the SQLite queries with ILIKE for LIKE and to_char days for strftime. */
export function createPgAdminStore(conn: PgConn): AdminStore {
  const { db } = conn;

  function keyWhere(f: KeyFilter): SQL | undefined {
    const conditions: (SQL | undefined)[] = [];
    if (f.status) conditions.push(eq(apiKeys.status, f.status));
    if (f.planId) conditions.push(eq(apiKeys.planId, f.planId));
    const q = containsPattern(f.q);
    if (f.keyHash) conditions.push(eq(apiKeys.keyHash, f.keyHash));
    else if (q) {
      conditions.push(or(ilike(apiKeys.keyHint, q), ilike(apiKeys.email, q), ilike(apiKeys.orderId, q), ilike(apiKeys.id, q)));
    }
    return conditions.length ? and(...conditions) : undefined;
  }

  function ledgerWhere(f: LedgerFilter): SQL | undefined {
    const conditions: (SQL | undefined)[] = [];
    if (f.keyId) conditions.push(eq(ledger.keyId, f.keyId));
    if (f.model) conditions.push(eq(ledger.publicModel, f.model));
    if (f.protocol) conditions.push(eq(ledger.protocol, f.protocol));
    if (f.status === 'ok') conditions.push(lt(ledger.httpStatus, 400));
    else if (f.status === 'error') conditions.push(gte(ledger.httpStatus, 400));
    else if (typeof f.status === 'number') conditions.push(eq(ledger.httpStatus, f.status));
    if (f.from !== undefined) conditions.push(gte(ledger.startedAt, f.from));
    if (f.to !== undefined) conditions.push(lte(ledger.startedAt, f.to));
    return conditions.length ? and(...conditions) : undefined;
  }

  function orderWhere(f: OrderSearch): SQL | undefined {
    const conditions: (SQL | undefined)[] = [];
    if (f.status) conditions.push(eq(orders.status, f.status));
    const q = containsPattern(f.q);
    if (q) {
      const byCapture = sql`${orders.id} IN (SELECT ${payments.orderId} FROM ${payments} WHERE ${ilike(payments.paypalCaptureId, q)})`;
      conditions.push(or(ilike(orders.id, q), ilike(orders.email, q), ilike(orders.paypalOrderId, q), byCapture));
    }
    return conditions.length ? and(...conditions) : undefined;
  }

  const totalOf = async (rows: Promise<{ n: number }[]>) => (await rows)[0]?.n ?? 0;

  return {
    async keys(f: KeyFilter, page: Page) {
      const where = keyWhere(f);
      const [rows, total] = await Promise.all([
        db.select().from(apiKeys).where(where).orderBy(desc(apiKeys.createdAt), desc(bytewise(apiKeys.id))).limit(page.limit).offset(page.offset) as Promise<KeyRow[]>,
        totalOf(db.select({ n: count() }).from(apiKeys).where(where)),
      ]);
      return { rows, total };
    },

    async ledger(f: LedgerFilter, page: Page) {
      const where = ledgerWhere(f);
      const [rows, total] = await Promise.all([
        db.select().from(ledger).where(where).orderBy(desc(ledger.id)).limit(page.limit).offset(page.offset) as Promise<LedgerRow[]>,
        totalOf(db.select({ n: count() }).from(ledger).where(where)),
      ]);
      return { rows, total };
    },

    ledgerBefore(f: LedgerFilter, beforeId: number | null, limit: number) {
      const where = and(ledgerWhere(f), beforeId === null ? undefined : lt(ledger.id, beforeId));
      return db.select().from(ledger).where(where).orderBy(desc(ledger.id)).limit(limit) as Promise<LedgerRow[]>;
    },

    async orders(f: OrderSearch, page: Page) {
      const where = orderWhere(f);
      const [rows, total] = await Promise.all([
        db.select().from(orders).where(where).orderBy(desc(orders.createdAt), desc(bytewise(orders.id))).limit(page.limit).offset(page.offset),
        totalOf(db.select({ n: count() }).from(orders).where(where)),
      ]);
      return { rows, total };
    },

    webhookEventsOf: (orderId: string) => db.select().from(webhookEvents).where(eq(webhookEvents.orderId, orderId)).orderBy(webhookEvents.receivedAt),

    async audit(f: { action?: string; target?: string }, page: Page) {
      const where = and(f.action ? eq(auditLog.action, f.action) : undefined, f.target ? eq(auditLog.target, f.target) : undefined);
      const [rows, total] = await Promise.all([
        db.select().from(auditLog).where(where).orderBy(desc(auditLog.id)).limit(page.limit).offset(page.offset),
        totalOf(db.select({ n: count() }).from(auditLog).where(where)),
      ]);
      return { rows, total };
    },
    // GROUP BY, not DISTINCT: DISTINCT allows no ORDER BY expression outside its select list
    auditActions: async () => (await db.select({ action: auditLog.action }).from(auditLog).groupBy(auditLog.action).orderBy(bytewise(auditLog.action))).map((r) => r.action),

    // ---- overview

    revenueByDay(sinceMs: number) {
      const day = sql<string>`${sql.raw(utcDay('"orders"."paid_at"'))}`;
      const refunded = sql`coalesce((SELECT sum(${payments.refundedNano}) FROM ${payments} WHERE ${payments.orderId} = ${orders.id}), 0)`;
      return db
        .select({ date: day, revenueNano: sql<number>`sum(${orders.amountNano} - ${refunded})`.mapWith(Number), orders: count() })
        .from(orders)
        .where(and(eq(orders.status, 'paid'), gte(orders.paidAt, sinceMs)))
        .groupBy(day)
        .orderBy(day);
    },

    ordersByStatus: (sinceMs: number) => db.select({ status: orders.status, n: count() }).from(orders).where(gte(orders.createdAt, sinceMs)).groupBy(orders.status),

    async spendByDay(sinceMs: number) {
      const day = sql<string>`${sql.raw(utcDay('"ledger"."started_at"'))}`;
      const [raw, rolled] = await Promise.all([
        db.select({ date: day, spendNano: summed(sql`${ledger.costNano}`), requests: count() }).from(ledger).where(gte(ledger.startedAt, sinceMs)).groupBy(day),
        db
          .select({ date: ledgerDaily.date, spendNano: summed(sql`${ledgerDaily.costNano}`), requests: summed(sql`${ledgerDaily.requests}`) })
          .from(ledgerDaily)
          .where(gte(ledgerDaily.date, utcDate(sinceMs)))
          .groupBy(ledgerDaily.date),
      ]);
      return mergeBy([...raw, ...rolled], (r) => r.date, (a, b) => ({ date: a.date, spendNano: a.spendNano + b.spendNano, requests: a.requests + b.requests })).sort((a, b) =>
        a.date.localeCompare(b.date),
      );
    },

    async tokensByModel(sinceMs: number) {
      const [raw, rolled] = await Promise.all([
        db
          .select({
            model: ledger.publicModel,
            period: ledger.period,
            cacheHit: summed(sql`${ledger.cacheHitTokens}`),
            cacheMiss: summed(sql`${ledger.cacheMissTokens}`),
            output: summed(sql`${ledger.outputTokens}`),
            costNano: summed(sql`${ledger.costNano}`),
          })
          .from(ledger)
          .where(gte(ledger.startedAt, sinceMs))
          .groupBy(ledger.publicModel, ledger.period),
        db
          .select({
            model: ledgerDaily.publicModel,
            period: ledgerDaily.period,
            cacheHit: summed(sql`${ledgerDaily.cacheHitTokens}`),
            cacheMiss: summed(sql`${ledgerDaily.cacheMissTokens}`),
            output: summed(sql`${ledgerDaily.outputTokens}`),
            costNano: summed(sql`${ledgerDaily.costNano}`),
          })
          .from(ledgerDaily)
          .where(gte(ledgerDaily.date, utcDate(sinceMs)))
          .groupBy(ledgerDaily.publicModel, ledgerDaily.period),
      ]);
      return mergeBy([...raw, ...rolled], (r) => `${r.model}\u0000${r.period}`, (a, b) => ({
        ...a,
        cacheHit: a.cacheHit + b.cacheHit,
        cacheMiss: a.cacheMiss + b.cacheMiss,
        output: a.output + b.output,
        costNano: a.costNano + b.costNano,
      }));
    },

    async requestsSince(sinceMs: number) {
      const [[raw], [rolled]] = await Promise.all([
        db.select({ requests: count(), errors: summed(sql`CASE WHEN ${ledger.httpStatus} >= 400 THEN 1 ELSE 0 END`) }).from(ledger).where(gte(ledger.startedAt, sinceMs)),
        db.select({ requests: summed(sql`${ledgerDaily.requests}`), errors: summed(sql`${ledgerDaily.errors}`) }).from(ledgerDaily).where(gte(ledgerDaily.date, utcDate(sinceMs))),
      ]);
      return { requests: (raw?.requests ?? 0) + (rolled?.requests ?? 0), errors: (raw?.errors ?? 0) + (rolled?.errors ?? 0) };
    },

    activeKeys: (now: number) =>
      totalOf(
        db
          .select({ n: count() })
          .from(apiKeys)
          .where(and(eq(apiKeys.status, 'active'), or(sql`${apiKeys.expiresAt} IS NULL`, gte(apiKeys.expiresAt, now)), sql`${apiKeys.budgetNano} > ${apiKeys.spentNano}`)),
      ),
    earnedRows: async (sinceMs) =>
      (await conn.sql.unsafe(EARNED, [sinceMs, utcDate(sinceMs)])).map((row: Record<string, unknown>) => numbers<EarnedRow & Record<string, unknown>>(row, ['budgetNano', 'spentNano', 'paidNano'])),
    owed: async (now) => {
      const [row] = await conn.sql.unsafe(OWED, [now]);
      return row ? numbers<{ owedNano: number; keys: number }>(row, ['owedNano', 'keys']) : { owedNano: 0, keys: 0 };
    },
  };
}
