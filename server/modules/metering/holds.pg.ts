import type { SQL } from 'bun';
import type { BudgetHolds, Hold } from './holds';

/**
 * The scale-out mode's holds, in the key's row itself: reserve() is ONE statement that locks the
 * key row, works out the output cap that fits (the whole cap, fewer tokens, or none below the
 * floor), and only if it fits, and only while the key has fewer than its cap of requests in
 * flight, adds the hold to held_nano and one to in_flight, guarded once more by
 * spent + held + hold <= budget in the UPDATE's own WHERE, and writes the request's `holds` row
 * (with this instance's id, for the sweeper). The CHECK spent_nano + held_nano <= budget_nano
 * stands behind it. A refusal costs no second round trip: the statement answers the key's free
 * budget and in-flight count either way.
 *
 * Per-key concurrency is counted here, not in Redis: the in-flight count moves with the hold in
 * the same statement and leaves with it (settlement, release, or the sweeper for an instance that
 * died), so it is exact, never leaks, and needs no lease; and it keeps working while Redis is away.
 */
export function createPgHolds(sql: SQL, opts: { instanceId: string; now: () => number }): BudgetHolds {
  const open = new Map<string, number>(); // request id → nano, this instance's own
  let openNano = 0;
  const forget = (hold: Hold) => {
    const nano = open.get(hold.requestId);
    if (nano === undefined) return;
    open.delete(hold.requestId);
    openNano -= nano;
  };

  return {
    async reserve(r) {
      const whole = r.promptNano + r.wantedTokens * r.outputPriceNano;
      const [row] = await sql`WITH k AS (
          SELECT id, in_flight, budget_nano - spent_nano - held_nano AS free FROM api_keys WHERE id = ${r.keyId} FOR UPDATE
        ), c AS (
          SELECT id, in_flight, free,
            CASE WHEN ${whole}::bigint <= free THEN ${r.wantedTokens}::bigint
                 WHEN ${r.outputPriceNano}::bigint = 0 OR free < ${r.promptNano}::bigint THEN -1::bigint
                 ELSE (free - ${r.promptNano}::bigint) / ${r.outputPriceNano}::bigint END AS cap
          FROM k
        ), u AS (
          UPDATE api_keys a SET held_nano = a.held_nano + ${r.promptNano}::bigint + c.cap * ${r.outputPriceNano}::bigint, in_flight = a.in_flight + 1
          FROM c
          WHERE a.id = c.id AND c.cap >= ${r.floorTokens}::bigint
            AND (${r.maxConcurrency}::int = 0 OR a.in_flight < ${r.maxConcurrency}::int)
            AND a.spent_nano + a.held_nano + ${r.promptNano}::bigint + c.cap * ${r.outputPriceNano}::bigint <= a.budget_nano
          RETURNING c.cap, ${r.promptNano}::bigint + c.cap * ${r.outputPriceNano}::bigint AS nano, a.budget_nano - a.spent_nano - a.held_nano AS remaining
        ), h AS (
          INSERT INTO holds (request_id, key_id, nano, instance_id, created_at)
          SELECT ${r.requestId}, ${r.keyId}, nano, ${opts.instanceId}, ${opts.now()}::bigint FROM u
        )
        SELECT c.free, c.in_flight, u.cap, u.nano, u.remaining FROM c LEFT JOIN u ON true`;
      if (!row) return { ok: false, reason: 'budget', remainingNano: 0 };
      const free = Number(row.free);
      if (row.cap === null) {
        const full = r.maxConcurrency > 0 && Number(row.in_flight) >= r.maxConcurrency;
        return { ok: false, reason: full ? 'concurrency' : 'budget', remainingNano: free };
      }
      const maxTokens = Number(row.cap);
      const hold: Hold = { keyId: r.keyId, requestId: r.requestId, nano: Number(row.nano) };
      open.set(hold.requestId, hold.nano);
      openNano += hold.nano;
      return { ok: true, hold, maxTokens, clamped: maxTokens < r.wantedTokens, remainingNano: Number(row.remaining) };
    },

    async release(hold) {
      forget(hold);
      // a hold the sweeper took back already is simply not there any more
      await sql`WITH d AS (DELETE FROM holds WHERE request_id = ${hold.requestId} RETURNING key_id, nano)
        UPDATE api_keys k SET held_nano = k.held_nano - d.nano, in_flight = k.in_flight - 1 FROM d WHERE k.id = d.key_id`;
    },

    // the settle batch's transaction has moved the hold out of held_nano already
    settled: (hold) => forget(hold),
    remaining: (key) => key.budgetNano - key.spentNano - (key.heldNano ?? 0),
    total: () => ({ count: open.size, nano: openNano }),
  };
}
