import { createHash } from 'node:crypto';
import { Err } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { Logger } from '../../lib/log';
import type { Outbox } from '../mail/outbox';
import { receiptMail } from '../mail/receipt';
import { createFailureLimiter, type FailureLimiter } from '../metering/auth-failures';
import { normalizeEmail } from './email';
import type { Settlement } from './settle';
import type { CheckoutStore } from './store';

// POST /api/orders/resend: every paid order of an address gets its receipt again. The answer is
// the same whether or not the address ever bought anything, and the work happens after it, so
// neither the body nor the time tells. Limited per client address (with lookups) and per address.

/** Receipt resends per email address per window (on top of the per-client-address lookup limit). */
export const RESEND_PER_EMAIL_LIMIT = 3;
export const RESEND_WINDOW_MS = 60 * 60_000;
/** At most this many of an address's paid orders are mailed again, the newest. */
export const RESEND_MAX_ORDERS = 20;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

export function createReceiptResends(deps: { store: CheckoutStore; settlement: Settlement; outbox: Outbox; lookups: FailureLimiter; clock: Clock; log: Logger }) {
  const { store, settlement, outbox, lookups, log } = deps;
  const perEmail = createFailureLimiter({ limit: RESEND_PER_EMAIL_LIMIT, windowMs: RESEND_WINDOW_MS, now: () => deps.clock.now() });

  function queue(email: string): void {
    let queued = 0;
    for (const order of store.paidOrdersOf(email, RESEND_MAX_ORDERS)) {
      const facts = settlement.receiptFacts(order);
      if (facts && outbox.enqueue(receiptMail(facts, true)) !== null) queued++;
    }
    if (queued > 0) log.info('receipts queued again', { mails: queued });
  }

  return {
    request(input: { email: string; ip: string }): { accepted: true } {
      if (!outbox.enabled) throw Err.serviceUnavailable('Mail is off on this gateway: receipts cannot be sent. Check your order with its number and email instead.', 'mail_disabled');
      const wait = lookups.retryAfterSeconds(input.ip);
      if (wait > 0) throw Err.lookupRateLimited(wait);
      const email = normalizeEmail(input.email);
      if (!email) throw Err.invalidField('email', 'not a valid email address');
      const address = sha256(email);
      const waitAddress = perEmail.retryAfterSeconds(address);
      if (waitAddress > 0) throw Err.lookupRateLimited(waitAddress);
      lookups.fail(input.ip);
      perEmail.fail(address);
      setTimeout(() => {
        try {
          queue(email);
        } catch (error) {
          log.error('queuing receipts again failed', { error: error instanceof Error ? error.message : String(error) });
        }
      }, 0);
      return { accepted: true };
    },
    clear: () => perEmail.clear(),
  };
}
