import type { LedgerRow } from './store';

// Reading the ledger (a key's totals, days and recent requests: raw rows plus the rows already
// rolled up into daily totals) and the roll-up itself. One implementation per backend
// (ledger-store.sqlite.ts; the PostgreSQL twin ledger-store.pg.ts).

export interface UsageTotals {
  requests: number;
  cacheHit: number;
  cacheMiss: number;
  output: number;
  reasoning: number;
}

export type UsageDay = UsageTotals & { date: string; costNano: number };

export interface LedgerStore {
  /** the key's ledger in full: its raw rows plus the rows already rolled up */
  ledgerSum(keyId: string): Promise<{ costNano: number; rows: number }>;
  usageTotals(keyId: string): Promise<UsageTotals>;
  /** per UTC day from the day of sinceMs on, oldest first */
  usageDaily(keyId: string, sinceMs: number): Promise<UsageDay[]>;
  /** newest first */
  recentRequests(keyId: string, limit: number): Promise<LedgerRow[]>;
  /**
   * Moves up to `limit` raw rows that started before `cutoffMs` into the daily totals, atomically
   * (one statement on PostgreSQL: DELETE … RETURNING feeding the INSERT … ON CONFLICT), so that
   * two runs at once never count a row twice. Answers the rows moved.
   */
  rollUpBatch(cutoffMs: number, limit: number): Promise<number>;
}
