import { and, desc, eq, gte, sql } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { ledger, ledgerDaily } from '../../db/schema';
import { atomically, type Synchronous } from '../../db/sqlite/gate';
import type { LedgerStore, UsageTotals } from './ledger-store';

/** LedgerStore on bun:sqlite. */
export function createSqliteLedgerStore(db: DB): Synchronous<LedgerStore> {
  const sqlite = db.$client;
  // The same batch (oldest ids first) in both statements: nothing else writes between them.
  const batch = 'SELECT id FROM ledger WHERE started_at < $cutoff ORDER BY id LIMIT $limit';
  const rollUpInsert = sqlite.prepare(
    `INSERT INTO ledger_daily (key_id, date, public_model, period, requests, errors, cache_hit_tokens, cache_miss_tokens,
       output_tokens, reasoning_tokens, cost_nano)
     SELECT key_id, strftime('%Y-%m-%d', started_at / 1000, 'unixepoch'), public_model, period, count(*),
       sum(CASE WHEN http_status >= 400 THEN 1 ELSE 0 END), sum(cache_hit_tokens), sum(cache_miss_tokens),
       sum(output_tokens), sum(reasoning_tokens), sum(cost_nano)
     FROM ledger WHERE id IN (${batch}) GROUP BY 1, 2, 3, 4
     ON CONFLICT (key_id, date, public_model, period) DO UPDATE SET
       requests = requests + excluded.requests, errors = errors + excluded.errors,
       cache_hit_tokens = cache_hit_tokens + excluded.cache_hit_tokens,
       cache_miss_tokens = cache_miss_tokens + excluded.cache_miss_tokens,
       output_tokens = output_tokens + excluded.output_tokens, reasoning_tokens = reasoning_tokens + excluded.reasoning_tokens,
       cost_nano = cost_nano + excluded.cost_nano`,
  );
  const rollUpDelete = sqlite.prepare(`DELETE FROM ledger WHERE id IN (${batch})`);

  return {
    ledgerSum(keyId) {
      const raw = db
        .select({ costNano: sql<number>`coalesce(sum(${ledger.costNano}), 0)`, rows: sql<number>`count(*)` })
        .from(ledger)
        .where(eq(ledger.keyId, keyId))
        .get()!;
      const rolled = db
        .select({ costNano: sql<number>`coalesce(sum(${ledgerDaily.costNano}), 0)`, rows: sql<number>`coalesce(sum(${ledgerDaily.requests}), 0)` })
        .from(ledgerDaily)
        .where(eq(ledgerDaily.keyId, keyId))
        .get()!;
      return { costNano: raw.costNano + rolled.costNano, rows: raw.rows + rolled.rows };
    },

    usageTotals(keyId) {
      const raw = db.select(rawTotals).from(ledger).where(eq(ledger.keyId, keyId)).get()!;
      const rolled = db.select(rolledTotals).from(ledgerDaily).where(eq(ledgerDaily.keyId, keyId)).get()!;
      return addTotals(raw, rolled);
    },

    usageDaily(keyId, sinceMs) {
      const day = sql<string>`strftime('%Y-%m-%d', ${ledger.startedAt} / 1000, 'unixepoch')`;
      const raw = db
        .select({ date: day, ...rawTotals, costNano: sql<number>`coalesce(sum(${ledger.costNano}), 0)` })
        .from(ledger)
        .where(and(eq(ledger.keyId, keyId), sql`${ledger.startedAt} >= ${sinceMs}`))
        .groupBy(day)
        .all();
      const rolled = db
        .select({ date: ledgerDaily.date, ...rolledTotals, costNano: sql<number>`coalesce(sum(${ledgerDaily.costNano}), 0)` })
        .from(ledgerDaily)
        .where(and(eq(ledgerDaily.keyId, keyId), gte(ledgerDaily.date, utcDate(sinceMs))))
        .groupBy(ledgerDaily.date)
        .all();
      const byDate = new Map(raw.map((r) => [r.date, r]));
      for (const r of rolled) {
        const same = byDate.get(r.date);
        byDate.set(r.date, same ? { date: r.date, ...addTotals(same, r), costNano: same.costNano + r.costNano } : r);
      }
      return [...byDate.values()].sort((a, b) => a.date.localeCompare(b.date));
    },

    recentRequests: (keyId, limit) =>
      db.select().from(ledger).where(eq(ledger.keyId, keyId)).orderBy(desc(ledger.startedAt), desc(ledger.id)).limit(limit).all(),

    rollUpBatch: (cutoffMs, limit) =>
      atomically(sqlite, () => {
        rollUpInsert.run({ cutoff: cutoffMs, limit });
        return rollUpDelete.run({ cutoff: cutoffMs, limit }).changes;
      }),
  };
}

const rawTotals = {
  requests: sql<number>`count(*)`,
  cacheHit: sql<number>`coalesce(sum(${ledger.cacheHitTokens}), 0)`,
  cacheMiss: sql<number>`coalesce(sum(${ledger.cacheMissTokens}), 0)`,
  output: sql<number>`coalesce(sum(${ledger.outputTokens}), 0)`,
  reasoning: sql<number>`coalesce(sum(${ledger.reasoningTokens}), 0)`,
};

const rolledTotals = {
  requests: sql<number>`coalesce(sum(${ledgerDaily.requests}), 0)`,
  cacheHit: sql<number>`coalesce(sum(${ledgerDaily.cacheHitTokens}), 0)`,
  cacheMiss: sql<number>`coalesce(sum(${ledgerDaily.cacheMissTokens}), 0)`,
  output: sql<number>`coalesce(sum(${ledgerDaily.outputTokens}), 0)`,
  reasoning: sql<number>`coalesce(sum(${ledgerDaily.reasoningTokens}), 0)`,
};

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
