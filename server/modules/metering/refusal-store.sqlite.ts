import type { DB } from '../../db/client';
import type { RefusalReason } from '../../db/schema';
import { atomically, type Synchronous } from '../../db/sqlite/gate';
import type { RefusalCount, RefusalFilter, RefusalStore } from './refusal-store';

/** RefusalStore on bun:sqlite: synchronous statements, made asynchronous by the connection gate. */
export function createSqliteRefusalStore(db: DB): Synchronous<RefusalStore> {
  const sqlite = db.$client;
  const upsert = sqlite.prepare<unknown, { keyId: string; date: string; reason: string; count: number }>(
    `INSERT INTO refusals (key_id, date, reason, count) VALUES ($keyId, $date, $reason, $count)
     ON CONFLICT (key_id, date, reason) DO UPDATE SET count = count + excluded.count`,
  );
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
    add(rows) {
      if (rows.length === 0) return;
      atomically(sqlite, () => {
        for (const row of rows) upsert.run({ keyId: row.keyId, date: row.date, reason: row.reason, count: row.count });
      });
    },
    byReason(filter) {
      const w = where(filter);
      return sqlite.query<{ reason: RefusalReason; count: number }, Record<string, string>>(`SELECT reason, sum(count) AS count FROM refusals ${w.sql} GROUP BY reason ORDER BY reason`).all(w.params);
    },
    byDay(filter) {
      const w = where(filter);
      return sqlite
        .query<{ date: string; reason: RefusalReason; count: number }, Record<string, string>>(`SELECT date, reason, sum(count) AS count FROM refusals ${w.sql} GROUP BY date, reason ORDER BY date, reason`)
        .all(w.params);
    },
    rows(filter, limit) {
      const w = where(filter);
      return sqlite
        .query<{ keyId: string; date: string; reason: RefusalReason; count: number }, Record<string, string | number>>(
          `SELECT key_id AS keyId, date, reason, count FROM refusals ${w.sql} ORDER BY date DESC, count DESC, key_id, reason LIMIT $limit`,
        )
        .all({ ...w.params, limit });
    },
  };
}
