import { and, count, desc, eq, lte, sql, type SQL } from 'drizzle-orm';
import type { MailConfig } from '../../config';
import type { DB } from '../../db/client';
import { mailOutbox, type MailKind, type MailLang, type MailStatus } from '../../db/schema';
import type { Clock } from '../../lib/clock';
import { randomBase62 } from '../../lib/keys';
import { formatUsd } from '../../lib/money';
import type { KeyAlerts } from '../metering/alerts';

// The outbox table: mail is queued here inside the transaction of what causes it (synchronous
// inserts on the same connection) and sent later by the worker. Without mail configured nothing
// is queued: mail switched on later does not send a backlog of stale receipts and alerts.

export type OutboxRow = typeof mailOutbox.$inferSelect;

export interface QueuedMail {
  kind: MailKind;
  to: string;
  lang: MailLang;
  params: Record<string, unknown>;
  /** a mail that must go once: queuing it again does nothing */
  dedupeKey?: string | null;
  resend?: boolean;
}

export interface OutboxFilter {
  status?: MailStatus;
  q?: string;
}

/** "Name <noreply@example.com>" → "example.com": the right-hand side of our Message-IDs. */
export function senderDomain(from: string): string {
  const match = /@([^\s<>@]+?)>?\s*$/.exec(from);
  return match?.[1] ?? 'localhost';
}

export function createOutbox(deps: { db: DB; clock: Clock; mail: MailConfig | undefined }) {
  const { db, clock, mail } = deps;
  const domain = mail ? senderDomain(mail.from) : 'localhost';
  let onQueued: () => void = () => {};

  function enqueue(input: QueuedMail): number | null {
    if (!mail) return null;
    const now = clock.now();
    const row = db
      .insert(mailOutbox)
      .values({
        kind: input.kind,
        toEmail: input.to,
        lang: input.lang,
        dedupeKey: input.dedupeKey ?? null,
        params: input.params,
        resend: input.resend ?? false,
        status: 'pending',
        nextAttemptAt: now,
        messageId: `<${now.toString(36)}.${randomBase62(16)}@${domain}>`,
        createdAt: now,
      })
      .onConflictDoNothing({ target: mailOutbox.dedupeKey })
      .returning({ id: mailOutbox.id })
      .get();
    // after the caller's transaction has committed (it is synchronous): then the worker looks
    if (row) setImmediate(() => onQueued());
    return row?.id ?? null;
  }

  const alerts: KeyAlerts = {
    budgetCrossed(key, level) {
      enqueue({
        kind: level,
        to: key.email,
        lang: key.lang,
        // once per key and budget: a top-up (a new budget) arms both alerts again
        dedupeKey: `${level}:${key.keyId}:${key.budgetNano}`,
        params: {
          key_id: key.keyId,
          budget_usd: formatUsd(key.budgetNano),
          spent_usd: formatUsd(key.spentNano),
          remaining_usd: formatUsd(Math.max(0, key.budgetNano - key.spentNano)),
        },
      });
    },
    expiring(key) {
      enqueue({
        kind: 'expiring',
        to: key.email,
        lang: key.lang,
        // once per key and expiry: a top-up (a later expiry) arms it again
        dedupeKey: `expiring:${key.keyId}:${key.expiresAt}`,
        params: { key_id: key.keyId, expires_at: new Date(key.expiresAt).toISOString(), remaining_usd: formatUsd(Math.max(0, key.budgetNano - key.spentNano)) },
      });
    },
  };

  const where = (f: OutboxFilter): SQL | undefined => {
    const conditions: (SQL | undefined)[] = [];
    if (f.status) conditions.push(eq(mailOutbox.status, f.status));
    if (f.q) {
      const q = `%${f.q.toLowerCase().replace(/[%_\\]/g, '')}%`;
      conditions.push(sql`(lower(${mailOutbox.toEmail}) LIKE ${q} OR ${mailOutbox.params} LIKE ${q})`);
    }
    return conditions.length ? and(...conditions) : undefined;
  };

  return {
    enabled: mail !== undefined,
    enqueue,
    alerts,
    /** The worker's wake-up after a mail was queued. */
    onQueued(listener: () => void) {
      onQueued = listener;
    },

    byId: (id: number): OutboxRow | undefined => db.select().from(mailOutbox).where(eq(mailOutbox.id, id)).get(),
    list(f: OutboxFilter, page: { limit: number; offset: number }) {
      const rows = db.select().from(mailOutbox).where(where(f)).orderBy(desc(mailOutbox.id)).limit(page.limit).offset(page.offset).all();
      const total = db.select({ n: count() }).from(mailOutbox).where(where(f)).get()?.n ?? 0;
      return { rows, total };
    },
    counts(): Record<MailStatus, number> {
      const out: Record<MailStatus, number> = { pending: 0, sending: 0, sent: 0, failed: 0 };
      for (const r of db.select({ status: mailOutbox.status, n: count() }).from(mailOutbox).groupBy(mailOutbox.status).all()) out[r.status] = r.n;
      return out;
    },

    due: (now: number, limit: number): OutboxRow[] =>
      db.select().from(mailOutbox).where(and(eq(mailOutbox.status, 'pending'), lte(mailOutbox.nextAttemptAt, now))).orderBy(mailOutbox.id).limit(limit).all(),
    /** pending → sending, once: only the caller that made the change sends it. */
    claim: (id: number): OutboxRow | undefined =>
      db
        .update(mailOutbox)
        .set({ status: 'sending', attempts: sql`${mailOutbox.attempts} + 1` })
        .where(and(eq(mailOutbox.id, id), eq(mailOutbox.status, 'pending')))
        .returning()
        .get(),
    markSent: (id: number, subject: string, response: string) =>
      db.update(mailOutbox).set({ status: 'sent', subject, smtpResponse: response.slice(0, 500), lastError: null, sentAt: clock.now() }).where(eq(mailOutbox.id, id)).run(),
    markRetry: (id: number, at: number, error: string, subject: string | null) =>
      db.update(mailOutbox).set({ status: 'pending', nextAttemptAt: at, lastError: error.slice(0, 500), smtpResponse: error.slice(0, 500), subject }).where(eq(mailOutbox.id, id)).run(),
    markFailed: (id: number, error: string, subject: string | null) =>
      db.update(mailOutbox).set({ status: 'failed', lastError: error.slice(0, 500), smtpResponse: error.slice(0, 500), subject }).where(eq(mailOutbox.id, id)).run(),
    /**
     * Rows a stopped process left `sending`: it may or may not have handed them to the SMTP
     * server, so they are sent again (the one at-least-once window; the Message-ID stays the same).
     */
    resumeSending: (): number => db.update(mailOutbox).set({ status: 'pending' }).where(eq(mailOutbox.status, 'sending')).returning({ id: mailOutbox.id }).all().length,

    /** A failed or waiting mail is tried again now. */
    retryNow: (id: number): OutboxRow | undefined =>
      db
        .update(mailOutbox)
        .set({ status: 'pending', nextAttemptAt: clock.now() })
        .where(and(eq(mailOutbox.id, id), sql`${mailOutbox.status} IN ('pending', 'failed')`))
        .returning()
        .get(),
    /** A sent mail goes again as a new row (its own Message-ID): the operator's "resend". */
    copyOf(row: OutboxRow): number | null {
      return enqueue({ kind: row.kind, to: row.toEmail, lang: row.lang, params: row.params, resend: true });
    },
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
