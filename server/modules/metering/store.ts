import { and, desc, eq, like, or, sql } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { apiKeys, ledger, type KeyStatus } from '../../db/schema';

export type KeyRow = typeof apiKeys.$inferSelect;
export type NewKeyRow = typeof apiKeys.$inferInsert;
export type LedgerRow = typeof ledger.$inferSelect;
export type NewLedgerRow = typeof ledger.$inferInsert;

export type SettleRow = NewLedgerRow & { costNano: number; keyId: string; finishedAt: number };

export function createMeteringStore(db: DB) {
  const byHash = db.select().from(apiKeys).where(eq(apiKeys.keyHash, sql.placeholder('hash'))).prepare();
  const byId = db.select().from(apiKeys).where(eq(apiKeys.id, sql.placeholder('id'))).prepare();
  const insertLedger = db.insert(ledger).values({
    requestId: sql.placeholder('requestId'),
    keyId: sql.placeholder('keyId'),
    publicModel: sql.placeholder('publicModel'),
    upstreamModel: sql.placeholder('upstreamModel'),
    period: sql.placeholder('period'),
    cacheHitTokens: sql.placeholder('cacheHitTokens'),
    cacheMissTokens: sql.placeholder('cacheMissTokens'),
    outputTokens: sql.placeholder('outputTokens'),
    reasoningTokens: sql.placeholder('reasoningTokens'),
    cacheHitPriceNano: sql.placeholder('cacheHitPriceNano'),
    cacheMissPriceNano: sql.placeholder('cacheMissPriceNano'),
    outputPriceNano: sql.placeholder('outputPriceNano'),
    costNano: sql.placeholder('costNano'),
    basis: sql.placeholder('basis'),
    httpStatus: sql.placeholder('httpStatus'),
    finishReason: sql.placeholder('finishReason'),
    stream: sql.placeholder('stream'),
    ttfbMs: sql.placeholder('ttfbMs'),
    durationMs: sql.placeholder('durationMs'),
    upstreamKeyId: sql.placeholder('upstreamKeyId'),
    startedAt: sql.placeholder('startedAt'),
    finishedAt: sql.placeholder('finishedAt'),
  }).prepare();
  const addSpent = db
    .update(apiKeys)
    .set({
      spentNano: sql`${apiKeys.spentNano} + ${sql.placeholder('cost')}`,
      lastUsedAt: sql`${sql.placeholder('now')}`,
      status: sql`CASE WHEN ${apiKeys.status} = 'active' AND ${apiKeys.spentNano} + ${sql.placeholder('cost')} >= ${apiKeys.budgetNano} THEN 'exhausted' ELSE ${apiKeys.status} END`,
    })
    .where(eq(apiKeys.id, sql.placeholder('keyId')))
    .returning({ spentNano: apiKeys.spentNano, budgetNano: apiKeys.budgetNano })
    .prepare();

  return {
    keyByHash: (hash: string): KeyRow | undefined => byHash.get({ hash }),
    keyById: (id: string): KeyRow | undefined => byId.get({ id }),
    insertKey: (row: NewKeyRow) => db.insert(apiKeys).values(row).run(),

    /**
     * One transaction for a batch of settlements: each ledger row and its key's spent total move
     * together, and several requests share one commit (a commit costs far more than a row).
     */
    settleMany(rows: SettleRow[]): { spentNano: number; budgetNano: number }[] {
      return db.transaction(() => {
        const perKey = new Map<string, { cost: number; now: number }>();
        for (const row of rows) {
          insertLedger.run({ ...row, stream: row.stream ? 1 : 0 } as never);
          const sum = perKey.get(row.keyId);
          if (sum) {
            sum.cost += row.costNano;
            sum.now = Math.max(sum.now, row.finishedAt);
          } else perKey.set(row.keyId, { cost: row.costNano, now: row.finishedAt });
        }
        const totals = new Map<string, { spentNano: number; budgetNano: number }>();
        for (const [keyId, sum] of perKey) {
          const updated = addSpent.get({ cost: sum.cost, now: sum.now, keyId });
          if (!updated) throw new Error(`key ${keyId} vanished while settling`);
          totals.set(keyId, updated);
        }
        return rows.map((row) => totals.get(row.keyId)!);
      });
    },

    setStatus: (id: string, status: KeyStatus, reason: string | null) =>
      db.update(apiKeys).set({ status, statusReason: reason }).where(eq(apiKeys.id, id)).run(),

    /** Adds to the budget; an exhausted key with money again becomes active. */
    addBudget(id: string, nano: number): KeyRow | undefined {
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

    update: (id: string, patch: Partial<NewKeyRow>) => db.update(apiKeys).set(patch).where(eq(apiKeys.id, id)).returning().get(),

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

    ledgerSum(keyId: string): { costNano: number; rows: number } {
      const row = db
        .select({ costNano: sql<number>`coalesce(sum(${ledger.costNano}), 0)`, rows: sql<number>`count(*)` })
        .from(ledger)
        .where(eq(ledger.keyId, keyId))
        .get();
      return row ?? { costNano: 0, rows: 0 };
    },

    usageTotals(keyId: string) {
      return db
        .select({
          requests: sql<number>`count(*)`,
          cacheHit: sql<number>`coalesce(sum(${ledger.cacheHitTokens}), 0)`,
          cacheMiss: sql<number>`coalesce(sum(${ledger.cacheMissTokens}), 0)`,
          output: sql<number>`coalesce(sum(${ledger.outputTokens}), 0)`,
          reasoning: sql<number>`coalesce(sum(${ledger.reasoningTokens}), 0)`,
        })
        .from(ledger)
        .where(eq(ledger.keyId, keyId))
        .get()!;
    },

    usageDaily(keyId: string, sinceMs: number) {
      const day = sql<string>`strftime('%Y-%m-%d', ${ledger.startedAt} / 1000, 'unixepoch')`;
      return db
        .select({
          date: day,
          requests: sql<number>`count(*)`,
          costNano: sql<number>`sum(${ledger.costNano})`,
          cacheHit: sql<number>`sum(${ledger.cacheHitTokens})`,
          cacheMiss: sql<number>`sum(${ledger.cacheMissTokens})`,
          output: sql<number>`sum(${ledger.outputTokens})`,
          reasoning: sql<number>`sum(${ledger.reasoningTokens})`,
        })
        .from(ledger)
        .where(and(eq(ledger.keyId, keyId), sql`${ledger.startedAt} >= ${sinceMs}`))
        .groupBy(day)
        .orderBy(day)
        .all();
    },

    recentRequests: (keyId: string, limit: number): LedgerRow[] =>
      db.select().from(ledger).where(eq(ledger.keyId, keyId)).orderBy(desc(ledger.startedAt), desc(ledger.id)).limit(limit).all(),
  };
}

export type MeteringStore = ReturnType<typeof createMeteringStore>;
