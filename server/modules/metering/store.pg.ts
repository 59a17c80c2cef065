import { and, desc, eq, gt, inArray, isNotNull, lte, or, sql, type SQL } from 'drizzle-orm';
import { containsPattern, pgContains } from '../../db/like';
import { bytewise, numbers, pgAtomically, type PgConn } from '../../db/pg/conn';
import { apiKeys, credits, holds, ledger } from '../../db/pg/schema';
import type { KeyStatus } from '../../db/schema';
import type { KeyEdit, KeyMoney, KeyRow, MeteringStore, SettleRow, SpendChange } from './store';

/**
 * MeteringStore on PostgreSQL. A key row carries what its open requests hold (held_nano,
 * in_flight: holds.pg.ts adds to them in the admission's one conditional UPDATE); the CHECK
 * spent_nano + held_nano <= budget_nano stands behind every statement here. Budgets move in the
 * statement itself, never read-change-write; reductions never go below spent + held.
 */
export function createPgMeteringStore(conn: PgConn): MeteringStore {
  const { db } = conn;
  const one = async <T>(rows: Promise<T[]>): Promise<T | undefined> => (await rows)[0];

  return {
    keyByHash: (hash) => one(db.select().from(apiKeys).where(eq(apiKeys.keyHash, hash)).limit(1)),
    keyById: (id) => one(db.select().from(apiKeys).where(eq(apiKeys.id, id))),
    lockKey: (id) => one(db.select().from(apiKeys).where(eq(apiKeys.id, id)).for('update')),
    keysExpiringBetween: (from, to) =>
      db
        .select()
        .from(apiKeys)
        .where(and(isNotNull(apiKeys.email), inArray(apiKeys.status, ['active', 'exhausted']), gt(apiKeys.expiresAt, from), lte(apiKeys.expiresAt, to))),
    listKeys(filter) {
      const conditions: (SQL | undefined)[] = [];
      if (filter.status) conditions.push(eq(apiKeys.status, filter.status));
      const q = containsPattern(filter.query);
      if (q) {
        conditions.push(or(pgContains(apiKeys.keyHint, q), pgContains(apiKeys.email, q), pgContains(apiKeys.orderId, q), pgContains(apiKeys.id, q)));
      }
      return db
        .select()
        .from(apiKeys)
        .where(conditions.length ? and(...conditions) : undefined)
        .orderBy(desc(apiKeys.createdAt), desc(bytewise(apiKeys.id)))
        .limit(filter.limit ?? 100)
        .offset(filter.offset ?? 0);
    },
    insertKey: async (row) => (await db.insert(apiKeys).values(row).returning())[0] as KeyRow,
    anySealedSecret: async () => (await db.select({ sealed: apiKeys.keyEncrypted }).from(apiKeys).limit(1))[0]?.sealed,

    setStatus: (id, status, reason) => one(db.update(apiKeys).set({ status, statusReason: reason }).where(eq(apiKeys.id, id)).returning()),
    addBudget: (id, nano) =>
      one(
        db
          .update(apiKeys)
          .set({
            budgetNano: sql`${apiKeys.budgetNano} + ${nano}::bigint`,
            status: sql`CASE WHEN ${apiKeys.status} = 'exhausted' AND ${apiKeys.budgetNano} + ${nano}::bigint > ${apiKeys.spentNano} THEN 'active' ELSE ${apiKeys.status} END`,
          })
          .where(eq(apiKeys.id, id))
          .returning(),
      ),
    reduceBudget(id, nano) {
      // never below what is spent and what open requests hold (the CHECK would refuse it)
      const lowered = sql`greatest(${apiKeys.spentNano} + ${apiKeys.heldNano}, ${apiKeys.budgetNano} - ${nano}::bigint)`;
      return one(
        db
          .update(apiKeys)
          .set({
            budgetNano: lowered,
            status: sql`CASE WHEN ${apiKeys.status} = 'active' AND ${lowered} <= ${apiKeys.spentNano} THEN 'exhausted' ELSE ${apiKeys.status} END`,
          })
          .where(eq(apiKeys.id, id))
          .returning(),
      );
    },
    applyTopUp(id, t) {
      const budget = sql`${apiKeys.budgetNano} + ${t.addNano}::bigint`;
      const expired = t.expiresAt !== null && t.expiresAt <= t.now;
      return one(
        db
          .update(apiKeys)
          .set({
            budgetNano: budget,
            expiresAt: t.expiresAt,
            planId: t.planId,
            lang: t.lang,
            email: sql`coalesce(${apiKeys.email}, ${t.email})`,
            status: sql`CASE WHEN ${apiKeys.status} = 'disabled' THEN 'disabled' WHEN ${expired} THEN 'expired' WHEN ${budget} <= ${apiKeys.spentNano} THEN 'exhausted' ELSE 'active' END`,
            statusReason: sql`CASE WHEN ${apiKeys.status} = 'disabled' THEN ${apiKeys.statusReason} ELSE NULL END`,
          })
          .where(eq(apiKeys.id, id))
          .returning(),
      );
    },
    editKey: (id, edit) => editStatement(conn, id, edit),
    setSecret: (id, secret) => one(db.update(apiKeys).set(secret).where(eq(apiKeys.id, id)).returning()),
    setShowReasoning: (id, show) => one(db.update(apiKeys).set({ showReasoning: show }).where(eq(apiKeys.id, id)).returning()),

    settleMany: (rows) => pgAtomically(conn, (tx) => settleBatch(tx, rows)),

    insertCredit: (row) => one(db.insert(credits).values(row).onConflictDoNothing({ target: credits.orderId }).returning()),
    creditsOf: (keyId) => db.select().from(credits).where(eq(credits.keyId, keyId)).orderBy(desc(credits.id)),
    creditOfOrder: (orderId) => one(db.select().from(credits).where(eq(credits.orderId, orderId))),
  };
}

