import type { DB } from '../../db/client';

// The overview's money figures beyond cash in and list-price cost (store.ts): what buyers paid
// for the budget they used in the window, and the budget still owed to them. Read-only queries
// over metering's and checkout's tables, like the rest of the admin store.

const utcDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);

export interface EarnedRow {
  keyId: string;
  /** the key's budget now: bought, topped up, lowered by refunds */
  budgetNano: number;
  /** what was paid for the key: its paid orders (purchase and top-ups) net of refunds */
  paidNano: number;
  /** its buyer spend in the window */
  spentNano: number;
}

export function createOverviewFigures(db: DB) {
  const sqlite = db.$client;
  const earned = sqlite.prepare<EarnedRow, { since: number; sinceDate: string }>(
    `SELECT k.id AS keyId, k.budget_nano AS budgetNano, s.spent AS spentNano,
       coalesce((SELECT sum(o.amount_nano - coalesce((SELECT sum(p.refunded_nano) FROM payments p WHERE p.order_id = o.id), 0))
                 FROM orders o WHERE o.key_id = k.id AND o.paid_at IS NOT NULL AND o.status <> 'reversed'), 0) AS paidNano
     FROM (SELECT key_id, sum(spent) AS spent FROM (
             SELECT key_id, sum(cost_nano) AS spent FROM ledger WHERE started_at >= $since GROUP BY key_id
             UNION ALL
             SELECT key_id, sum(cost_nano) AS spent FROM ledger_daily WHERE date >= $sinceDate GROUP BY key_id)
           GROUP BY key_id) s
     JOIN api_keys k ON k.id = s.key_id
     WHERE s.spent > 0`,
  );
  const owed = sqlite.prepare<{ owedNano: number; keys: number }, { now: number }>(
    `SELECT coalesce(sum(budget_nano - spent_nano), 0) AS owedNano, count(*) AS keys FROM api_keys
     WHERE status = 'active' AND (expires_at IS NULL OR expires_at > $now) AND budget_nano > spent_nano`,
  );
  return {
    /**
     * Revenue earned by use: each key's spend in the window at the price its buyer paid per dollar
     * of budget (paid ÷ budget). A key the operator gave away (nothing paid) earns nothing.
     */
    earnedSince(sinceMs: number): number {
      let total = 0n;
      for (const row of earned.all({ since: sinceMs, sinceDate: utcDate(sinceMs) })) {
        if (row.budgetNano <= 0 || row.paidNano <= 0) continue;
        total += (BigInt(row.spentNano) * BigInt(row.paidNano)) / BigInt(row.budgetNano);
      }
      return Number(total);
    },
    /** The budget still owed to buyers: what is left on every active key that has not expired. */
    owed: (now: number) => owed.get({ now }) ?? { owedNano: 0, keys: 0 },
  };
}

export type OverviewFigures = ReturnType<typeof createOverviewFigures>;
