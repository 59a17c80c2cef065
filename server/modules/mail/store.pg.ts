import { and, count, desc, eq, lte, or, sql, type SQL } from 'drizzle-orm';
import { containsPattern, pgContains } from '../../db/like';
import type { PgConn } from '../../db/pg/conn';
import { mailOutbox } from '../../db/pg/schema';
import type { MailStatus } from '../../db/schema';
import type { OutboxFilter, OutboxStore } from './store';

/** OutboxStore on PostgreSQL: claim() is one conditional UPDATE, so one instance sends a mail once. */
export function createPgOutboxStore(conn: PgConn): OutboxStore {
  const { db } = conn;
  const first = async <T>(rows: Promise<T[]>): Promise<T | undefined> => (await rows)[0];
  const where = (f: OutboxFilter): SQL | undefined => {
    const conditions: (SQL | undefined)[] = [];
    if (f.status) conditions.push(eq(mailOutbox.status, f.status));
    const q = containsPattern(f.q);
    if (q) {
      conditions.push(or(pgContains(mailOutbox.toEmail, q), pgContains(mailOutbox.params, q)));
    }
    return conditions.length ? and(...conditions) : undefined;
  };

  return {
    insert: async (row) => (await db.insert(mailOutbox).values(row).onConflictDoNothing({ target: mailOutbox.dedupeKey }).returning({ id: mailOutbox.id }))[0]?.id,
    byId: (id) => first(db.select().from(mailOutbox).where(eq(mailOutbox.id, id))),
    async list(f, page) {
      const [rows, total] = await Promise.all([
        db.select().from(mailOutbox).where(where(f)).orderBy(desc(mailOutbox.id)).limit(page.limit).offset(page.offset),
        db.select({ n: count() }).from(mailOutbox).where(where(f)),
      ]);
      return { rows, total: total[0]?.n ?? 0 };
    },
    async counts() {
      const out: Record<MailStatus, number> = { pending: 0, sending: 0, sent: 0, failed: 0 };
      for (const r of await db.select({ status: mailOutbox.status, n: count() }).from(mailOutbox).groupBy(mailOutbox.status)) out[r.status] = r.n;
      return out;
    },
    due: (now, limit) => db.select().from(mailOutbox).where(and(eq(mailOutbox.status, 'pending'), lte(mailOutbox.nextAttemptAt, now))).orderBy(mailOutbox.id).limit(limit),
    claim: (id) =>
      first(
        db
          .update(mailOutbox)
          .set({ status: 'sending', attempts: sql`${mailOutbox.attempts} + 1` })
          .where(and(eq(mailOutbox.id, id), eq(mailOutbox.status, 'pending')))
          .returning(),
      ),
    async markSent(id, subject, response, at) {
      await db.update(mailOutbox).set({ status: 'sent', subject, smtpResponse: response.slice(0, 500), lastError: null, sentAt: at }).where(eq(mailOutbox.id, id));
    },
    async markRetry(id, at, error, subject) {
      await db.update(mailOutbox).set({ status: 'pending', nextAttemptAt: at, lastError: error.slice(0, 500), smtpResponse: error.slice(0, 500), subject }).where(eq(mailOutbox.id, id));
    },
    async markFailed(id, error, subject) {
      await db.update(mailOutbox).set({ status: 'failed', lastError: error.slice(0, 500), smtpResponse: error.slice(0, 500), subject }).where(eq(mailOutbox.id, id));
    },
    resumeSending: async () => (await db.update(mailOutbox).set({ status: 'pending' }).where(eq(mailOutbox.status, 'sending')).returning({ id: mailOutbox.id })).length,
    retryNow: (id, at) =>
      first(
        db
          .update(mailOutbox)
          .set({ status: 'pending', nextAttemptAt: at })
          .where(and(eq(mailOutbox.id, id), sql`${mailOutbox.status} IN ('pending', 'failed')`))
          .returning(),
      ),
  };
}