/** The operator's edit as one guarded UPDATE (see the SQLite twin); the new budget never below spent + held. */
function editStatement(conn: PgConn, id: string, e: KeyEdit): Promise<KeyRow | undefined> {
  const budget = e.budgetNano === undefined ? sql`${apiKeys.budgetNano}` : sql`${e.budgetNano}::bigint`;
  const expires = e.expiresAt === undefined ? sql`${apiKeys.expiresAt}` : e.expiresAt === null ? sql`NULL::bigint` : sql`${e.expiresAt}::bigint`;
  const live = sql`CASE WHEN ${expires} IS NOT NULL AND ${expires} <= ${e.now}::bigint THEN 'expired' WHEN ${budget} <= ${apiKeys.spentNano} THEN 'exhausted' ELSE 'active' END`;
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
  return conn.db
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
    .where(and(eq(apiKeys.id, id), sql`${budget} >= ${apiKeys.spentNano} + ${apiKeys.heldNano}`))
    .returning()
    .then((rows) => rows[0]);
}

interface KeySum {
  /** what the batch's rows of this key held and still found in `holds`: moved out of held_nano */
  released: number;
  /** how many of them (in_flight − n) */
  holds: number;
  /** what is billed: each row's cost, or for a row whose hold was swept, what still fits */
  cost: number;
  now: number;
  largest: number;
}

const KEY_AFTER = ['spent_nano', 'budget_nano', 'held_nano', 'last_used_at'] as const;

/**
 * One settle batch in one transaction: each request's hold row deleted (its amount leaves
 * held_nano), its ledger row inserted once per request id, and each key's spent total raised by
 * the costs, in one UPDATE per key, keys in id order (two batches never wait on each other in a
 * circle), the last statement before COMMIT so the key's row lock is held for one round trip.
 *
 * A request whose hold is gone (the sweeper released it: its instance was taken for dead) is still
 * billed, but never past the budget: its key is read locked first and the row is billed what still
 * fits (its cost, or less when other requests took the released budget meanwhile); its ledger row
 * says what was billed, so the ledger still sums to spent and spent + held never passes the budget.
 */
