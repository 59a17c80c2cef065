import type { DB } from '../../db/client';
import type { RefusalReason } from '../../db/schema';

// The refusals table's queries: counts per key, UTC day and reason, added in batches by the
// refusal counter and read by the buyer's usage and the console. Asynchronous like every store
// interface (DESIGN: one implementation per backend); this is the bun:sqlite one, whose calls are
// synchronous inside. The PostgreSQL twin of the table is in db/pg/schema.ts.

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

export function createSqliteRefusalStore(db: DB): RefusalStore {
  const sqlite = db.$client;
  const upsert = sqlite.prepare<unknown, { keyId: string; date: string; reason: string; count: number }>(
    `INSERT INTO refusals (key_id, date, reason, count) VALUES ($keyId, $date, $reason, $count)
     ON CONFLICT (key_id, date, reason) DO UPDATE SET count = count + excluded.count`,
  );
  const addAll = sqlite.transaction((rows: RefusalCount[]) => {
    for (const row of rows) upsert.run({ keyId: row.keyId, date: row.date, reason: row.reason, count: row.count });
  });
  const where = (f: RefusalFilter) => {
    const clauses: string[] = [];
    const params: Record<string, string> = {};
    if (f.keyId !== undefined) {
      clauses.push('key_id = $keyId');
      params.keyId = f.keyId;
    }
    if (f.fromDate !== undefined) {
      clauses.push('date >= $fromDate');
      params.fromDate = f.fromDate;
    }
    if (f.toDate !== undefined) {
      clauses.push('date <= $toDate');
      params.toDate = f.toDate;
    }
    return { sql: clauses.length ? `WHERE ${clauses.join(' AND ')}` : '', params };
  };
  return {
    async add(rows) {
      if (rows.length > 0) addAll(rows);
    },
    async byReason(filter) {
      const w = where(filter);
      return sqlite.query<{ reason: RefusalReason; count: number }, Record<string, string>>(`SELECT reason, sum(count) AS count FROM refusals ${w.sql} GROUP BY reason ORDER BY reason`).all(w.params);
    },
    async byDay(filter) {
      const w = where(filter);
      return sqlite
        .query<{ date: string; reason: RefusalReason; count: number }, Record<string, string>>(`SELECT date, reason, sum(count) AS count FROM refusals ${w.sql} GROUP BY date, reason ORDER BY date, reason`)
        .all(w.params);
    },
    async rows(filter, limit) {
      const w = where(filter);
      return sqlite
        .query<{ keyId: string; date: string; reason: RefusalReason; count: number }, Record<string, string | number>>(
          `SELECT key_id AS keyId, date, reason, count FROM refusals ${w.sql} ORDER BY date DESC, count DESC, key_id, reason LIMIT $limit`,
        )
        .all({ ...w.params, limit });
    },
  };
}
