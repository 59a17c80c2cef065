import { and, desc, eq, gt, gte, inArray, isNotNull, like, lte, or, sql } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { apiKeys, ledger, ledgerDaily, type KeyStatus } from '../../db/schema';

export type KeyRow = typeof apiKeys.$inferSelect;
export type NewKeyRow = typeof apiKeys.$inferInsert;
export type LedgerRow = typeof ledger.$inferSelect;
export type NewLedgerRow = typeof ledger.$inferInsert;

/** `floorNano` is not stored: the smallest hold the same request would need again (budget alerts). */
export type SettleRow = NewLedgerRow & { costNano: number; keyId: string; finishedAt: number; floorNano: number };

/** A key's spent total as one settle batch moved it: from `spentBefore` to `spentNano`. */
export interface SpendChange {
  keyId: string;
  spentBefore: number;
  spentNano: number;
  budgetNano: number;
  /** the largest floor (smallest admissible hold) of the batch's requests on this key: the next one like them needs at least this */
  nextFloorNano: number;
  email: string | null;
  lang: string | null;
}

/**
 * Called inside the settle transaction, once per key per batch, so that whatever it writes (a
 * budget alert in the mail outbox) commits or rolls back with the spend. No I/O in it.
 */
export type OnSpent = (change: SpendChange) => void;

