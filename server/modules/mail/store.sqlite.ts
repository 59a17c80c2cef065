import { and, count, desc, eq, lte, or, sql, type SQL } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { containsPattern, sqliteContains } from '../../db/like';
import { mailOutbox, type MailStatus } from '../../db/schema';
import type { Synchronous } from '../../db/sqlite/gate';
import type { OutboxFilter, OutboxStore } from './store';

/** OutboxStore on bun:sqlite. */
export function createSqliteOutboxStore(db: DB): Synchronous<OutboxStore> {
  const where = (f: OutboxFilter): SQL | undefined => {
    const conditions: (SQL | undefined)[] = [];
    if (f.status) conditions.push(eq(mailOutbox.status, f.status));
    const q = containsPattern(f.q);
    if (q) {
      conditions.push(or(sqliteContains(mailOutbox.toEmail, q), sqliteContains(mailOutbox.params, q)));
    }
    return conditions.length ? and(...conditions) : undefined;
  };

  return {
    insert: (row) => db.insert(mailOutbox).values(row).onConflictDoNothing({ target: mailOutbox.dedupeKey }).returning({ id: mailOutbox.id }).get()?.id,
    byId: (id) => db.select().from(mailOutbox).where(eq(mailOutbox.id, id)).get(),
    list(f, page) {
      const rows = db.select().from(mailOutbox).where(where(f)).orderBy(desc(mailOutbox.id)).limit(page.limit).offset(page.offset).all();
      const total = db.select({ n: count() }).from(mailOutbox).where(where(f)).get()?.n ?? 0;
      return { rows, total };
    },
    counts() {
      const out: Record<MailStatus, number> = { pending: 0, sending: 0, sent: 0, failed: 0 };
      for (const r of db.select({ status: mailOutbox.status, n: count() }).from(mailOutbox).groupBy(mailOutbox.status).all()) out[r.status] = r.n;
      return out;
    },
    due: (now, limit) =>
      db.select().from(mailOutbox).where(and(eq(mailOutbox.status, 'pending'), lte(mailOutbox.nextAttemptAt, now))).orderBy(mailOutbox.id).limit(limit).all(),
    claim: (id) =>
      db
        .update(mailOutbox)
        .set({ status: 'sending', attempts: sql`${mailOutbox.attempts} + 1` })
        .where(and(eq(mailOutbox.id, id), eq(mailOutbox.status, 'pending')))
        .returning()
        .get(),
    markSent(id, subject, response, at) {
      db.update(mailOutbox).set({ status: 'sent', subject, smtpResponse: response.slice(0, 500), lastError: null, sentAt: at }).where(eq(mailOutbox.id, id)).run();
    },
    markRetry(id, at, error, subject) {
      db.update(mailOutbox).set({ status: 'pending', nextAttemptAt: at, lastError: error.slice(0, 500), smtpResponse: error.slice(0, 500), subject }).where(eq(mailOutbox.id, id)).run();
    },
    markFailed(id, error, subject) {
      db.update(mailOutbox).set({ status: 'failed', lastError: error.slice(0, 500), smtpResponse: error.slice(0, 500), subject }).where(eq(mailOutbox.id, id)).run();
    },
    resumeSending: () => db.update(mailOutbox).set({ status: 'pending' }).where(eq(mailOutbox.status, 'sending')).returning({ id: mailOutbox.id }).all().length,
    retryNow: (id, at) =>
      db
        .update(mailOutbox)
        .set({ status: 'pending', nextAttemptAt: at })
        .where(and(eq(mailOutbox.id, id), sql`${mailOutbox.status} IN ('pending', 'failed')`))
        .returning()
        .get(),
  };
}
