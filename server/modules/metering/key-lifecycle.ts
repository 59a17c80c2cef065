import type { KeyStatus, MailLang } from '../../db/schema';
import { Err } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { Sealer } from '../../lib/crypto';
import { generateApiKey, hashApiKey, keyHint, looksLikeApiKey, randomBase62, randomId } from '../../lib/keys';
import { formatUsd } from '../../lib/money';
import type { CatalogService } from '../catalog/service';
import type { KeyRow, MeteringStore } from './store';

// A key's life outside the request path: issued (by an order or the operator), revealed, topped
// up, refunded, rotated, edited, frozen. The metering service offers these next to the hot path.

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

export function createKeyLifecycle(deps: { store: MeteringStore; catalog: CatalogService; clock: Clock; sealer: Sealer; keyPrefix: string }) {
  const { store, catalog, clock, sealer, keyPrefix } = deps;
  return {
    createKey(input: CreateKeyInput): { key: string; row: KeyRow } {
      const plan = catalog.plan(input.planId);
      if (!plan) throw Err.invalidField('plan_id', `unknown plan "${input.planId}"`);
      const key = generateApiKey(keyPrefix);
      const now = clock.now();
      const validityDays = input.expiresDays ?? plan.validityDays;
      const row = {
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
      };
      store.insertKey(row);
      return { key, row: store.keyById(row.id)! };
    },

    revealKey: (row: KeyRow): string => sealer.open(row.keyEncrypted),

    /** Finds a key by its id (key_…) or by the full secret. */
    findKey(idOrKey: string): KeyRow | undefined {
      return looksLikeApiKey(idOrKey, keyPrefix) ? store.keyByHash(hashApiKey(idOrKey)) : store.keyById(idOrKey);
    },

    topUp(keyId: string, nano: number): KeyRow {
      if (!Number.isSafeInteger(nano) || nano <= 0) throw Err.invalidField('amount', 'must be a positive amount');
      const row = store.addBudget(keyId, nano);
      if (!row) throw Err.invalidField('key', 'no such key');
      return row;
    },

    setStatus(keyId: string, status: KeyStatus, reason: string | null = null): KeyRow {
      store.setStatus(keyId, status, reason);
      const row = store.keyById(keyId);
      if (!row) throw Err.invalidField('key', 'no such key');
      return row;
    },

    /** Lowers the budget (a refund); never below what was already spent. Returns the new row. */
    reduceBudget(keyId: string, nano: number): KeyRow {
      const key = store.keyById(keyId);
      if (!key) throw Err.invalidField('key', 'no such key');
      const budgetNano = Math.max(key.spentNano, key.budgetNano - nano);
      const exhausted = key.status === 'active' && budgetNano <= key.spentNano;
      return store.update(keyId, { budgetNano, ...(exhausted ? { status: 'exhausted' as const } : {}) })!;
    },

    /** Gives the key a new secret in place: same budget, spend and history; the old secret stops working. */
    rotateSecret(keyId: string): { key: string; row: KeyRow } {
      const key = generateApiKey(keyPrefix);
      const row = store.update(keyId, { keyHash: hashApiKey(key), keyEncrypted: sealer.seal(key), keyHint: keyHint(key, keyPrefix) });
      if (!row) throw Err.invalidField('key', 'no such key');
      return { key, row };
    },

    /**
     * The operator's edit of a key, in one write. The status follows the new budget and expiry
     * (a top-up or a later expiry brings an exhausted or expired key back); a disabled key stays
     * disabled unless the patch enables it. The budget never goes below what was spent.
     */
    updateKey(keyId: string, patch: KeyPatch): KeyRow {
      const key = store.keyById(keyId);
      if (!key) throw Err.invalidField('key', 'no such key');
      if (patch.planId !== undefined && !catalog.plan(patch.planId)) throw Err.invalidField('plan_id', `unknown plan "${patch.planId}"`);
      const budgetNano = patch.budgetNano ?? key.budgetNano;
      if (!Number.isSafeInteger(budgetNano) || budgetNano < key.spentNano) {
        throw Err.invalidField('budget_usd', `must be at least what the key has already spent (${formatUsd(key.spentNano)})`);
      }
      const expiresAt = patch.expiresAt === undefined ? key.expiresAt : patch.expiresAt;
      let status: KeyStatus = key.status;
      let statusReason = key.statusReason;
      if (patch.status === 'disabled') {
        status = 'disabled';
        statusReason = 'disabled by the operator';
      } else if (patch.status === 'active' || key.status !== 'disabled') {
        status = expiresAt !== null && expiresAt <= clock.now() ? 'expired' : budgetNano <= key.spentNano ? 'exhausted' : 'active';
        statusReason = null;
      }
      const row = store.update(keyId, {
        budgetNano,
        status,
        statusReason,
        expiresAt,
        ...(patch.planId === undefined ? {} : { planId: patch.planId }),
        ...(patch.note === undefined ? {} : { note: patch.note }),
        ...(patch.rpmOverride === undefined ? {} : { rpmOverride: patch.rpmOverride }),
        ...(patch.concurrencyOverride === undefined ? {} : { concurrencyOverride: patch.concurrencyOverride }),
        ...(patch.showReasoning === undefined ? {} : { showReasoning: patch.showReasoning }),
      });
      if (!row) throw Err.invalidField('key', 'no such key');
      return row;
    },

    setShowReasoning(keyId: string, show: boolean): KeyRow {
      return store.update(keyId, { showReasoning: show })!;
    },
  };
}
