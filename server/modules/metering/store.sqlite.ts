import { and, desc, eq, gt, inArray, isNotNull, lte, or, sql, type SQL } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { containsPattern, sqliteContains } from '../../db/like';
import { apiKeys, credits, type KeyStatus } from '../../db/schema';
import { atomically, type Synchronous } from '../../db/sqlite/gate';
import type { KeyEdit, KeyMoney, KeyRow, MeteringStore, SettleRow, SpendChange } from './store';

/** MeteringStore on bun:sqlite: synchronous prepared statements, made asynchronous by the connection gate. */
export function createSqliteMeteringStore(db: DB): Synchronous<MeteringStore> {
  const sqlite = db.$client;
  const byHash = db.select().from(apiKeys).where(eq(apiKeys.keyHash, sql.placeholder('hash'))).prepare();
  const byId = db.select().from(apiKeys).where(eq(apiKeys.id, sql.placeholder('id'))).prepare();
  // The two writes every request makes, as plain prepared statements: no query building per call,
  // and the ledger row's 27 values bound by position (no object of named values made per row).
  const insertLedger = sqlite.prepare(
    `INSERT INTO ledger (request_id, key_id, public_model, upstream_model, period, cache_hit_tokens, cache_miss_tokens,
       output_tokens, reasoning_tokens, cache_hit_price_nano, cache_miss_price_nano, output_price_nano, cost_nano, basis,
       http_status, finish_reason, stream, ttfb_ms, duration_ms, upstream_key_id, started_at, finished_at, protocol,
       web_search_calls, read_url_calls, file_parse_calls, server_tool_cost_nano)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27)`,
  );
  const addSpent = sqlite.prepare<
    { spent_nano: number; budget_nano: number; status: KeyStatus; email: string | null; lang: string | null },
    { cost: number; now: number; keyId: string }
  >(
    `UPDATE api_keys SET spent_nano = spent_nano + $cost, last_used_at = $now,
       status = CASE WHEN status = 'active' AND spent_nano + $cost >= budget_nano THEN 'exhausted' ELSE status END
     WHERE id = $keyId RETURNING spent_nano, budget_nano, status, email, lang`,
  );
  const byIdNow = (id: string): KeyRow | undefined => byId.get({ id });

  return {
    keyByHash: (hash) => byHash.get({ hash }),
    keyById: byIdNow,
    lockKey: byIdNow,
    keysExpiringBetween: (from, to) =>
      db
        .select()
        .from(apiKeys)
        .where(and(isNotNull(apiKeys.email), inArray(apiKeys.status, ['active', 'exhausted']), gt(apiKeys.expiresAt, from), lte(apiKeys.expiresAt, to)))
        .all(),
    listKeys(filter) {
      const conditions: (SQL | undefined)[] = [];
      if (filter.status) conditions.push(eq(apiKeys.status, filter.status));
      const q = containsPattern(filter.query);
      if (q) {
        conditions.push(or(sqliteContains(apiKeys.keyHint, q), sqliteContains(apiKeys.email, q), sqliteContains(apiKeys.orderId, q), sqliteContains(apiKeys.id, q)));
      }
      return db
        .select()
        .from(apiKeys)
        .where(conditions.length ? and(...conditions) : undefined)
        .orderBy(desc(apiKeys.createdAt), desc(apiKeys.id))
        .limit(filter.limit ?? 100)
        .offset(filter.offset ?? 0)
        .all();
    },
    insertKey: (row) => db.insert(apiKeys).values(row).returning().get(),
    anySealedSecret: () => db.select({ sealed: apiKeys.keyEncrypted }).from(apiKeys).limit(1).get()?.sealed,

    setStatus: (id, status, reason) => db.update(apiKeys).set({ status, statusReason: reason }).where(eq(apiKeys.id, id)).returning().get(),
    addBudget: (id, nano) =>
      db
        .update(apiKeys)
        .set({
          budgetNano: sql`${apiKeys.budgetNano} + ${nano}`,
          status: sql`CASE WHEN ${apiKeys.status} = 'exhausted' AND ${apiKeys.budgetNano} + ${nano} > ${apiKeys.spentNano} THEN 'active' ELSE ${apiKeys.status} END`,
        })
        .where(eq(apiKeys.id, id))
        .returning()
        .get(),
    reduceBudget(id, nano) {
      const lowered = sql`max(${apiKeys.spentNano}, ${apiKeys.budgetNano} - ${nano})`;
      return db
        .update(apiKeys)
        .set({
          budgetNano: lowered,
          status: sql`CASE WHEN ${apiKeys.status} = 'active' AND ${lowered} <= ${apiKeys.spentNano} THEN 'exhausted' ELSE ${apiKeys.status} END`,
        })
        .where(eq(apiKeys.id, id))
        .returning()
        .get();
    },
    applyTopUp(id, t) {
      const budget = sql`${apiKeys.budgetNano} + ${t.addNano}`;
      const expired = t.expiresAt !== null && t.expiresAt <= t.now;
      return db
        .update(apiKeys)
        .set({
          budgetNano: budget,
          expiresAt: t.expiresAt,
          planId: t.planId,
          lang: t.lang,
          email: sql`coalesce(${apiKeys.email}, ${t.email})`,
          status: sql`CASE WHEN ${apiKeys.status} = 'disabled' THEN 'disabled' WHEN ${expired ? 1 : 0} THEN 'expired' WHEN ${budget} <= ${apiKeys.spentNano} THEN 'exhausted' ELSE 'active' END`,
          statusReason: sql`CASE WHEN ${apiKeys.status} = 'disabled' THEN ${apiKeys.statusReason} ELSE NULL END`,
        })
        .where(eq(apiKeys.id, id))
        .returning()
        .get();
    },
    editKey: (id, edit) => editStatement(db, id, edit),
    setSecret: (id, secret) => db.update(apiKeys).set(secret).where(eq(apiKeys.id, id)).returning().get(),
    setShowReasoning: (id, show) => db.update(apiKeys).set({ showReasoning: show }).where(eq(apiKeys.id, id)).returning().get(),

    /**
     * One transaction for a batch of settlements: each ledger row and its key's spent total move
     * together, and several requests share one commit (a commit costs far more than a row).
     */
    settleMany(rows: SettleRow[]) {
      return atomically(sqlite, () => {
        const perKey = new Map<string, { cost: number; now: number; largest: number }>();
        for (const row of rows) {
          insertLedger.run(...ledgerValues(row));
          const sum = perKey.get(row.keyId);
          if (sum) {
            sum.cost += row.costNano;
            sum.now = Math.max(sum.now, row.finishedAt);
            sum.largest = Math.max(sum.largest, row.floorNano);
          } else perKey.set(row.keyId, { cost: row.costNano, now: row.finishedAt, largest: row.floorNano });
        }
        const money = new Map<string, KeyMoney>();
        const changes: SpendChange[] = [];
        for (const [keyId, sum] of perKey) {
          const updated = addSpent.get({ cost: sum.cost, now: sum.now, keyId });
          if (!updated) throw new Error(`key ${keyId} vanished while settling`);
          const after: KeyMoney = { spentNano: updated.spent_nano, budgetNano: updated.budget_nano, heldNano: 0 };
          money.set(keyId, after);
          changes.push({
            keyId,
            ...after,
            spentBefore: updated.spent_nano - sum.cost,
            status: updated.status,
            lastUsedAt: sum.now,
            nextFloorNano: sum.largest,
            email: updated.email,
            lang: updated.lang,
          });
        }
        return { totals: rows.map((row) => money.get(row.keyId) as KeyMoney), changes };
      });
    },

    insertCredit: (row) => db.insert(credits).values(row).onConflictDoNothing({ target: credits.orderId }).returning().get(),
    creditsOf: (keyId) => db.select().from(credits).where(eq(credits.keyId, keyId)).orderBy(desc(credits.id)).all(),
    creditOfOrder: (orderId) => db.select().from(credits).where(eq(credits.orderId, orderId)).get(),
  };
}

