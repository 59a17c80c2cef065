import type { Tx } from '../../backend';
import type { MailLang } from '../../db/schema';

// The moments a buyer is mailed about a key: its spend crossing 80 % and 100 % of the budget, and
// its expiry coming within three days. Metering finds them inside its own transactions and hands
// them to these hooks, which write them (the mail outbox) in the same transaction.

export type BudgetLevel = 'low_budget' | 'exhausted';

/** "Low budget" once this share of the budget is spent. */
export const LOW_BUDGET_SHARE = 0.8;
/** The "expiring" mail goes this long before the key expires. */
export const EXPIRING_NOTICE_MS = 3 * 86_400_000;

export interface AlertKey {
  keyId: string;
  email: string;
  lang: MailLang;
  budgetNano: number;
  spentNano: number;
}

/** Written in the transaction that causes them (`tx`): they commit with it, or not at all. */
export interface KeyAlerts {
  budgetCrossed(tx: Tx, key: AlertKey, level: BudgetLevel): Promise<void>;
  expiring(tx: Tx, key: AlertKey & { expiresAt: number }): Promise<void>;
}

const reached = (spent: number, budget: number, share: number) => budget > 0 && spent >= Math.ceil(budget * share);

/**
 * The level a spend from `before` to `after` reached, if any; the higher one when it reached both.
 * "Exhausted" is 100 %: the budget spent, or what is left is below `nextFloor`, the smallest hold
 * the request just paid for would need again (its prompt at the cache-miss price and the output
 * floor, at peak), so that the next one like it is refused. Near the end requests are clamped to
 * what fits and then refused, so the spent total rarely lands exactly on the budget; and off-peak a
 * request costs half its peak-priced hold, so comparing with its cost would never fire. The outbox keeps
 * one mail per key, level and budget, so reaching a level again adds nothing.
 */
export function crossedLevel(before: number, after: number, budget: number, nextFloor: number): BudgetLevel | null {
  if (budget <= 0) return null;
  if (after >= budget || budget - after < nextFloor) return 'exhausted';
  if (reached(after, budget, LOW_BUDGET_SHARE) && !reached(before, budget, LOW_BUDGET_SHARE)) return 'low_budget';
  return null;
}

export const mailLang = (lang: string | null | undefined): MailLang => (lang === 'zh' ? 'zh' : 'en');