async function settleBatch(tx: PgConn, rows: SettleRow[]) {
  const { db, sql: q } = tx;
  const ids = rows.map((row) => row.requestId);
  const found = await db.delete(holds).where(inArray(holds.requestId, ids)).returning({ requestId: holds.requestId, nano: holds.nano });
  const heldBy = new Map(found.map((h) => [h.requestId, h.nano]));

  const billed = rows.map((row) => row.costNano);
  if (found.length < rows.length) {
    const swept = [...new Set(rows.filter((row) => !heldBy.has(row.requestId)).map((row) => row.keyId))].sort();
    const locked: Record<string, unknown>[] = await q`SELECT id, budget_nano - spent_nano - held_nano AS free FROM api_keys WHERE id IN ${q(swept)} ORDER BY id FOR UPDATE`;
    const free = new Map(locked.map((row) => [row.id as string, Number(row.free)]));
    // this batch's own rows that still had holds come off held_nano before anything is added
    for (const row of rows) {
      const hold = heldBy.get(row.requestId);
      if (hold !== undefined && free.has(row.keyId)) free.set(row.keyId, (free.get(row.keyId) as number) + hold - row.costNano);
    }
    rows.forEach((row, i) => {
      if (heldBy.has(row.requestId)) return;
      const left = Math.max(0, free.get(row.keyId) ?? 0);
      billed[i] = Math.min(row.costNano, left);
      free.set(row.keyId, left - (billed[i] as number));
    });
  }

  const inserted = await db
    .insert(ledger)
    .values(rows.map((row, i) => ledgerValues(row, billed[i] as number)))
    .onConflictDoNothing({ target: ledger.requestId })
    .returning({ requestId: ledger.requestId });
  const fresh = new Set(inserted.map((r) => r.requestId));

  const perKey = new Map<string, KeySum>();
  rows.forEach((row, i) => {
    let sum = perKey.get(row.keyId);
    if (!sum) perKey.set(row.keyId, (sum = { released: 0, holds: 0, cost: 0, now: 0, largest: 0 }));
    const hold = heldBy.get(row.requestId);
    if (hold !== undefined) {
      sum.released += hold;
      sum.holds += 1;
    }
    // a request id already in the ledger (a batch retried after its commit got through) adds nothing
    if (fresh.has(row.requestId)) sum.cost += billed[i] as number;
    sum.now = Math.max(sum.now, row.finishedAt);
    sum.largest = Math.max(sum.largest, row.floorNano);
  });

  const money = new Map<string, KeyMoney>();
  const changes: SpendChange[] = [];
  for (const keyId of [...perKey.keys()].sort()) {
    const sum = perKey.get(keyId) as KeySum;
    const [raw] = await q`UPDATE api_keys SET held_nano = held_nano - ${sum.released}::bigint, in_flight = in_flight - ${sum.holds}::int,
        spent_nano = spent_nano + ${sum.cost}::bigint, last_used_at = greatest(coalesce(last_used_at, 0), ${sum.now}::bigint),
        status = CASE WHEN status = 'active' AND spent_nano + ${sum.cost}::bigint >= budget_nano THEN 'exhausted' ELSE status END
      WHERE id = ${keyId} RETURNING spent_nano, budget_nano, held_nano, last_used_at, status, email, lang`;
    if (!raw) throw new Error(`key ${keyId} vanished while settling`);
    const updated = numbers<{ spent_nano: number; budget_nano: number; held_nano: number; last_used_at: number; status: KeyStatus; email: string | null; lang: string | null }>(raw, KEY_AFTER);
    const after: KeyMoney = { spentNano: updated.spent_nano, budgetNano: updated.budget_nano, heldNano: updated.held_nano };
    money.set(keyId, after);
    changes.push({
      keyId,
      ...after,
      spentBefore: updated.spent_nano - sum.cost,
      status: updated.status,
      lastUsedAt: updated.last_used_at,
      nextFloorNano: sum.largest,
      email: updated.email,
      lang: updated.lang,
    });
  }
  return { totals: rows.map((row) => money.get(row.keyId) as KeyMoney), changes };
}

function ledgerValues(row: SettleRow, costNano: number): typeof ledger.$inferInsert {
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
    costNano,
    basis: row.basis,
    httpStatus: row.httpStatus,
    finishReason: row.finishReason ?? null,
    stream: Boolean(row.stream),
    ttfbMs: row.ttfbMs ?? null,
    durationMs: row.durationMs,
    upstreamKeyId: row.upstreamKeyId ?? null,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    protocol: row.protocol ?? 'chat',
    webSearchCalls: row.webSearchCalls ?? 0,
    readUrlCalls: row.readUrlCalls ?? 0,
    fileParseCalls: row.fileParseCalls ?? 0,
    serverToolCostNano: Math.min(row.serverToolCostNano ?? 0, costNano),
  };
}
