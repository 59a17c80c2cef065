import type { RefusalReason } from '../../db/schema';

// The refusals table's queries: counts per key, UTC day and reason, added in batches by the
// refusal counter and read by the buyer's usage and the console. Asynchronous, with one
// implementation per backend (refusal-store.sqlite.ts; the PostgreSQL twin refusal-store.pg.ts).

export interface RefusalCount {
  keyId: string;
  /** UTC day, YYYY-MM-DD */
  date: string;
  reason: RefusalReason;
  count: number;
}

export interface RefusalFilter {
  keyId?: string;
  /** first and last UTC day, inclusive */
  fromDate?: string;
  toDate?: string;
}

export interface RefusalStore {
  /** Adds the counts (per key, day and reason) in one transaction. */
  add(rows: RefusalCount[]): Promise<void>;
  /** Per reason, over the filter. */
  byReason(filter: RefusalFilter): Promise<{ reason: RefusalReason; count: number }[]>;
  /** Per day and reason, over the filter, oldest day first. */
  byDay(filter: RefusalFilter): Promise<{ date: string; reason: RefusalReason; count: number }[]>;
  /** The rows themselves, newest day first (the console's ledger page). */
  rows(filter: RefusalFilter, limit: number): Promise<RefusalCount[]>;
}
