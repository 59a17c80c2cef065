import { and, eq, sql } from 'drizzle-orm';
import { ADVISORY_LOCKS, ADVISORY_NAMESPACE } from '../../db/pg/client';
import { bytewise, pgAtomically, type PgConn } from '../../db/pg/conn';
import { modelAliases, models, plans, prices, settings, toolPrices } from '../../db/pg/schema';
import { DEFAULT_ALIASES, DEFAULT_MODELS, DEFAULT_PLANS, DEFAULT_PRICES, DEFAULT_SCHEDULE } from './defaults';
import type { PriceSchedule } from './price-book';
import { SCHEDULE_SETTING, type CatalogStore } from './store';

/** CatalogStore on PostgreSQL. */
export function createPgCatalogStore(conn: PgConn): CatalogStore {
  const { db } = conn;
  const schedule = async (): Promise<PriceSchedule> => {
    const [row] = await db.select().from(settings).where(eq(settings.key, SCHEDULE_SETTING));
    return (row?.value as PriceSchedule | undefined) ?? DEFAULT_SCHEDULE;
  };

  return {
    // instances starting together: the first seeds, the others wait for its commit and find plans
    seedDefaults: () =>
      pgAtomically(conn, async ({ db: tx, sql: q }) => {
        await q`SELECT pg_advisory_xact_lock(${ADVISORY_NAMESPACE}, ${ADVISORY_LOCKS.seed})`;
        if ((await tx.select({ id: plans.id }).from(plans).limit(1)).length > 0) return false;
        await tx.insert(models).values(DEFAULT_MODELS);
        await tx.insert(modelAliases).values(DEFAULT_ALIASES);
        await tx.insert(prices).values(DEFAULT_PRICES.map((p) => ({ ...p })));
        await tx.insert(plans).values(DEFAULT_PLANS);
        await tx.insert(settings).values({ key: SCHEDULE_SETTING, value: DEFAULT_SCHEDULE }).onConflictDoNothing();
        return true;
      }),
    read: async () => {
      const [planRows, modelRows, aliases, priceRows, tools, sched] = await Promise.all([
        db.select().from(plans).orderBy(plans.sortOrder, bytewise(plans.id)),
        db.select().from(models).orderBy(models.sortOrder, bytewise(models.id)),
        db.select().from(modelAliases),
        db.select().from(prices),
        db
          .select({ tool: toolPrices.tool, modelId: toolPrices.modelId, peakCallNano: toolPrices.peakCallNano, offPeakCallNano: toolPrices.offPeakCallNano, maxCalls: toolPrices.maxCalls })
          .from(toolPrices)
          .orderBy(bytewise(toolPrices.tool), bytewise(toolPrices.modelId)),
        schedule(),
      ]);
      return { plans: planRows, models: modelRows, aliases, prices: priceRows, toolPrices: tools, schedule: sched };
    },
    insertPlan: async (row) => (await db.insert(plans).values(row).returning())[0]!,
    updatePlan: async (id, patch) => (await db.update(plans).set(patch).where(eq(plans.id, id)).returning())[0],
    saveModel: (input) =>
      pgAtomically(conn, async ({ db: tx }) => {
        if (input.insert) await tx.insert(models).values(input.insert);
        if (input.patch && Object.keys(input.patch).length > 0) await tx.update(models).set(input.patch).where(eq(models.id, input.id));
        for (const p of input.prices ?? []) {
          const values = { cacheHitNano: p.cacheHitNano, cacheMissNano: p.cacheMissNano, outputNano: p.outputNano, updatedAt: Date.now() };
          await tx
            .insert(prices)
            .values({ modelId: input.id, period: p.period, ...values })
            .onConflictDoUpdate({ target: [prices.modelId, prices.period], set: values });
        }
        if (input.aliases) {
          await tx.delete(modelAliases).where(eq(modelAliases.modelId, input.id));
          if (input.aliases.length > 0) await tx.insert(modelAliases).values(input.aliases.map((a) => ({ alias: a.alias, modelId: input.id, thinking: a.thinking })));
        }
      }),
    async setSchedule(value) {
      await db
        .insert(settings)
        .values({ key: SCHEDULE_SETTING, value })
        .onConflictDoUpdate({ target: settings.key, set: { value: sql`excluded.value`, updatedAt: Date.now() } });
    },
    async saveToolPrice(price) {
      const values = { peakCallNano: price.peakCallNano, offPeakCallNano: price.offPeakCallNano, maxCalls: price.maxCalls, updatedAt: Date.now() };
      await db
        .insert(toolPrices)
        .values({ tool: price.tool, modelId: price.modelId, ...values })
        .onConflictDoUpdate({ target: [toolPrices.tool, toolPrices.modelId], set: values });
    },
    deleteToolPrice: async (tool, modelId) =>
      (await db.delete(toolPrices).where(and(eq(toolPrices.tool, tool), eq(toolPrices.modelId, modelId))).returning({ tool: toolPrices.tool })).length > 0,
  };
}
