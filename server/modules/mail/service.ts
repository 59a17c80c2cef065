import type { Config } from '../../config';
import { Err } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { Logger } from '../../lib/log';
import type { SiteSettingsService } from '../catalog/site';
import type { MeteringService } from '../metering/service';
import type { Outbox, OutboxFilter, OutboxRow } from './outbox';
import type { RenderContext } from './templates';
import { createMailWorker, smtpTransport, type MailTransport } from './worker';

/** How often keys close to their expiry are looked for. */
export const EXPIRING_SWEEP_MS = 10 * 60_000;

/**
 * The buyers' mail: the outbox (queued by checkout and metering inside their transactions), the
 * worker that sends it, the sweep that queues "expiring" notices, and the operator's view.
 */
export function createMailService(deps: {
  config: Config;
  outbox: Outbox;
  clock: Clock;
  log: Logger;
  site: SiteSettingsService;
  metering: MeteringService;
  /** a transport other than SMTP (never used outside tests that want one) */
  transport?: MailTransport;
}) {
  const { config, outbox, log, metering } = deps;
  const mail = config.mail;
  const context = async (row: OutboxRow): Promise<RenderContext> => {
    const keyId = (row.params as Record<string, unknown>).key_id;
    const key = typeof keyId === 'string' ? await metering.keyById(keyId) : undefined;
    return {
      siteName: deps.site.get().siteName,
      publicUrl: config.publicUrl,
      keyOf: (id) => (key && key.id === id ? { hint: key.keyHint, secret: metering.revealKey(key) } : undefined),
    };
  };
  const worker = mail
    ? createMailWorker({ outbox, transport: deps.transport ?? smtpTransport(mail), context, clock: deps.clock, log, retrySeconds: mail.retrySeconds })
    : null;
  let sweepTimer: ReturnType<typeof setInterval> | null = null;
  let firstSweep: ReturnType<typeof setTimeout> | null = null;

  async function sweepNow(): Promise<number> {
    try {
      return await metering.sweepExpiringKeys();
    } catch (error) {
      log.warn('expiring-key sweep failed', { error: error instanceof Error ? error.message : String(error) });
      return 0;
    }
  }

  return {
    enabled: worker !== null,
    /** "smtp://host:587" and the sender, for the console; never the password */
    server: mail?.server ?? null,
    from: mail?.from ?? null,

    list: (f: OutboxFilter, page: { limit: number; offset: number }) => outbox.list(f, page),
    counts: () => outbox.counts(),
    byId: (id: number) => outbox.byId(id),

    /**
     * The operator's resend: a failed or waiting mail is tried again now; a sent one goes again
     * as a copy. Answers the row that will be sent.
     */
    async resend(id: number): Promise<OutboxRow> {
      if (!worker) throw Err.serviceUnavailable('Mail is off: set TOLLGATE_SMTP_URL and TOLLGATE_MAIL_FROM.', 'mail_disabled');
      const row = await outbox.byId(id);
      if (!row) throw Err.adminNotFound('mail', String(id));
      if (row.status === 'sending') throw Err.conflict(`mail ${id} is being sent right now`);
      const again = row.status === 'sent' ? await outbox.byId((await outbox.copyOf(row)) ?? -1) : await outbox.retryNow(id);
      if (!again) throw Err.conflict(`mail ${id} could not be queued again`);
      return again;
    },

    /** Queues the "expiring" notices due now (also run every 10 minutes). */
    sweepNow,
    /** Sends everything due now; resolves when done (tests). */
    runNow: async () => {
      await worker?.runNow();
    },

    start(): void {
      if (!worker) return;
      worker.start().catch((error: unknown) => log.error('the mail worker did not start', { error: String(error) }));
      sweepTimer = setInterval(() => void sweepNow(), EXPIRING_SWEEP_MS);
      sweepTimer.unref?.();
      firstSweep = setTimeout(() => void sweepNow(), 0);
      log.info('mail on', { server: mail?.server });
    },
    async stop(): Promise<void> {
      if (sweepTimer) clearInterval(sweepTimer);
      if (firstSweep) clearTimeout(firstSweep);
      sweepTimer = null;
      await worker?.stop();
    },
  };
}

export type MailService = ReturnType<typeof createMailService>;
