import { desc, eq } from 'drizzle-orm';
import type { DB } from '../../db/client';
import { credits, type KeyStatus, type MailLang } from '../../db/schema';
import { Err } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { CatalogService } from '../catalog/service';
import type { PlanRow } from '../catalog/store';
import type { KeyRow, MeteringStore } from './store';

// What a paid order puts on a key: a new key's first budget, or a top-up of an existing key
// (budget added, expiry extended, a plan with more models). One `credits` row per order, in the
// caller's crediting transaction; the order id is unique there, so an order credits once.

const DAY_MS = 86_400_000;

export type CreditRow = typeof credits.$inferSelect;

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

export function createCredits(deps: { db: DB; store: MeteringStore; catalog: CatalogService; clock: Clock }) {
  const { db, store, catalog, clock } = deps;

  function insertCredit(row: typeof credits.$inferInsert): CreditRow {
    const inserted = db.insert(credits).values(row).onConflictDoNothing({ target: credits.orderId }).returning().get();
    if (!inserted) throw new Error(`order ${row.orderId} has already credited a key`);
    return inserted;
  }

  return {
    /** Records a new key's first purchase (the key was just made for the order). */
    recordPurchase(key: KeyRow, input: { orderId: string; amountNano: number }): CreditRow {
      return insertCredit({
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
     * A paid top-up: the plan's budget added, the expiry extended, the plan moved up when it has
     * more models. The key string stays. An exhausted or expired key works again; one the operator
     * (or a refund) disabled after the order was placed keeps its money and stays disabled.
     */
    topUpFromOrder(input: TopUpInput): { key: KeyRow; credit: CreditRow } {
      const key = store.keyById(input.keyId);
      if (!key) throw Err.invalidField('key', 'no such key');
      const plan = catalog.plan(input.planId);
      if (!plan) throw Err.invalidField('plan_id', `unknown plan "${input.planId}"`);
      const now = clock.now();
      const budgetNano = key.budgetNano + plan.budgetNano;
      const expiresAt = extendedExpiry(key.expiresAt, plan.validityDays, now);
      const planId = hasMoreModels(catalog.plan(key.planId), plan) ? plan.id : key.planId;
      let status: KeyStatus = key.status;
      if (key.status !== 'disabled') status = expiresAt !== null && expiresAt <= now ? 'expired' : budgetNano <= key.spentNano ? 'exhausted' : 'active';
      const updated = store.update(key.id, {
        budgetNano,
        expiresAt,
        planId,
        status,
        statusReason: status === 'disabled' ? key.statusReason : null,
        lang: input.lang,
        ...(key.email === null ? { email: input.email } : {}),
      });
      if (!updated) throw Err.invalidField('key', 'no such key');
      const credit = insertCredit({
        keyId: key.id,
        orderId: input.orderId,
        kind: 'topup',
        amountNano: input.amountNano,
        budgetAddedNano: plan.budgetNano,
        expiresBefore: key.expiresAt,
        expiresAfter: expiresAt,
        planBefore: key.planId,
        planAfter: planId,
        createdAt: now,
      });
      return { key: updated, credit };
    },

    creditsOf: (keyId: string): CreditRow[] => db.select().from(credits).where(eq(credits.keyId, keyId)).orderBy(desc(credits.id)).all(),
    creditOfOrder: (orderId: string): CreditRow | undefined => db.select().from(credits).where(eq(credits.orderId, orderId)).get(),
  };
}
