import type { Stores, Tx } from '../../backend';
import type { MailConfig } from '../../config';
import type { MailKind, MailLang } from '../../db/schema';
import type { Clock } from '../../lib/clock';
import { randomBase62 } from '../../lib/keys';
import { formatUsd } from '../../lib/money';
import type { KeyAlerts } from '../metering/alerts';
import type { OutboxFilter, OutboxRow } from './store';

// The outbox: mail is queued inside the transaction of what causes it (the caller's `tx`) and
// sent later by the worker. Without mail configured nothing is queued: mail switched on later
// does not send a backlog of stale receipts and alerts.

export type { OutboxFilter, OutboxRow } from './store';

export interface QueuedMail {
  kind: MailKind;
  to: string;
  lang: MailLang;
  params: Record<string, unknown>;
  /** a mail that must go once: queuing it again does nothing */
  dedupeKey?: string | null;
  resend?: boolean;
}

/** "Name <noreply@example.com>" → "example.com": the right-hand side of our Message-IDs. */
export function senderDomain(from: string): string {
  const match = /@([^\s<>@]+?)>?\s*$/.exec(from);
  return match?.[1] ?? 'localhost';
}

export function createOutbox(deps: { stores: Stores; clock: Clock; mail: MailConfig | undefined }) {
  const { stores, clock, mail } = deps;
  const domain = mail ? senderDomain(mail.from) : 'localhost';
  let onQueued: () => void = () => {};
  const wake = () => setImmediate(() => onQueued());

  /** Queues a mail, in `tx` when given (the worker is woken once it commits); answers its id, null when not queued. */
  async function enqueue(input: QueuedMail, tx?: Tx): Promise<number | null> {
    if (!mail) return null;
    const now = clock.now();
    const id = await (tx ?? stores).outbox.insert({
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
    });
    if (id === undefined) return null;
    if (tx) tx.afterCommit(wake);
    else wake();
    return id;
  }

  const alerts: KeyAlerts = {
    async budgetCrossed(tx, key, level) {
      await enqueue(
        {
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
        },
        tx,
      );
    },
    async expiring(tx, key) {
      await enqueue(
        {
          kind: 'expiring',
          to: key.email,
          lang: key.lang,
          // once per key and expiry: a top-up (a later expiry) arms it again
          dedupeKey: `expiring:${key.keyId}:${key.expiresAt}`,
          params: { key_id: key.keyId, expires_at: new Date(key.expiresAt).toISOString(), remaining_usd: formatUsd(Math.max(0, key.budgetNano - key.spentNano)) },
        },
        tx,
      );
    },
  };

  const store = stores.outbox;
  return {
    enabled: mail !== undefined,
    enqueue,
    alerts,
    /** The worker's wake-up after a mail was queued. */
    onQueued(listener: () => void) {
      onQueued = listener;
    },

    byId: (id: number): Promise<OutboxRow | undefined> => store.byId(id),
    list: (f: OutboxFilter, page: { limit: number; offset: number }) => store.list(f, page),
    counts: () => store.counts(),
    due: (now: number, limit: number): Promise<OutboxRow[]> => store.due(now, limit),
    claim: (id: number): Promise<OutboxRow | undefined> => store.claim(id),
    markSent: (id: number, subject: string, response: string) => store.markSent(id, subject, response, clock.now()),
    markRetry: (id: number, at: number, error: string, subject: string | null) => store.markRetry(id, at, error, subject),
    markFailed: (id: number, error: string, subject: string | null) => store.markFailed(id, error, subject),
    /**
     * Rows a stopped process left `sending`: it may or may not have handed them to the SMTP
     * server, so they are sent again (the one at-least-once window; the Message-ID stays the same).
     */
    resumeSending: (): Promise<number> => store.resumeSending(),
    /** A failed or waiting mail is tried again now. */
    retryNow: (id: number): Promise<OutboxRow | undefined> => store.retryNow(id, clock.now()),
    /** A sent mail goes again as a new row (its own Message-ID): the operator's "resend". */
    copyOf: (row: OutboxRow): Promise<number | null> => enqueue({ kind: row.kind, to: row.toEmail, lang: row.lang, params: row.params as Record<string, unknown>, resend: true }),
  };
}

export type Outbox = ReturnType<typeof createOutbox>;
