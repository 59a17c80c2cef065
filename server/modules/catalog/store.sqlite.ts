import { and, eq } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { modelAliases, models, plans, prices, settings, toolPrices } from '../../db/schema';
import { atomically, type Synchronous } from '../../db/sqlite/gate';
import { DEFAULT_ALIASES, DEFAULT_MODELS, DEFAULT_PLANS, DEFAULT_PRICES, DEFAULT_SCHEDULE } from './defaults';
import type { PriceSchedule } from './price-book';
import { SCHEDULE_SETTING, type CatalogStore } from './store';

/** CatalogStore on bun:sqlite. */
export function createSqliteCatalogStore(db: DB): Synchronous<CatalogStore> {
  const sqlite = db.$client;
  const schedule = (): PriceSchedule => {
    const row = db.select().from(settings).where(eq(settings.key, SCHEDULE_SETTING)).get();
    return (row?.value as PriceSchedule | undefined) ?? DEFAULT_SCHEDULE;
  };

  return {
    seedDefaults: () =>
      atomically(sqlite, () => {
        if (db.select({ id: plans.id }).from(plans).limit(1).all().length > 0) return false;
        db.insert(models).values(DEFAULT_MODELS).run();
        db.insert(modelAliases).values(DEFAULT_ALIASES).run();
        db.insert(prices).values(DEFAULT_PRICES.map((p) => ({ ...p }))).run();
        db.insert(plans).values(DEFAULT_PLANS).run();
        db.insert(settings).values({ key: SCHEDULE_SETTING, value: DEFAULT_SCHEDULE }).onConflictDoNothing().run();
        return true;
      }),
    read: () => ({
      plans: db.select().from(plans).orderBy(plans.sortOrder, plans.id).all(),
      models: db.select().from(models).orderBy(models.sortOrder, models.id).all(),
      aliases: db.select().from(modelAliases).all(),
      prices: db.select().from(prices).all(),
      toolPrices: db
        .select({ tool: toolPrices.tool, modelId: toolPrices.modelId, peakCallNano: toolPrices.peakCallNano, offPeakCallNano: toolPrices.offPeakCallNano, maxCalls: toolPrices.maxCalls })
        .from(toolPrices)
        .orderBy(toolPrices.tool, toolPrices.modelId)
        .all(),
      schedule: schedule(),
    }),
    insertPlan: (row) => db.insert(plans).values(row).returning().get(),
    updatePlan: (id, patch) => db.update(plans).set(patch).where(eq(plans.id, id)).returning().get(),
    saveModel(input) {
      atomically(sqlite, () => {
        if (input.insert) db.insert(models).values(input.insert).run();
        if (input.patch && Object.keys(input.patch).length > 0) db.update(models).set(input.patch).where(eq(models.id, input.id)).run();
        for (const p of input.prices ?? []) {
          const values = { cacheHitNano: p.cacheHitNano, cacheMissNano: p.cacheMissNano, outputNano: p.outputNano, updatedAt: Date.now() };
          db.insert(prices)
            .values({ modelId: input.id, period: p.period, ...values })
            .onConflictDoUpdate({ target: [prices.modelId, prices.period], set: values })
            .run();
        }
        if (input.aliases) {
          db.delete(modelAliases).where(eq(modelAliases.modelId, input.id)).run();
          if (input.aliases.length > 0) db.insert(modelAliases).values(input.aliases.map((a) => ({ alias: a.alias, modelId: input.id, thinking: a.thinking }))).run();
        }
      });
    },
    setSchedule(value) {
      db.insert(settings)
        .values({ key: SCHEDULE_SETTING, value })
        .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt: Date.now() } })
        .run();
    },
    saveToolPrice(price) {
      const values = { peakCallNano: price.peakCallNano, offPeakCallNano: price.offPeakCallNano, maxCalls: price.maxCalls, updatedAt: Date.now() };
      db.insert(toolPrices)
        .values({ tool: price.tool, modelId: price.modelId, ...values })
        .onConflictDoUpdate({ target: [toolPrices.tool, toolPrices.modelId], set: values })
        .run();
    },
    deleteToolPrice: (tool, modelId) => db.delete(toolPrices).where(and(eq(toolPrices.tool, tool), eq(toolPrices.modelId, modelId))).returning({ tool: toolPrices.tool }).all().length > 0,
  };
}
