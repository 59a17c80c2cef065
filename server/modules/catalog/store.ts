import type { modelAliases, models, Period, plans, prices, ServerToolKind, Thinking } from '../../db/schema';
import type { PriceSchedule, ToolPrice } from './price-book';

// Plans, public models, their aliases and prices, the server tools' per-call prices and the price schedule. One implementation per
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
  /** the server tools' per-call prices (a tool without one that applies is refused) */
  toolPrices: ToolPrice[];
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
  /** a server tool's per-call price for one model or every model ('*'), inserted or replaced */
  saveToolPrice(price: ToolPrice): Promise<void>;
  /** false when there was no such price */
  deleteToolPrice(tool: ServerToolKind, modelId: string): Promise<boolean>;
}
