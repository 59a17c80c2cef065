import type { mailOutbox, MailStatus } from '../../db/schema';

// The mail outbox table. One implementation per backend (store.sqlite.ts; store.pg.ts to come).

export type OutboxRow = typeof mailOutbox.$inferSelect;
export type NewOutboxRow = typeof mailOutbox.$inferInsert;

export interface OutboxFilter {
  status?: MailStatus;
  /** the address, an order id or a key id (anywhere in the mail's parameters) */
  q?: string;
}

export interface OutboxStore {
  /** the new row's id; undefined when a mail with the same dedupe key is in the outbox already */
  insert(row: NewOutboxRow): Promise<number | undefined>;
  byId(id: number): Promise<OutboxRow | undefined>;
  /** newest first */
  list(filter: OutboxFilter, page: { limit: number; offset: number }): Promise<{ rows: OutboxRow[]; total: number }>;
  counts(): Promise<Record<MailStatus, number>>;
  /** pending mail whose next attempt is due, oldest first */
  due(now: number, limit: number): Promise<OutboxRow[]>;
  /** pending → sending, once (attempts + 1): only the caller that made the change sends it */
  claim(id: number): Promise<OutboxRow | undefined>;
  markSent(id: number, subject: string, response: string, at: number): Promise<void>;
  markRetry(id: number, at: number, error: string, subject: string | null): Promise<void>;
  markFailed(id: number, error: string, subject: string | null): Promise<void>;
  /** sending → pending for every row a stopped process left half done; answers how many */
  resumeSending(): Promise<number>;
  /** a failed or waiting mail is due again at `at` */
  retryNow(id: number, at: number): Promise<OutboxRow | undefined>;
}
