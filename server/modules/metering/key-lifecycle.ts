import type { Stores, Tx } from '../../backend';
import type { KeyStatus, MailLang } from '../../db/schema';
import { within, type UnitOfWork } from '../../db/unit-of-work';
import { Err } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { Sealer } from '../../lib/crypto';
import type { InvalidationBus } from '../../lib/invalidation';
import { generateApiKey, hashApiKey, keyHint, randomBase62, randomId } from '../../lib/keys';
import { formatUsd } from '../../lib/money';
import type { CatalogService } from '../catalog/service';
import type { KeyRow, MeteringStore } from './store';

// A key's life outside the request path: issued (by an order or the operator), topped up,
// refunded, rotated, edited, frozen. Each change is one statement (budgets move in the statement
// itself, never read-change-write), in the caller's transaction when it passes one (`tx`); the
// key's cached row is dropped everywhere once it commits (the 'keys' topic).

const DAY_MS = 86_400_000;

export interface CreateKeyInput {
  planId: string;
  budgetNano?: number;
  email?: string | null;
  note?: string | null;
  rpmOverride?: number | null;
  concurrencyOverride?: number | null;
  expiresDays?: number | null;
  orderId?: string | null;
  /** the language its mails are written in (an order's), default English */
  lang?: MailLang | null;
}

/** What an operator may change on a key (admin API); every field optional. */
export interface KeyPatch {
  budgetNano?: number;
  planId?: string;
  expiresAt?: number | null;
  status?: 'active' | 'disabled';
  note?: string | null;
  rpmOverride?: number | null;
  concurrencyOverride?: number | null;
  showReasoning?: boolean | null;
}

export function createKeyLifecycle(deps: { stores: Stores; uow: UnitOfWork<Tx>; bus: InvalidationBus; catalog: CatalogService; clock: Clock; sealer: Sealer; keyPrefix: string }) {
  const { stores, uow, bus, catalog, clock, sealer, keyPrefix } = deps;

  /**
   * A write to one key, in `tx` when given, else in a transaction of its own: either way the
   * cached copies of the key (rows, known budgets) are dropped as it commits, so that no request
   * is admitted on a budget that is no longer there.
   */
  function write(tx: Tx | undefined, keyId: string, statement: (store: MeteringStore) => Promise<KeyRow | undefined>): Promise<KeyRow | undefined> {
    return within(uow, tx, async (t) => {
      const row = await statement(t.metering);
      t.afterCommit(() => bus.publish('keys', keyId));
      return row;
    });
  }

  const noSuchKey = () => Err.invalidField('key', 'no such key');

  return {
    async createKey(input: CreateKeyInput, tx?: Tx): Promise<{ key: string; row: KeyRow }> {
      const plan = catalog.plan(input.planId);
      if (!plan) throw Err.invalidField('plan_id', `unknown plan "${input.planId}"`);
      const key = generateApiKey(keyPrefix);
      const now = clock.now();
      const validityDays = input.expiresDays ?? plan.validityDays;
      const row = await (tx ?? stores).metering.insertKey({
        id: randomId('key_', 16),
        keyHash: hashApiKey(key),
        keyEncrypted: sealer.seal(key),
        keyHint: keyHint(key, keyPrefix),
        planId: plan.id,
        budgetNano: input.budgetNano ?? plan.budgetNano,
        spentNano: 0,
        status: 'active' as const,
        expiresAt: validityDays > 0 ? now + validityDays * DAY_MS : null,
        email: input.email ?? null,
        note: input.note ?? null,
        rpmOverride: input.rpmOverride ?? null,
        concurrencyOverride: input.concurrencyOverride ?? null,
        upstreamUserId: `tg-${randomBase62(24)}`,
        orderId: input.orderId ?? null,
        lang: input.lang ?? null,
        createdAt: now,
      });
      return { key, row };
    },

    revealKey: (row: KeyRow): string => sealer.open(row.keyEncrypted),

    /** Adds to the budget (budget_nano + nano); an exhausted key with money again becomes active. */
    async topUp(keyId: string, nano: number, tx?: Tx): Promise<KeyRow> {
      if (!Number.isSafeInteger(nano) || nano <= 0) throw Err.invalidField('amount', 'must be a positive amount');
      const row = await write(tx, keyId, (store) => store.addBudget(keyId, nano));
      if (!row) throw noSuchKey();
      return row;
    },

    async setStatus(keyId: string, status: KeyStatus, reason: string | null = null, tx?: Tx): Promise<KeyRow> {
      const row = await write(tx, keyId, (store) => store.setStatus(keyId, status, reason));
      if (!row) throw noSuchKey();
      return row;
    },

    /** Lowers the budget (a refund) in one statement, never below what was already spent. Returns the new row. */
    async reduceBudget(keyId: string, nano: number, tx?: Tx): Promise<KeyRow> {
      const row = await write(tx, keyId, (store) => store.reduceBudget(keyId, nano));
      if (!row) throw noSuchKey();
      return row;
    },

    /** Gives the key a new secret in place: same budget, spend and history; the old secret stops working. */
    async rotateSecret(keyId: string, tx?: Tx): Promise<{ key: string; row: KeyRow }> {
      const key = generateApiKey(keyPrefix);
      const row = await write(tx, keyId, (store) => store.setSecret(keyId, { keyHash: hashApiKey(key), keyEncrypted: sealer.seal(key), keyHint: keyHint(key, keyPrefix) }));
      if (!row) throw noSuchKey();
      return { key, row };
    },

    /**
     * The operator's edit of a key, in one guarded statement. The status follows the new budget
     * and expiry (a top-up or a later expiry brings an exhausted or expired key back); a disabled
     * key stays disabled unless the patch enables it. The budget never goes below what was spent.
     */
    async updateKey(keyId: string, patch: KeyPatch, tx?: Tx): Promise<KeyRow> {
      if (patch.planId !== undefined && !catalog.plan(patch.planId)) throw Err.invalidField('plan_id', `unknown plan "${patch.planId}"`);
      if (patch.budgetNano !== undefined && !Number.isSafeInteger(patch.budgetNano)) throw Err.invalidField('budget_usd', 'must be a whole number of nano-USD');
      const row = await write(tx, keyId, (store) => store.editKey(keyId, { ...patch, now: clock.now() }));
      if (row) return row;
      const key = await (tx ?? stores).metering.keyById(keyId);
      if (!key) throw noSuchKey();
      throw Err.invalidField('budget_usd', `must be at least what the key has already spent (${formatUsd(key.spentNano)})`);
    },

    async setShowReasoning(keyId: string, show: boolean): Promise<KeyRow> {
      const row = await write(undefined, keyId, (store) => store.setShowReasoning(keyId, show));
      if (!row) throw noSuchKey();
      return row;
    },
  };
}
