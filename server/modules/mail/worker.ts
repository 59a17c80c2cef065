import { createTransport } from 'nodemailer';
import type { MailConfig } from '../../config';
import type { Clock } from '../../lib/clock';
import type { Logger } from '../../lib/log';
import type { Outbox, OutboxRow } from './outbox';
import { renderMail, RenderError, type RenderContext } from './templates';

// Sends what the outbox holds, oldest first, one at a time. A row is claimed (pending → sending)
// before the SMTP conversation and marked sent right after the server accepted it. An SMTP
// failure puts it back with a later next attempt (twice as long each time, at most an hour); a
// permanent refusal (5xx) or three days of failures end it as `failed`, with the server's answer.

const POLL_MS = 1000;
const BATCH = 10;
const MAX_DELAY_MS = 3_600_000;
export const GIVE_UP_AFTER_MS = 3 * 86_400_000;

export interface SendResult {
  response: string;
}

/** What carries a rendered mail to the SMTP server; nodemailer in production and tests alike. */
export interface MailTransport {
  send(mail: { to: string; subject: string; text: string; html: string; messageId: string }): Promise<SendResult>;
  close(): void;
}

interface SmtpFailure {
  message?: string;
  code?: string;
  response?: string;
  responseCode?: number;
  permanent?: boolean;
}

export function smtpTransport(config: MailConfig): MailTransport {
  const transport = createTransport(
    {
      url: config.smtpUrl,
      // A hung server must not hold the worker (or a shutdown) for nodemailer's minutes-long defaults.
      connectionTimeout: 10_000,
      greetingTimeout: 10_000,
      socketTimeout: 30_000,
      // our mails never attach files or fetch URLs
      disableFileAccess: true,
      disableUrlAccess: true,
    },
    { from: config.from },
  );
  return {
    async send(mail) {
      const info = await transport.sendMail({ ...mail, headers: { 'Auto-Submitted': 'auto-generated' } });
      return { response: String(info.response ?? 'accepted') };
    },
    close: () => transport.close(),
  };
}

/** The first retry after `retrySeconds`, then twice as long each time, at most an hour. */
export function retryDelayMs(attempts: number, retrySeconds: number): number {
  return Math.min(MAX_DELAY_MS, retrySeconds * 1000 * 2 ** Math.max(0, attempts - 1));
}

function describe(error: unknown): { text: string; permanent: boolean } {
  const e = (error ?? {}) as SmtpFailure;
  const text = [e.responseCode ? String(e.responseCode) : e.code, e.response ?? e.message ?? String(error)].filter(Boolean).join(' ');
  return { text, permanent: e.permanent === true };
}

export function createMailWorker(deps: {
  outbox: Outbox;
  transport: MailTransport;
  /** what rendering this mail needs (the site's name, its key) */
  context: (row: OutboxRow) => Promise<RenderContext>;
  clock: Clock;
  log: Logger;
  retrySeconds: number;
}) {
  const { outbox, transport, clock, log } = deps;
  let timer: ReturnType<typeof setInterval> | null = null;
  let running: Promise<void> | null = null;
  let again = false;
  let stopped = false;

  async function sendOne(row: OutboxRow): Promise<void> {
    const claimed = await outbox.claim(row.id);
    if (!claimed) return; // someone else (an operator's retry racing a tick) has it
    let subject: string | null = null;
    try {
      const mail = renderMail(claimed, await deps.context(claimed));
      subject = mail.subject;
      const result = await transport.send({ to: claimed.toEmail, messageId: claimed.messageId, ...mail });
      await outbox.markSent(claimed.id, mail.subject, result.response);
      log.info('mail sent', { outbox_id: claimed.id, kind: claimed.kind, attempts: claimed.attempts });
    } catch (error) {
      if (error instanceof RenderError) {
        await outbox.markFailed(claimed.id, `not sent: ${error.message}`, subject);
        log.warn('mail could not be written', { outbox_id: claimed.id, kind: claimed.kind, error: error.message });
        return;
      }
      const { text, permanent } = describe(error);
      const givingUp = clock.now() - claimed.createdAt >= GIVE_UP_AFTER_MS;
      if (permanent || givingUp) {
        await outbox.markFailed(claimed.id, givingUp && !permanent ? `gave up after ${claimed.attempts} attempts: ${text}` : text, subject);
        log.warn('mail failed', { outbox_id: claimed.id, kind: claimed.kind, attempts: claimed.attempts, error: text });
      } else {
        const at = clock.now() + retryDelayMs(claimed.attempts, deps.retrySeconds);
        await outbox.markRetry(claimed.id, at, text, subject);
        log.warn('mail not sent yet, will retry', { outbox_id: claimed.id, kind: claimed.kind, attempts: claimed.attempts, retry_at: new Date(at).toISOString(), error: text });
      }
    }
  }

  async function drain(): Promise<void> {
    do {
      again = false;
      for (;;) {
        const due = await outbox.due(clock.now(), BATCH);
        if (due.length === 0) break;
        for (const row of due) {
          if (stopped) return;
          await sendOne(row);
        }
      }
    } while (again);
  }

  /** One pass over what is due, after the pass already running (passes never overlap). */
  function tick(): Promise<void> {
    if (running) {
      again = true;
      return running;
    }
    running = drain()
      .catch((error: unknown) => log.error('mail worker pass failed', { error: error instanceof Error ? (error.stack ?? error.message) : String(error) }))
      .finally(() => {
        running = null;
      });
    return running;
  }

  return {
    async start(): Promise<void> {
      if (timer) return;
      stopped = false;
      timer = setInterval(() => void tick(), POLL_MS);
      timer.unref?.();
      const resumed = await outbox.resumeSending();
      if (resumed > 0) log.warn('mail: sending again what a stopped process may not have sent', { mails: resumed });
      outbox.onQueued(() => void tick());
      void tick();
    },
    /** Sends everything due now and resolves when done (tests, the operator's retry). */
    async runNow(): Promise<void> {
      await tick();
      while (running) await running;
    },
    async stop(): Promise<void> {
      stopped = true;
      if (timer) clearInterval(timer);
      timer = null;
      outbox.onQueued(() => {});
      await running;
      transport.close();
    },
  };
}

export type MailWorker = ReturnType<typeof createMailWorker>;
