import type { Tx } from '../../backend';
import { formatUsd } from '../../lib/money';
import type { AuditLog } from '../admin/audit';
import type { CatalogService } from '../catalog/service';
import { planNameIn } from '../catalog/views';
import type { ReceiptFacts } from '../mail/receipt';
import type { MeteringService } from '../metering/service';
import type { OrderRow } from './store';

// What a paid order puts on a key, inside the settlement's transaction: a new key and its first
// credit, or a top-up of the key the order names. And what its receipt says.

export function createCrediting(deps: { metering: MeteringService; audit: AuditLog; catalog: CatalogService }) {
  const { metering, audit, catalog } = deps;
  const usd = (nano: number | null) => (nano === null ? null : formatUsd(nano));
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

  return {
    /** A new key for the order, with its purchase recorded; answers the key id. */
    async issueKey(tx: Tx, order: OrderRow): Promise<string> {
      const { row } = await metering.createKey({ planId: order.planId, email: order.email, orderId: order.id, lang: order.lang }, tx);
      await metering.recordPurchase(tx, row, { orderId: order.id, amountNano: order.amountNano });
      return row.id;
    },

    /** The order's plan added to an existing key (budget, expiry, maybe the plan); answers the key id. */
    async topUp(tx: Tx, order: OrderRow, keyId: string): Promise<string> {
      const { before, key, credit } = await metering.topUpFromOrder(tx, { keyId, orderId: order.id, planId: order.planId, amountNano: order.amountNano, lang: order.lang, email: order.email });
      await audit.record(
        {
          actor: 'paypal',
          action: 'key.topup_paid',
          target: keyId,
          before: { budget_usd: usd(before.budgetNano), expires_at: iso(credit.expiresBefore), plan_id: credit.planBefore, status: before.status },
          after: { budget_usd: usd(key.budgetNano), expires_at: iso(credit.expiresAfter), plan_id: credit.planAfter, status: key.status, order_id: order.id },
        },
        tx,
      );
      return keyId;
    },

    /** What the receipt of a paid order says (also for a copy asked for later); in `tx` inside a transaction. */
    async receiptFacts(order: OrderRow, tx?: Tx): Promise<ReceiptFacts | null> {
      if (!order.keyId) return null;
      const credit = await metering.creditOfOrder(order.id, tx);
      const plan = catalog.plan(order.planId);
      const key = credit ? undefined : await metering.keyById(order.keyId, tx);
      return {
        order,
        keyId: order.keyId,
        planName: planNameIn(plan, order.planId, order.lang),
        budgetAddedNano: credit?.budgetAddedNano ?? plan?.budgetNano ?? 0,
        validityDays: plan?.validityDays ?? 0,
        expiresAt: credit ? credit.expiresAfter : (key?.expiresAt ?? null),
      };
    },
  };
}
