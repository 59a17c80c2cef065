import { and, desc, eq, gte, sql } from 'drizzle-orm';
import { utcDay, type PgConn } from '../../db/pg/conn';
import { ledger, ledgerDaily } from '../../db/pg/schema';
import type { LedgerStore, UsageTotals } from './ledger-store';
import type { LedgerRow } from './store';

const total = (expression: ReturnType<typeof sql>) => sql<number>`coalesce(sum(${expression}), 0)`.mapWith(Number);

const rawTotals = {
  requests: sql<number>`count(*)`.mapWith(Number),
  cacheHit: total(sql`${ledger.cacheHitTokens}`),
  cacheMiss: total(sql`${ledger.cacheMissTokens}`),
  output: total(sql`${ledger.outputTokens}`),
  reasoning: total(sql`${ledger.reasoningTokens}`),
};

const rolledTotals = {
  requests: total(sql`${ledgerDaily.requests}`),
  cacheHit: total(sql`${ledgerDaily.cacheHitTokens}`),
  cacheMiss: total(sql`${ledgerDaily.cacheMissTokens}`),
  output: total(sql`${ledgerDaily.outputTokens}`),
  reasoning: total(sql`${ledgerDaily.reasoningTokens}`),
};

/**
 * The roll-up in ONE statement: the oldest raw rows before the cutoff are deleted (rows another
 * run has locked are skipped, not waited for) and what they held is added to the daily totals
 * from what the DELETE returned. Two runs at once move disjoint rows; a row is counted once.
 */
const ROLL_UP = `WITH moved AS (
    DELETE FROM ledger WHERE id IN (
      SELECT id FROM ledger WHERE started_at < $1 ORDER BY id LIMIT $2 FOR UPDATE SKIP LOCKED
    ) RETURNING key_id, started_at, public_model, period, http_status, cache_hit_tokens, cache_miss_tokens, output_tokens, reasoning_tokens, cost_nano
  ), summed AS (
    INSERT INTO ledger_daily (key_id, date, public_model, period, requests, errors, cache_hit_tokens, cache_miss_tokens, output_tokens, reasoning_tokens, cost_nano)
    SELECT key_id, ${utcDay('started_at')}, public_model, period, count(*), sum(CASE WHEN http_status >= 400 THEN 1 ELSE 0 END),
      sum(cache_hit_tokens), sum(cache_miss_tokens), sum(output_tokens), sum(reasoning_tokens), sum(cost_nano)
    FROM moved GROUP BY 1, 2, 3, 4
    ON CONFLICT (key_id, date, public_model, period) DO UPDATE SET
      requests = ledger_daily.requests + excluded.requests, errors = ledger_daily.errors + excluded.errors,
      cache_hit_tokens = ledger_daily.cache_hit_tokens + excluded.cache_hit_tokens,
      cache_miss_tokens = ledger_daily.cache_miss_tokens + excluded.cache_miss_tokens,
      output_tokens = ledger_daily.output_tokens + excluded.output_tokens,
      reasoning_tokens = ledger_daily.reasoning_tokens + excluded.reasoning_tokens,
      cost_nano = ledger_daily.cost_nano + excluded.cost_nano
    RETURNING 1
  )
  SELECT count(*) AS moved FROM moved`;

/** LedgerStore on PostgreSQL. */
export function createPgLedgerStore(conn: PgConn): LedgerStore {
  const { db } = conn;
  return {
    async ledgerSum(keyId) {
      const [raw] = await db.select({ costNano: total(sql`${ledger.costNano}`), rows: sql<number>`count(*)`.mapWith(Number) }).from(ledger).where(eq(ledger.keyId, keyId));
      const [rolled] = await db.select({ costNano: total(sql`${ledgerDaily.costNano}`), rows: total(sql`${ledgerDaily.requests}`) }).from(ledgerDaily).where(eq(ledgerDaily.keyId, keyId));
      return { costNano: raw!.costNano + rolled!.costNano, rows: raw!.rows + rolled!.rows };
    },

    async usageTotals(keyId) {
      const [raw] = await db.select(rawTotals).from(ledger).where(eq(ledger.keyId, keyId));
      const [rolled] = await db.select(rolledTotals).from(ledgerDaily).where(eq(ledgerDaily.keyId, keyId));
      return addTotals(raw!, rolled!);
    },

    async usageDaily(keyId, sinceMs) {
      const day = sql<string>`${sql.raw(utcDay('"ledger"."started_at"'))}`;
      const raw = await db
        .select({ date: day, ...rawTotals, costNano: total(sql`${ledger.costNano}`) })
        .from(ledger)
        .where(and(eq(ledger.keyId, keyId), gte(ledger.startedAt, sinceMs)))
        .groupBy(day);
      const rolled = await db
        .select({ date: ledgerDaily.date, ...rolledTotals, costNano: total(sql`${ledgerDaily.costNano}`) })
        .from(ledgerDaily)
        .where(and(eq(ledgerDaily.keyId, keyId), gte(ledgerDaily.date, utcDate(sinceMs))))
        .groupBy(ledgerDaily.date);
      const byDate = new Map(raw.map((r) => [r.date, r]));
      for (const r of rolled) {
        const same = byDate.get(r.date);
        byDate.set(r.date, same ? { date: r.date, ...addTotals(same, r), costNano: same.costNano + r.costNano } : r);
      }
      return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
    },

    recentRequests: (keyId, limit) =>
      db.select().from(ledger).where(eq(ledger.keyId, keyId)).orderBy(desc(ledger.startedAt), desc(ledger.id)).limit(limit) as Promise<LedgerRow[]>,

    async rollUpBatch(cutoffMs, limit) {
      const [row] = await conn.sql.unsafe(ROLL_UP, [cutoffMs, limit]);
      return Number(row.moved);
    },
  };
}

function addTotals(a: UsageTotals, b: UsageTotals): UsageTotals {
  return {
    requests: a.requests + b.requests,
    cacheHit: a.cacheHit + b.cacheHit,
    cacheMiss: a.cacheMiss + b.cacheMiss,
    output: a.output + b.output,
    reasoning: a.reasoning + b.reasoning,
  };
}

const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
