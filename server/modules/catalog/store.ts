import { and, eq } from 'drizzle-orm';
import type { Period } from '../../db/schema';
import type { DB } from '../../db/client';
import { modelAliases, models, plans, prices, settings, toolPrices, type ServerToolKind } from '../../db/schema';
import type { Thinking } from '../../db/schema';
import { DEFAULT_ALIASES, DEFAULT_MODELS, DEFAULT_PLANS, DEFAULT_PRICES, DEFAULT_SCHEDULE } from './defaults';
import type { PriceSchedule, ToolPrice } from './price-book';

export const SCHEDULE_SETTING = 'price_schedule';

export type PlanRow = typeof plans.$inferSelect;
export type ModelRow = typeof models.$inferSelect;
export type AliasRow = typeof modelAliases.$inferSelect;
export type PriceRow = typeof prices.$inferSelect;
export type NewPlanRow = typeof plans.$inferInsert;
export type NewModelRow = typeof models.$inferInsert;
export interface PeriodPrices {
  period: Period;
  cacheHitNano: number;
  cacheMissNano: number;
  outputNano: number;
}

export function createCatalogStore(db: DB) {
  return {
    /** Inserts the default catalog into an empty database; never overwrites an operator's edits. */
    seedDefaults(): boolean {
      const existing = db.select({ id: plans.id }).from(plans).limit(1).all();
      if (existing.length > 0) return false;
      db.transaction((tx) => {
        tx.insert(models).values(DEFAULT_MODELS).run();
        tx.insert(modelAliases).values(DEFAULT_ALIASES).run();
        tx.insert(prices).values(DEFAULT_PRICES.map((p) => ({ ...p }))).run();
        tx.insert(plans).values(DEFAULT_PLANS).run();
        tx.insert(settings).values({ key: SCHEDULE_SETTING, value: DEFAULT_SCHEDULE }).onConflictDoNothing().run();
      });
      return true;
    },
    plans: (): PlanRow[] => db.select().from(plans).orderBy(plans.sortOrder, plans.id).all(),
    models: (): ModelRow[] => db.select().from(models).orderBy(models.sortOrder, models.id).all(),
    aliases: (): AliasRow[] => db.select().from(modelAliases).all(),
    prices: (): PriceRow[] => db.select().from(prices).all(),
    // ---- the operator's writes (admin API); the service invalidates its snapshot after each

    insertPlan: (row: NewPlanRow) => db.insert(plans).values(row).returning().get(),
    updatePlan: (id: string, patch: Partial<NewPlanRow>) => db.update(plans).set(patch).where(eq(plans.id, id)).returning().get(),

    /** A model with its prices (and, when given, its full alias list), in one transaction. */
    saveModel(input: { insert?: NewModelRow; id: string; patch?: Partial<NewModelRow>; prices?: PeriodPrices[]; aliases?: { alias: string; thinking: Thinking | null }[] }) {
      db.transaction((tx) => {
        if (input.insert) tx.insert(models).values(input.insert).run();
        if (input.patch && Object.keys(input.patch).length > 0) tx.update(models).set(input.patch).where(eq(models.id, input.id)).run();
        for (const p of input.prices ?? []) {
          const values = { cacheHitNano: p.cacheHitNano, cacheMissNano: p.cacheMissNano, outputNano: p.outputNano, updatedAt: Date.now() };
          tx.insert(prices)
            .values({ modelId: input.id, period: p.period, ...values })
            .onConflictDoUpdate({ target: [prices.modelId, prices.period], set: values })
            .run();
        }
        if (input.aliases) {
          tx.delete(modelAliases).where(eq(modelAliases.modelId, input.id)).run();
          if (input.aliases.length > 0) tx.insert(modelAliases).values(input.aliases.map((a) => ({ alias: a.alias, modelId: input.id, thinking: a.thinking }))).run();
        }
      });
    },

    setSchedule(schedule: PriceSchedule) {
      db.insert(settings)
        .values({ key: SCHEDULE_SETTING, value: schedule })
        .onConflictDoUpdate({ target: settings.key, set: { value: schedule, updatedAt: Date.now() } })
        .run();
    },

    // ---- the server tools' per-call prices (a tool without one that applies is refused)

    toolPrices: (): ToolPrice[] =>
      db
        .select({ tool: toolPrices.tool, modelId: toolPrices.modelId, peakCallNano: toolPrices.peakCallNano, offPeakCallNano: toolPrices.offPeakCallNano, maxCalls: toolPrices.maxCalls })
        .from(toolPrices)
        .orderBy(toolPrices.tool, toolPrices.modelId)
        .all(),
    saveToolPrice(price: ToolPrice) {
      const values = { peakCallNano: price.peakCallNano, offPeakCallNano: price.offPeakCallNano, maxCalls: price.maxCalls, updatedAt: Date.now() };
      db.insert(toolPrices)
        .values({ tool: price.tool, modelId: price.modelId, ...values })
        .onConflictDoUpdate({ target: [toolPrices.tool, toolPrices.modelId], set: values })
        .run();
    },
    deleteToolPrice: (tool: ServerToolKind, modelId: string): boolean =>
      db.delete(toolPrices).where(and(eq(toolPrices.tool, tool), eq(toolPrices.modelId, modelId))).returning({ tool: toolPrices.tool }).all().length > 0,

    schedule(): PriceSchedule {
      const row = db.select().from(settings).where(eq(settings.key, SCHEDULE_SETTING)).get();
      return (row?.value as PriceSchedule | undefined) ?? DEFAULT_SCHEDULE;
    },
  };
}

export type CatalogStore = ReturnType<typeof createCatalogStore>;
