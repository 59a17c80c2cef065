import type { upstreamKeys } from '../../db/schema';

// The DeepSeek keys an operator added (upstream_keys: sealed, with their state and last balance).
// One implementation per backend (upstream-store.sqlite.ts; upstream-store.pg.ts to come).

export type UpstreamKeyRow = typeof upstreamKeys.$inferSelect;
export type NewUpstreamKeyRow = typeof upstreamKeys.$inferInsert;

export interface UpstreamKeyStore {
  all(): Promise<UpstreamKeyRow[]>;
  byId(id: string): Promise<UpstreamKeyRow | undefined>;
  /** any one stored key, sealed (to check the server secret against at start) */
  anySealedKey(): Promise<string | undefined>;
  /** a new key, or the same key added again: active, with its new label */
  upsert(row: NewUpstreamKeyRow): Promise<void>;
  update(id: string, patch: Partial<NewUpstreamKeyRow>): Promise<void>;
}