export function createMeteringStore(db: DB, onSpent: OnSpent = () => {}) {
  const byHash = db.select().from(apiKeys).where(eq(apiKeys.keyHash, sql.placeholder('hash'))).prepare();
  const byId = db.select().from(apiKeys).where(eq(apiKeys.id, sql.placeholder('id'))).prepare();
  // The two writes every request makes, as plain prepared statements: no query building per call.
  const insertLedger = db.$client.prepare(
    `INSERT INTO ledger (request_id, key_id, public_model, upstream_model, period, cache_hit_tokens, cache_miss_tokens,
       output_tokens, reasoning_tokens, cache_hit_price_nano, cache_miss_price_nano, output_price_nano, cost_nano, basis,
       http_status, finish_reason, stream, ttfb_ms, duration_ms, upstream_key_id, started_at, finished_at, protocol,
       web_search_calls, read_url_calls, file_parse_calls, server_tool_cost_nano)
     VALUES ($requestId, $keyId, $publicModel, $upstreamModel, $period, $cacheHitTokens, $cacheMissTokens,
       $outputTokens, $reasoningTokens, $cacheHitPriceNano, $cacheMissPriceNano, $outputPriceNano, $costNano, $basis,
       $httpStatus, $finishReason, $stream, $ttfbMs, $durationMs, $upstreamKeyId, $startedAt, $finishedAt, $protocol,
       $webSearchCalls, $readUrlCalls, $fileParseCalls, $serverToolCostNano)`,
  );
  const addSpent = db.$client.prepare<
    { spent_nano: number; budget_nano: number; status: KeyStatus; email: string | null; lang: string | null },
    { cost: number; now: number; keyId: string }
  >(
    `UPDATE api_keys SET spent_nano = spent_nano + $cost, last_used_at = $now,
       status = CASE WHEN status = 'active' AND spent_nano + $cost >= budget_nano THEN 'exhausted' ELSE status END
     WHERE id = $keyId RETURNING spent_nano, budget_nano, status, email, lang`,
  );
  // The same batch (oldest ids first) in both statements: nothing else writes between them.
  const batch = 'SELECT id FROM ledger WHERE started_at < $cutoff ORDER BY id LIMIT $limit';
  const rollUpInsert = db.$client.prepare(
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
  const rollUpDelete = db.$client.prepare(`DELETE FROM ledger WHERE id IN (${batch})`);
  const cache = createKeyCache();

  return {
    /** For writes made outside this store (another process, a hand-run SQL statement). */
    dropKeyCache: () => cache.clear(),
    /** Read on every request, so cached; every write below keeps the cache right. */
    keyByHash(hash: string): KeyRow | undefined {
      const hit = cache.get(hash);
      if (hit) return hit;
      const row = byHash.get({ hash });
      if (row) cache.put(row);
      return row;
    },
    keyById: (id: string): KeyRow | undefined => byId.get({ id }),
    /** Keys with an email, still usable, whose expiry falls in (from, to]. */
    keysExpiringBetween: (from: number, to: number): KeyRow[] =>
      db
        .select()
        .from(apiKeys)
        .where(and(isNotNull(apiKeys.email), inArray(apiKeys.status, ['active', 'exhausted']), gt(apiKeys.expiresAt, from), lte(apiKeys.expiresAt, to)))
        .all(),
    insertKey: (row: NewKeyRow) => db.insert(apiKeys).values(row).run(),

    /**
     * One transaction for a batch of settlements: each ledger row and its key's spent total move
     * together, and several requests share one commit (a commit costs far more than a row).
     */
    settleMany(rows: SettleRow[]): { spentNano: number; budgetNano: number }[] {
      return db.transaction(() => {
        const perKey = new Map<string, { cost: number; now: number; largest: number }>();
        for (const row of rows) {
          insertLedger.run(ledgerParams(row));
          const sum = perKey.get(row.keyId);
          if (sum) {
            sum.cost += row.costNano;
            sum.now = Math.max(sum.now, row.finishedAt);
            sum.largest = Math.max(sum.largest, row.floorNano);
          } else perKey.set(row.keyId, { cost: row.costNano, now: row.finishedAt, largest: row.floorNano });
        }
        const totals = new Map<string, { spentNano: number; budgetNano: number }>();
        for (const [keyId, sum] of perKey) {
          const updated = addSpent.get({ cost: sum.cost, now: sum.now, keyId });
          if (!updated) throw new Error(`key ${keyId} vanished while settling`);
          totals.set(keyId, { spentNano: updated.spent_nano, budgetNano: updated.budget_nano });
          onSpent({ keyId, spentBefore: updated.spent_nano - sum.cost, spentNano: updated.spent_nano, budgetNano: updated.budget_nano, nextFloorNano: sum.largest, email: updated.email, lang: updated.lang });
          cache.patch(keyId, { spentNano: updated.spent_nano, budgetNano: updated.budget_nano, status: updated.status, lastUsedAt: sum.now });
        }
        return rows.map((row) => totals.get(row.keyId)!);
      });
    },

    setStatus: (id: string, status: KeyStatus, reason: string | null) => {
      cache.forget(id);
      db.update(apiKeys).set({ status, statusReason: reason }).where(eq(apiKeys.id, id)).run();
    },

    /** Adds to the budget; an exhausted key with money again becomes active. */
    addBudget(id: string, nano: number): KeyRow | undefined {
      cache.forget(id);
      return db
        .update(apiKeys)
        .set({
          budgetNano: sql`${apiKeys.budgetNano} + ${nano}`,
          status: sql`CASE WHEN ${apiKeys.status} = 'exhausted' AND ${apiKeys.budgetNano} + ${nano} > ${apiKeys.spentNano} THEN 'active' ELSE ${apiKeys.status} END`,
        })
        .where(eq(apiKeys.id, id))
        .returning()
        .get();
    },

    update: (id: string, patch: Partial<NewKeyRow>) => {
      cache.forget(id);
      return db.update(apiKeys).set(patch).where(eq(apiKeys.id, id)).returning().get();
    },

    listKeys(filter: { query?: string; status?: KeyStatus; limit?: number; offset?: number } = {}): KeyRow[] {
      const conditions = [];
      if (filter.status) conditions.push(eq(apiKeys.status, filter.status));
      if (filter.query) {
        const q = `%${filter.query.replace(/[%_]/g, '')}%`;
        conditions.push(or(like(apiKeys.keyHint, q), like(apiKeys.email, q), like(apiKeys.orderId, q), like(apiKeys.id, q)));
      }
      return db
        .select()
        .from(apiKeys)
        .where(conditions.length ? and(...conditions) : undefined)
        .orderBy(desc(apiKeys.createdAt))
        .limit(filter.limit ?? 100)
        .offset(filter.offset ?? 0)
        .all();
    },

    /** The key's ledger in full: its raw rows plus the rows already rolled up into daily totals. */
    ledgerSum(keyId: string): { costNano: number; rows: number } {
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

    usageTotals(keyId: string): UsageTotals {
      const raw = db.select(rawTotals).from(ledger).where(eq(ledger.keyId, keyId)).get()!;
      const rolled = db.select(rolledTotals).from(ledgerDaily).where(eq(ledgerDaily.keyId, keyId)).get()!;
      return addTotals(raw, rolled);
    },

    /** Per UTC day from the day of sinceMs on, raw rows and rolled-up days together. */
    usageDaily(keyId: string, sinceMs: number): (UsageTotals & { date: string; costNano: number })[] {
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

    /**
     * Rolls up to `limit` raw rows that started before `cutoffMs` into the daily totals and
     * deletes them, in one transaction: a row is always counted exactly once.
     */
    rollUpBatch(cutoffMs: number, limit: number): number {
      return db.transaction(() => {
        rollUpInsert.run({ cutoff: cutoffMs, limit });
        return rollUpDelete.run({ cutoff: cutoffMs, limit }).changes;
      });
    },

    recentRequests: (keyId: string, limit: number): LedgerRow[] =>
      db.select().from(ledger).where(eq(ledger.keyId, keyId)).orderBy(desc(ledger.startedAt), desc(ledger.id)).limit(limit).all(),
  };
}

export type MeteringStore = ReturnType<typeof createMeteringStore>;

export interface UsageTotals {
  requests: number;
  cacheHit: number;
  cacheMiss: number;
  output: number;
  reasoning: number;
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

function ledgerParams(row: SettleRow) {
  return {
    requestId: row.requestId,
    keyId: row.keyId,
    publicModel: row.publicModel,
    upstreamModel: row.upstreamModel,
    period: row.period,
    cacheHitTokens: row.cacheHitTokens,
    cacheMissTokens: row.cacheMissTokens,
    outputTokens: row.outputTokens,
    reasoningTokens: row.reasoningTokens,
    cacheHitPriceNano: row.cacheHitPriceNano,
    cacheMissPriceNano: row.cacheMissPriceNano,
    outputPriceNano: row.outputPriceNano,
    costNano: row.costNano,
    basis: row.basis,
    httpStatus: row.httpStatus,
    finishReason: row.finishReason ?? null,
    stream: row.stream ? 1 : 0,
    ttfbMs: row.ttfbMs ?? null,
    durationMs: row.durationMs,
    upstreamKeyId: row.upstreamKeyId ?? null,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    protocol: row.protocol ?? 'chat',
    webSearchCalls: row.webSearchCalls ?? 0,
    readUrlCalls: row.readUrlCalls ?? 0,
    fileParseCalls: row.fileParseCalls ?? 0,
    serverToolCostNano: row.serverToolCostNano ?? 0,
  };
}

/** Key rows by hash. Writes made by this process patch or drop entries at once; a short life
 * picks up what another process (the `keys` command) changed. */
const KEY_CACHE_MS = 2000;
const KEY_CACHE_MAX = 10_000;

function createKeyCache() {
  const byHash = new Map<string, { row: KeyRow; at: number }>();
  const hashById = new Map<string, string>();
  return {
    get(hash: string): KeyRow | undefined {
      const entry = byHash.get(hash);
      if (!entry) return undefined;
      if (Date.now() - entry.at > KEY_CACHE_MS) {
        byHash.delete(hash);
        return undefined;
      }
      return entry.row;
    },
    put(row: KeyRow): void {
      if (byHash.size >= KEY_CACHE_MAX) {
        byHash.clear();
        hashById.clear();
      }
      byHash.set(row.keyHash, { row, at: Date.now() });
      hashById.set(row.id, row.keyHash);
    },
    patch(id: string, fields: Partial<KeyRow>): void {
      const hash = hashById.get(id);
      const entry = hash ? byHash.get(hash) : undefined;
      if (entry) entry.row = { ...entry.row, ...fields };
    },
    clear(): void {
      byHash.clear();
      hashById.clear();
    },
    forget(id: string): void {
      const hash = hashById.get(id);
      if (hash) byHash.delete(hash);
      hashById.delete(id);
    },
  };
}
