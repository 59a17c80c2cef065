import type { KeyMoney } from './store';

// The budget hold: before a request is forwarded, its worst-case cost is held against the key's
// remaining budget in ONE atomic step that also decides the output cap: the whole cap when it
// fits, fewer tokens when only those fit (clamped), a refusal below the floor. Shaped as one
// reservation, never "read the remaining, then add", so that each backend can make it atomic:
//
//   SQLite (holds.sqlite.ts): the in-memory hold book, synchronous inside: the key's spent and
//     budget are read and the hold recorded in one synchronous step, nothing interleaves.
//   PostgreSQL (holds.pg.ts, the scale-out mode): one conditional UPDATE that computes the cap in
//     the statement and returns it, with a `holds` row for the instance sweeper, e.g.
//
//       WITH k AS (SELECT id, in_flight, budget_nano - spent_nano - held_nano AS free
//                  FROM api_keys WHERE id = $key AND status = 'active' FOR UPDATE),
//            c AS (SELECT id, LEAST($wanted, (free - $prompt) / $price) AS cap FROM k
//                  WHERE ($max = 0 OR in_flight < $max)),
//            u AS (UPDATE api_keys a SET held_nano = held_nano + $prompt + c.cap * $price, in_flight = in_flight + 1
//                  FROM c WHERE a.id = c.id AND c.cap >= $floor
//                  RETURNING c.cap, $prompt + c.cap * $price AS nano, budget_nano - spent_nano - held_nano AS remaining),
//            h AS (INSERT INTO holds (request_id, key_id, instance_id, nano, created_at)
//                  SELECT $request, $key, $instance, nano, $now FROM u)
//       SELECT cap, nano, remaining FROM u
//
//     (no row: refused; read the row once more for the reason and the remaining to show), with
//     CHECK (spent_nano + held_nano <= budget_nano) as the last line of defence. Settling moves the
//     hold out in the settle batch (store.settleMany: held_nano − hold, spent_nano + cost,
//     in_flight − 1, the holds row deleted); release() does the same without a ledger row.

/** One request's hold, as reserve() recorded it. */
export interface Hold {
  keyId: string;
  requestId: string;
  nano: number;
}

export interface HoldRequest {
  keyId: string;
  requestId: string;
  /** the prompt's upper bound priced at the dearest cache-miss price */
  promptNano: number;
  /** the dearest output price per token */
  outputPriceNano: number;
  /** the output cap the request asks for (never above the model's) */
  wantedTokens: number;
  /** below this many output tokens the request is refused rather than clamped */
  floorTokens: number;
  /** the key's concurrency cap (0: none): a hold is one request in flight */
  maxConcurrency: number;
}

export type HoldDecision =
  | { ok: true; hold: Hold; maxTokens: number; clamped: boolean; remainingNano: number }
  | { ok: false; reason: 'budget' | 'concurrency'; remainingNano: number };

export interface BudgetHolds {
  reserve(request: HoldRequest): Promise<HoldDecision>;
  /** a request that never reached DeepSeek: its hold given back, no ledger row */
  release(hold: Hold): Promise<void>;
  /**
   * Called as the settle batch that billed this request commits, with its key's money after the
   * batch (on PostgreSQL the batch's statement has moved the hold out of held_nano already).
   */
  settled(hold: Hold, after: KeyMoney): void;
  /** what is left of a key's budget after its spent total and every open hold */
  remaining(key: { id: string; budgetNano: number; spentNano: number; heldNano?: number }): number;
  /** the holds this instance has open now (metrics, tests) */
  total(): { count: number; nano: number };
}

/** The cap a remaining budget affords: the wanted one, fewer tokens (clamped), or null below the floor. */
export function affordableCap(remainingNano: number, request: HoldRequest): { maxTokens: number; clamped: boolean; nano: number } | null {
  const whole = request.promptNano + request.wantedTokens * request.outputPriceNano;
  if (whole <= remainingNano) return { maxTokens: request.wantedTokens, clamped: false, nano: whole };
  const fits = Math.floor((remainingNano - request.promptNano) / request.outputPriceNano);
  if (fits < request.floorTokens) return null;
  return { maxTokens: fits, clamped: true, nano: request.promptNano + fits * request.outputPriceNano };
}