/**
 * The operator's edit as one guarded UPDATE: the status follows the new budget and expiry (a
 * later expiry or more budget brings an expired or exhausted key back), a disabled key stays
 * disabled unless the edit enables it, and the budget never goes below what was spent.
 */
function editStatement(db: DB, id: string, e: KeyEdit): KeyRow | undefined {
  const budget = e.budgetNano === undefined ? sql`${apiKeys.budgetNano}` : sql`${e.budgetNano}`;
  const expires = e.expiresAt === undefined ? sql`${apiKeys.expiresAt}` : e.expiresAt === null ? sql`NULL` : sql`${e.expiresAt}`;
  const live = sql`CASE WHEN ${expires} IS NOT NULL AND ${expires} <= ${e.now} THEN 'expired' WHEN ${budget} <= ${apiKeys.spentNano} THEN 'exhausted' ELSE 'active' END`;
  let status: SQL;
  let statusReason: SQL | string | null;
  if (e.status === 'disabled') {
    status = sql`'disabled'`;
    statusReason = 'disabled by the operator';
  } else if (e.status === 'active') {
    status = live;
    statusReason = null;
  } else {
    status = sql`CASE WHEN ${apiKeys.status} = 'disabled' THEN 'disabled' ELSE ${live} END`;
    statusReason = sql`CASE WHEN ${apiKeys.status} = 'disabled' THEN ${apiKeys.statusReason} ELSE NULL END`;
  }
  return db
    .update(apiKeys)
    .set({
      budgetNano: budget,
      expiresAt: expires,
      status,
      statusReason,
      ...(e.planId === undefined ? {} : { planId: e.planId }),
      ...(e.note === undefined ? {} : { note: e.note }),
      ...(e.rpmOverride === undefined ? {} : { rpmOverride: e.rpmOverride }),
      ...(e.concurrencyOverride === undefined ? {} : { concurrencyOverride: e.concurrencyOverride }),
      ...(e.showReasoning === undefined ? {} : { showReasoning: e.showReasoning }),
    })
    .where(and(eq(apiKeys.id, id), sql`${budget} >= ${apiKeys.spentNano}`))
    .returning()
    .get();
}

/** The ledger row's values in the order of insertLedger's columns. */
function ledgerValues(row: SettleRow) {
  return [
    row.requestId,
    row.keyId,
    row.publicModel,
    row.upstreamModel,
    row.period,
    row.cacheHitTokens,
    row.cacheMissTokens,
    row.outputTokens,
    row.reasoningTokens,
    row.cacheHitPriceNano,
    row.cacheMissPriceNano,
    row.outputPriceNano,
    row.costNano,
    row.basis,
    row.httpStatus,
    row.finishReason ?? null,
    row.stream ? 1 : 0,
    row.ttfbMs ?? null,
    row.durationMs,
    row.upstreamKeyId ?? null,
    row.startedAt,
    row.finishedAt,
    row.protocol ?? 'chat',
    row.webSearchCalls ?? 0,
    row.readUrlCalls ?? 0,
    row.fileParseCalls ?? 0,
    row.serverToolCostNano ?? 0,
  ] as const;
}
