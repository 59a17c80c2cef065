import type { EarnedRow } from './store';

// The overview's money figures beyond cash in and list-price cost: what buyers paid for the budget
// they used in the window (the rows come from the admin store: earnedRows, owed).

/**
 * Revenue earned by use: each key's spend in the window at the price its buyer paid per dollar
 * of budget (paid ÷ budget). A key the operator gave away (nothing paid) earns nothing.
 */
export function earnedNano(rows: EarnedRow[]): number {
  let total = 0n;
  for (const row of rows) {
    if (row.budgetNano <= 0 || row.paidNano <= 0) continue;
    total += (BigInt(row.spentNano) * BigInt(row.paidNano)) / BigInt(row.budgetNano);
  }
  return Number(total);
}
