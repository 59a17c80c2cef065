import type { Stores, Tx } from '../../backend';
import type { MailLang } from '../../db/schema';
import { Err } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { InvalidationBus } from '../../lib/invalidation';
import type { CatalogService } from '../catalog/service';
import type { PlanRow } from '../catalog/store';
import type { CreditRow, KeyRow, NewCreditRow } from './store';

// What a paid order puts on a key: a new key's first budget, or a top-up of an existing key
// (budget added, expiry extended, a plan with more models). One `credits` row per order, in the
// caller's crediting transaction; the order id is unique there, so an order credits once.

const DAY_MS = 86_400_000;

export type { CreditRow } from './store';

export interface TopUpInput {
  keyId: string;
  orderId: string;
  planId: string;
  amountNano: number;
  lang: MailLang;
  /** the buyer's address: becomes the key's when it has none (a key the operator made) */
  email: string;
}

/** True when `next` has every model of `current` and at least one more: a move that never loses a model. */
export function hasMoreModels(current: PlanRow | undefined, next: PlanRow): boolean {
  if (!current) return true;
  const have = new Set(current.models);
  return next.models.length > have.size && current.models.every((m) => next.models.includes(m));
}

/** The expiry after a top-up: the plan's validity on top of the later of now and the current expiry. */
export function extendedExpiry(current: number | null, validityDays: number, now: number): number | null {
  if (current === null || validityDays <= 0) return null; // a key that never expires stays so; so does a plan without validity
  return Math.max(now, current) + validityDays * DAY_MS;
}

export function createCredits(deps: { stores: Stores; bus: InvalidationBus; catalog: CatalogService; clock: Clock }) {
  const { stores, bus, catalog, clock } = deps;

  async function insertCredit(tx: Tx, row: NewCreditRow): Promise<CreditRow> {
    const inserted = await tx.metering.insertCredit(row);
    if (!inserted) throw new Error(`order ${row.orderId} has already credited a key`);
    return inserted;
  }

  return {
    /** Records a new key's first purchase (the key was just made for the order), in the crediting transaction. */
    recordPurchase(tx: Tx, key: KeyRow, input: { orderId: string; amountNano: number }): Promise<CreditRow> {
      return insertCredit(tx, {
        keyId: key.id,
        orderId: input.orderId,
        kind: 'purchase',
        amountNano: input.amountNano,
        budgetAddedNano: key.budgetNano,
        expiresBefore: null,
        expiresAfter: key.expiresAt,
        planBefore: null,
        planAfter: key.planId,
        createdAt: clock.now(),
      });
    },

    /**
     * A paid top-up, in the crediting transaction: the plan's budget added in the statement
     * itself (budget_nano + x), the expiry extended and the plan moved up when it has more models,
     * both worked out from the key's row as locked for this transaction. The key string stays. An
     * exhausted or expired key works again; one the operator (or a refund) disabled after the
     * order was placed keeps its money and stays disabled. Answers the key before and after.
     */
    async topUpFromOrder(tx: Tx, input: TopUpInput): Promise<{ before: KeyRow; key: KeyRow; credit: CreditRow }> {
      const before = await tx.metering.lockKey(input.keyId);
      if (!before) throw Err.invalidField('key', 'no such key');
      const plan = catalog.plan(input.planId);
      if (!plan) throw Err.invalidField('plan_id', `unknown plan "${input.planId}"`);
      const now = clock.now();
      const expiresAt = extendedExpiry(before.expiresAt, plan.validityDays, now);
      const planId = hasMoreModels(catalog.plan(before.planId), plan) ? plan.id : before.planId;
      const key = await tx.metering.applyTopUp(before.id, { addNano: plan.budgetNano, expiresAt, planId, lang: input.lang, email: input.email, now });
      if (!key) throw Err.invalidField('key', 'no such key');
      tx.afterCommit(() => bus.publish('keys', key.id));
      const credit = await insertCredit(tx, {
        keyId: key.id,
        orderId: input.orderId,
        kind: 'topup',
        amountNano: input.amountNano,
        budgetAddedNano: plan.budgetNano,
        expiresBefore: before.expiresAt,
        expiresAfter: expiresAt,
        planBefore: before.planId,
        planAfter: planId,
        createdAt: now,
      });
      return { before, key, credit };
    },

    creditsOf: (keyId: string): Promise<CreditRow[]> => stores.metering.creditsOf(keyId),
    creditOfOrder: (orderId: string, tx?: Tx): Promise<CreditRow | undefined> => (tx ?? stores).metering.creditOfOrder(orderId),
  };
}
