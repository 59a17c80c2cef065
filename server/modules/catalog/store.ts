import type { modelAliases, models, Period, plans, prices, Thinking } from '../../db/schema';
import type { PriceSchedule } from './price-book';

// Plans, public models, their aliases and prices, and the price schedule. One implementation per
// backend (store.sqlite.ts; store.pg.ts to come). The service keeps a snapshot of it all.

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

/** A model with its prices and, when given, its full alias list: written together. */
export interface ModelSave {
  insert?: NewModelRow;
  id: string;
  patch?: Partial<NewModelRow>;
  prices?: PeriodPrices[];
  aliases?: { alias: string; thinking: Thinking | null }[];
}

/** Everything the catalog's snapshot is made of, read together. */
export interface CatalogRows {
  plans: PlanRow[];
  models: ModelRow[];
  aliases: AliasRow[];
  prices: PriceRow[];
  schedule: PriceSchedule;
}

export interface CatalogStore {
  /** inserts the default catalog into an empty database (one transaction); never overwrites an operator's edits */
  seedDefaults(): Promise<boolean>;
  /** plans and models in their sort order */
  read(): Promise<CatalogRows>;
  insertPlan(row: NewPlanRow): Promise<PlanRow>;
  updatePlan(id: string, patch: Partial<NewPlanRow>): Promise<PlanRow | undefined>;
  /** a model with its prices (and, when given, its full alias list), atomically */
  saveModel(input: ModelSave): Promise<void>;
  setSchedule(schedule: PriceSchedule): Promise<void>;
}
