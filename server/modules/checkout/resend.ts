import { createHash } from 'node:crypto';
import { Err } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { Logger } from '../../lib/log';
import type { Outbox } from '../mail/outbox';
import { receiptMail } from '../mail/receipt';
import type { AddressLockout } from '../metering/counters';
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

export function createReceiptResends(deps: { store: CheckoutStore; settlement: Settlement; outbox: Outbox; lookups: AddressLockout; perEmail: AddressLockout; clock: Clock; log: Logger }) {
  const { store, settlement, outbox, lookups, perEmail, log } = deps;

  async function queue(email: string): Promise<void> {
    let queued = 0;
    for (const order of await store.paidOrdersOf(email, RESEND_MAX_ORDERS)) {
      const facts = await settlement.receiptFacts(order);
      if (facts && (await outbox.enqueue(receiptMail(facts, true))) !== null) queued++;
    }
    if (queued > 0) log.info('receipts queued again', { mails: queued });
  }

  return {
    async request(input: { email: string; ip: string }): Promise<{ accepted: true }> {
      if (!outbox.enabled) throw Err.serviceUnavailable('Mail is off on this gateway: receipts cannot be sent. Check your order with its number and email instead.', 'mail_disabled');
      const wait = await lookups.retryAfterSeconds(input.ip);
      if (wait > 0) throw Err.lookupRateLimited(wait);
      const email = normalizeEmail(input.email);
      if (!email) throw Err.invalidField('email', 'not a valid email address');
      const address = sha256(email);
      const waitAddress = await perEmail.retryAfterSeconds(address);
      if (waitAddress > 0) throw Err.lookupRateLimited(waitAddress);
      await lookups.fail(input.ip);
      await perEmail.fail(address);
      setTimeout(() => {
        queue(email).catch((error: unknown) => {
          log.error('queuing receipts again failed', { error: error instanceof Error ? error.message : String(error) });
        });
      }, 0);
      return { accepted: true };
    },
    clear: () => perEmail.clear(),
  };
}
