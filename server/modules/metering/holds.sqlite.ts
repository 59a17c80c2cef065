import type { DB } from '../../db/client';
import type { ConnectionGate } from '../../db/sqlite/gate';
import type { InvalidationBus } from '../../lib/invalidation';
import { affordableCap, type BudgetHolds, type Hold } from './holds';
import { KEY_CACHE_MS } from './key-cache';
import { createHoldBook } from './limits';

/**
 * The SQLite mode's holds: the in-memory hold book of this one process. reserve() takes the key's
 * committed budget and spent total and records the hold in one synchronous step, through the
 * connection gate (never inside another unit of work's transaction), so nothing interleaves
 * between reading what remains and holding it. A restart leaves no hold behind.
 *
 * The budget and spent total come from the database, kept per key between requests: a settle
 * batch hands over the totals it committed (settled(), called as it commits), and a write to the
 * key through the metering service drops them as it commits (the 'keys' topic), so they are
 * always what is committed; a change made by another process (the `keys` command) is read within
 * KEY_CACHE_MS, as the key cache does.
 */
export function createSqliteHolds(db: DB, gate: ConnectionGate, bus: InvalidationBus, now: () => number = Date.now): BudgetHolds {
  const book = createHoldBook();
  const known = new Map<string, { budgetNano: number; spentNano: number; at: number }>();
  const read = db.$client.prepare<{ budget_nano: number; spent_nano: number }, { id: string }>('SELECT budget_nano, spent_nano FROM api_keys WHERE id = $id');
  bus.subscribe('keys', (id) => (id === undefined ? known.clear() : known.delete(id)));

  function money(keyId: string): { budgetNano: number; spentNano: number } | undefined {
    const at = now();
    const entry = known.get(keyId);
    if (entry && at - entry.at <= KEY_CACHE_MS) return entry;
    const row = read.get({ id: keyId });
    if (!row) {
      known.delete(keyId);
      return undefined;
    }
    const fresh = { budgetNano: row.budget_nano, spentNano: row.spent_nano, at };
    known.set(keyId, fresh);
    return fresh;
  }

  return {
    reserve: (request) =>
      gate.call(() => {
        const key = money(request.keyId);
        const remaining = key ? key.budgetNano - key.spentNano - book.held(request.keyId) : 0;
        if (request.maxConcurrency > 0 && book.count(request.keyId) >= request.maxConcurrency) {
          return { ok: false as const, reason: 'concurrency' as const, remainingNano: remaining };
        }
        const cap = affordableCap(remaining, request);
        if (!cap) return { ok: false as const, reason: 'budget' as const, remainingNano: remaining };
        book.add(request.keyId, cap.nano);
        const hold: Hold = { keyId: request.keyId, requestId: request.requestId, nano: cap.nano };
        return { ok: true as const, hold, maxTokens: cap.maxTokens, clamped: cap.clamped, remainingNano: remaining - cap.nano };
      }),
    async release(hold) {
      book.release(hold.keyId, hold.nano);
    },
    settled(hold, after) {
      book.release(hold.keyId, hold.nano);
      known.set(hold.keyId, { budgetNano: after.budgetNano, spentNano: after.spentNano, at: now() });
    },
    remaining: (key) => key.budgetNano - key.spentNano - (key.heldNano ?? 0) - book.held(key.id),
    total: () => book.total(),
  };
}
