import { and, count, desc, eq, gte, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { containsPattern, sqliteContains as like } from '../../db/like';
import { apiKeys, auditLog, ledger, ledgerDaily, orders, payments, webhookEvents } from '../../db/schema';
import type { Synchronous } from '../../db/sqlite/gate';
import type { AdminStore, EarnedRow, KeyFilter, LedgerFilter, OrderSearch, Page } from './store';

// Rolled-up days are whole UTC days: a window that starts at midnight (as the overview's do)
// takes them whole, exactly as it took their raw rows.
const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function mergeBy<T>(rows: T[], keyOf: (row: T) => string, add: (a: T, b: T) => T): T[] {
  const merged = new Map<string, T>();
  for (const row of rows) {
    const key = keyOf(row);
    const same = merged.get(key);
    merged.set(key, same ? add(same, row) : row);
  }
  return [...merged.values()];
}

/** AdminStore on bun:sqlite. */
export function createSqliteAdminStore(db: DB): Synchronous<AdminStore> {
  const sqlite = db.$client;
  const earned = sqlite.prepare<EarnedRow, { since: number; sinceDate: string }>(
    `SELECT k.id AS keyId, k.budget_nano AS budgetNano, s.spent AS spentNano,
       coalesce((SELECT sum(o.amount_nano - coalesce((SELECT sum(p.refunded_nano) FROM payments p WHERE p.order_id = o.id), 0))
                 FROM orders o WHERE o.key_id = k.id AND o.paid_at IS NOT NULL AND o.status <> 'reversed'), 0) AS paidNano
     FROM (SELECT key_id, sum(spent) AS spent FROM (
             SELECT key_id, sum(cost_nano) AS spent FROM ledger WHERE started_at >= $since GROUP BY key_id
             UNION ALL
             SELECT key_id, sum(cost_nano) AS spent FROM ledger_daily WHERE date >= $sinceDate GROUP BY key_id)
           GROUP BY key_id) s
     JOIN api_keys k ON k.id = s.key_id
     WHERE s.spent > 0`,
  );
  const owed = sqlite.prepare<{ owedNano: number; keys: number }, { now: number }>(
    `SELECT coalesce(sum(budget_nano - spent_nano), 0) AS owedNano, count(*) AS keys FROM api_keys
     WHERE status = 'active' AND (expires_at IS NULL OR expires_at > $now) AND budget_nano > spent_nano`,
  );

  function keyWhere(f: KeyFilter): SQL | undefined {
    const conditions: (SQL | undefined)[] = [];
    if (f.status) conditions.push(eq(apiKeys.status, f.status));
    if (f.planId) conditions.push(eq(apiKeys.planId, f.planId));
    const q = containsPattern(f.q);
    if (f.keyHash) conditions.push(eq(apiKeys.keyHash, f.keyHash));
    else if (q) {
      conditions.push(or(like(apiKeys.keyHint, q), like(apiKeys.email, q), like(apiKeys.orderId, q), like(apiKeys.id, q)));
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
      const byCapture = sql`${orders.id} IN (SELECT ${payments.orderId} FROM ${payments} WHERE ${like(payments.paypalCaptureId, q)})`;
      conditions.push(or(like(orders.id, q), like(orders.email, q), like(orders.paypalOrderId, q), byCapture));
    }
    return conditions.length ? and(...conditions) : undefined;
  }

  return {
    keys(f: KeyFilter, page: Page) {
      const where = keyWhere(f);
      const rows = db.select().from(apiKeys).where(where).orderBy(desc(apiKeys.createdAt), desc(apiKeys.id)).limit(page.limit).offset(page.offset).all();
      const total = db.select({ n: count() }).from(apiKeys).where(where).get()?.n ?? 0;
      return { rows, total };
    },

    ledger(f: LedgerFilter, page: Page) {
      const where = ledgerWhere(f);
      const rows = db.select().from(ledger).where(where).orderBy(desc(ledger.id)).limit(page.limit).offset(page.offset).all();
      const total = db.select({ n: count() }).from(ledger).where(where).get()?.n ?? 0;
      return { rows, total };
    },

    /** One page of the export, newest first, by id so that rows written meanwhile do not shift it. */
    ledgerBefore(f: LedgerFilter, beforeId: number | null, limit: number) {
      const where = and(ledgerWhere(f), beforeId === null ? undefined : lt(ledger.id, beforeId));
      return db.select().from(ledger).where(where).orderBy(desc(ledger.id)).limit(limit).all();
    },

    orders(f: OrderSearch, page: Page) {
      const where = orderWhere(f);
      const rows = db.select().from(orders).where(where).orderBy(desc(orders.createdAt), desc(orders.id)).limit(page.limit).offset(page.offset).all();
      const total = db.select({ n: count() }).from(orders).where(where).get()?.n ?? 0;
      return { rows, total };
    },

    webhookEventsOf: (orderId: string) => db.select().from(webhookEvents).where(eq(webhookEvents.orderId, orderId)).orderBy(webhookEvents.receivedAt).all(),

    audit(f: { action?: string; target?: string }, page: Page) {
      const where = and(f.action ? eq(auditLog.action, f.action) : undefined, f.target ? eq(auditLog.target, f.target) : undefined);
      const rows = db.select().from(auditLog).where(where).orderBy(desc(auditLog.id)).limit(page.limit).offset(page.offset).all();
      const total = db.select({ n: count() }).from(auditLog).where(where).get()?.n ?? 0;
      return { rows, total };
    },
    auditActions: () => db.selectDistinct({ action: auditLog.action }).from(auditLog).orderBy(auditLog.action).all().map((r) => r.action),

    // ---- overview

    /** Paid orders (net of refunds recorded on their payments), per UTC day of payment. */
    revenueByDay(sinceMs: number) {
      const day = sql<string>`strftime('%Y-%m-%d', ${orders.paidAt} / 1000, 'unixepoch')`;
      const refunded = sql`coalesce((SELECT sum(${payments.refundedNano}) FROM ${payments} WHERE ${payments.orderId} = ${orders.id}), 0)`;
      return db
        .select({ date: day, revenueNano: sql<number>`sum(${orders.amountNano} - ${refunded})`, orders: count() })
        .from(orders)
        .where(and(eq(orders.status, 'paid'), gte(orders.paidAt, sinceMs)))
        .groupBy(day)
        .orderBy(day)
        .all();
    },

    ordersByStatus(sinceMs: number) {
      return db.select({ status: orders.status, n: count() }).from(orders).where(gte(orders.createdAt, sinceMs)).groupBy(orders.status).all();
    },

    /** Buyer spend per UTC day: raw ledger rows plus the days already rolled up. */
    spendByDay(sinceMs: number) {
      const day = sql<string>`strftime('%Y-%m-%d', ${ledger.startedAt} / 1000, 'unixepoch')`;
      const raw = db
        .select({ date: day, spendNano: sql<number>`sum(${ledger.costNano})`, requests: count() })
        .from(ledger)
        .where(gte(ledger.startedAt, sinceMs))
        .groupBy(day)
        .all();
      const rolled = db
        .select({ date: ledgerDaily.date, spendNano: sql<number>`sum(${ledgerDaily.costNano})`, requests: sql<number>`sum(${ledgerDaily.requests})` })
        .from(ledgerDaily)
        .where(gte(ledgerDaily.date, utcDate(sinceMs)))
        .groupBy(ledgerDaily.date)
        .all();
      return mergeBy([...raw, ...rolled], (r) => r.date, (a, b) => ({ date: a.date, spendNano: a.spendNano + b.spendNano, requests: a.requests + b.requests })).sort(
        (a, b) => a.date.localeCompare(b.date),
      );
    },

    /** Token totals per public model and period, with what buyers paid for them (raw and rolled up). */
    tokensByModel(sinceMs: number) {
      const raw = db
        .select({
          model: ledger.publicModel,
          period: ledger.period,
          cacheHit: sql<number>`sum(${ledger.cacheHitTokens})`,
          cacheMiss: sql<number>`sum(${ledger.cacheMissTokens})`,
          output: sql<number>`sum(${ledger.outputTokens})`,
          costNano: sql<number>`sum(${ledger.costNano})`,
        })
        .from(ledger)
        .where(gte(ledger.startedAt, sinceMs))
        .groupBy(ledger.publicModel, ledger.period)
        .all();
      const rolled = db
        .select({
          model: ledgerDaily.publicModel,
          period: ledgerDaily.period,
          cacheHit: sql<number>`sum(${ledgerDaily.cacheHitTokens})`,
          cacheMiss: sql<number>`sum(${ledgerDaily.cacheMissTokens})`,
          output: sql<number>`sum(${ledgerDaily.outputTokens})`,
          costNano: sql<number>`sum(${ledgerDaily.costNano})`,
        })
        .from(ledgerDaily)
        .where(gte(ledgerDaily.date, utcDate(sinceMs)))
        .groupBy(ledgerDaily.publicModel, ledgerDaily.period)
        .all();
      return mergeBy([...raw, ...rolled], (r) => `${r.model}\u0000${r.period}`, (a, b) => ({
        ...a,
        cacheHit: a.cacheHit + b.cacheHit,
        cacheMiss: a.cacheMiss + b.cacheMiss,
        output: a.output + b.output,
        costNano: a.costNano + b.costNano,
      }));
    },

    requestsSince(sinceMs: number) {
      const raw = db
        .select({ requests: count(), errors: sql<number>`coalesce(sum(CASE WHEN ${ledger.httpStatus} >= 400 THEN 1 ELSE 0 END), 0)` })
        .from(ledger)
        .where(gte(ledger.startedAt, sinceMs))
        .get() ?? { requests: 0, errors: 0 };
      const rolled = db
        .select({ requests: sql<number>`coalesce(sum(${ledgerDaily.requests}), 0)`, errors: sql<number>`coalesce(sum(${ledgerDaily.errors}), 0)` })
        .from(ledgerDaily)
        .where(gte(ledgerDaily.date, utcDate(sinceMs)))
        .get() ?? { requests: 0, errors: 0 };
      return { requests: raw.requests + rolled.requests, errors: raw.errors + rolled.errors };
    },

    activeKeys(now: number) {
      return (
        db
          .select({ n: count() })
          .from(apiKeys)
          .where(and(eq(apiKeys.status, 'active'), or(sql`${apiKeys.expiresAt} IS NULL`, gte(apiKeys.expiresAt, now)), sql`${apiKeys.budgetNano} > ${apiKeys.spentNano}`))
          .get()?.n ?? 0
      );
    },
    earnedRows: (sinceMs) => earned.all({ since: sinceMs, sinceDate: utcDate(sinceMs) }),
    owed: (now) => owed.get({ now }) ?? { owedNano: 0, keys: 0 },
  };
}
