import { eq } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { modelAliases, models, plans, prices, settings } from '../../db/schema';
import { DEFAULT_ALIASES, DEFAULT_MODELS, DEFAULT_PLANS, DEFAULT_PRICES, DEFAULT_SCHEDULE } from './defaults';
import type { PriceSchedule } from './price-book';

export const SCHEDULE_SETTING = 'price_schedule';

export type PlanRow = typeof plans.$inferSelect;
export type ModelRow = typeof models.$inferSelect;
export type AliasRow = typeof modelAliases.$inferSelect;
export type PriceRow = typeof prices.$inferSelect;

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
    schedule(): PriceSchedule {
      const row = db.select().from(settings).where(eq(settings.key, SCHEDULE_SETTING)).get();
      return (row?.value as PriceSchedule | undefined) ?? DEFAULT_SCHEDULE;
    },
  };
}

export type CatalogStore = ReturnType<typeof createCatalogStore>;
