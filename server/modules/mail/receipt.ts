import type { MailLang } from '../../db/schema';
import { formatUsd } from '../../lib/money';
import type { QueuedMail } from './outbox';

// The receipt of a paid order as an outbox entry: the order's facts fixed when it is queued (the
// key is read when it is sent). One per order (dedupe), except copies asked for again.

export interface ReceiptFacts {
  order: { id: string; paypalOrderId: string | null; email: string; lang: MailLang; amountNano: number; topupKeyId: string | null };
  keyId: string;
  planName: string;
  budgetAddedNano: number;
  validityDays: number;
  expiresAt: number | null;
}

export function receiptMail(facts: ReceiptFacts, resend = false): QueuedMail {
  const { order } = facts;
  return {
    kind: 'receipt',
    to: order.email,
    lang: order.lang,
    dedupeKey: resend ? null : `receipt:${order.id}`,
    resend,
    params: {
      order_id: order.id,
      paypal_order_id: order.paypalOrderId,
      plan_name: facts.planName,
      amount_usd: formatUsd(order.amountNano),
      budget_added_usd: formatUsd(facts.budgetAddedNano),
      validity_days: facts.validityDays,
      expires_at: facts.expiresAt === null ? null : new Date(facts.expiresAt).toISOString(),
      key_id: facts.keyId,
      topup: order.topupKeyId !== null,
    },
  };
}
