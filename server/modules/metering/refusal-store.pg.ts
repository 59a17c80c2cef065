import { and, desc, eq, gte, lte, sql, type SQL } from 'drizzle-orm';
import { bytewise, type PgConn } from '../../db/pg/conn';
import { refusals } from '../../db/pg/schema';
import type { RefusalCount, RefusalFilter, RefusalStore } from './refusal-store';

const summed = sql<number>`sum(${refusals.count})`.mapWith(Number);

/** RefusalStore on PostgreSQL: each instance adds the counts it kept, in one upsert, atomically. */
export function createPgRefusalStore(conn: PgConn): RefusalStore {
  const { db } = conn;
  const where = (f: RefusalFilter): SQL | undefined => {
    const conditions: (SQL | undefined)[] = [];
    if (f.keyId !== undefined) conditions.push(eq(refusals.keyId, f.keyId));
    if (f.fromDate !== undefined) conditions.push(gte(refusals.date, f.fromDate));
    if (f.toDate !== undefined) conditions.push(lte(refusals.date, f.toDate));
    return conditions.length ? and(...conditions) : undefined;
  };
  return {
    async add(rows) {
      if (rows.length === 0) return;
      // one row per key, day and reason: an upsert may touch a row only once
      const merged = new Map<string, RefusalCount>();
      for (const row of rows) {
        const id = `${row.keyId}\n${row.date}\n${row.reason}`;
        const same = merged.get(id);
        merged.set(id, same ? { ...same, count: same.count + row.count } : { ...row });
      }
      await db
        .insert(refusals)
        .values([...merged.values()])
        .onConflictDoUpdate({ target: [refusals.keyId, refusals.date, refusals.reason], set: { count: sql`${refusals.count} + excluded.count` } });
    },
    byReason: (filter) => db.select({ reason: refusals.reason, count: summed }).from(refusals).where(where(filter)).groupBy(refusals.reason).orderBy(bytewise(refusals.reason)),
    byDay: (filter) =>
      db.select({ date: refusals.date, reason: refusals.reason, count: summed }).from(refusals).where(where(filter)).groupBy(refusals.date, refusals.reason).orderBy(bytewise(refusals.date), bytewise(refusals.reason)),
    rows: (filter, limit) =>
      db
        .select({ keyId: refusals.keyId, date: refusals.date, reason: refusals.reason, count: refusals.count })
        .from(refusals)
        .where(where(filter))
        .orderBy(desc(bytewise(refusals.date)), desc(refusals.count), bytewise(refusals.keyId), bytewise(refusals.reason))
        .limit(limit),
  };
}
