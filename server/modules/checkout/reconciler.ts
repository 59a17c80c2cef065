import type { Clock } from '../../lib/clock';
import type { Logger } from '../../lib/log';
import type { CaptureFlow, CaptureOutcome } from './capture';
import type { CheckoutStore } from './store';

// The safety net under the return page and the webhooks: orders left approved or pending (a
// capture that timed out, a PENDING capture whose COMPLETED webhook never came, a buyer who
// approved and closed the tab) are asked about at PayPal and finished.

export const RECONCILE_INTERVAL_MS = 60_000;
/** Leave an order alone this long after it was created: the return page or a webhook is likely on it. */
export const RECONCILE_MIN_AGE_MS = 30_000;
/** Unreturned `created` orders are looked at until they expire (TOLLGATE_ORDER_EXPIRY_HOURS, default 3: PayPal lets an unapproved order lapse after 3 h). */
export const DEFAULT_ORDER_EXPIRY_MS = 3 * 3_600_000;
const BATCH = 100;
/** After asking about an order, wait a quarter of its age before asking again, within these bounds. */
export const RECHECK_MIN_MS = 60_000;
export const RECHECK_MAX_MS = 3_600_000;

/** When to ask PayPal about an order again: young orders soon, old ones (a PENDING eCheck, say) hourly. */
export function nextCheckAt(now: number, createdAt: number): number {
  return now + Math.min(RECHECK_MAX_MS, Math.max(RECHECK_MIN_MS, Math.floor((now - createdAt) / 4)));
}

export interface ReconcileOptions {
  /** leave orders younger than this alone (default RECONCILE_MIN_AGE_MS) */
  minAgeMs?: number;
  /** false: ask about every waiting order now, whenever it was last asked about (tests, operators) */
  backoff?: boolean;
}

export interface ReconcileReport {
  checked: number;
  outcomes: Record<string, number>;
}

export function createReconciler(deps: { store: CheckoutStore; flow: CaptureFlow; clock: Clock; log: Logger; orderExpiryMs?: number }) {
  const { store, flow, clock, log } = deps;
  const orderExpiryMs = deps.orderExpiryMs ?? DEFAULT_ORDER_EXPIRY_MS;

  /** Orders never paid in time become `expired`: no longer polled (a late capture still pays them). */
  async function expireNow(): Promise<number> {
    const expired = await store.expireUnpaid(clock.now() - orderExpiryMs);
    if (expired > 0) log.info('unpaid orders expired', { orders: expired });
    return expired;
  }
  let timer: ReturnType<typeof setInterval> | null = null;
  let running: Promise<unknown> = Promise.resolve();
  let passes = 0;

  async function pass(opts: ReconcileOptions): Promise<ReconcileReport> {
    passes++;
    try {
      return await passOnce(opts.minAgeMs ?? RECONCILE_MIN_AGE_MS, opts.backoff ?? true);
    } finally {
      passes--;
    }
  }

  async function passOnce(minAgeMs: number, backoff: boolean): Promise<ReconcileReport> {
    await expireNow();
    const now = clock.now();
    const due = await store.ordersToReconcile({
      now,
      waitingBefore: now - minAgeMs + 1,
      createdAfter: now - orderExpiryMs,
      limit: BATCH,
      ignoreNextCheck: !backoff,
    });
    const outcomes: Record<string, number> = {};
    for (const order of due) {
      // Moved back before asking, so an answer that never comes (or fails) cannot keep it in front.
      await store.setNextCheck(order.id, nextCheckAt(clock.now(), order.createdAt));
      let outcome: CaptureOutcome;
      try {
        outcome = await flow.sync(order.id);
      } catch (error) {
        log.error('reconciling an order failed', { order_id: order.id, error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
        outcome = { kind: 'failed' };
      }
      outcomes[outcome.kind] = (outcomes[outcome.kind] ?? 0) + 1;
    }
    if (due.length > 0) log.info('reconciled orders', { checked: due.length, ...outcomes });
    return { checked: due.length, outcomes };
  }

  /** One pass now, after any pass already running (passes never overlap). */
  function reconcileNow(opts: ReconcileOptions = {}): Promise<ReconcileReport> {
    const next = running.then(() => pass(opts));
    running = next.catch(() => undefined);
    return next;
  }

  return {
    reconcileNow,
    expireNow,
    start(intervalMs = RECONCILE_INTERVAL_MS): void {
      if (timer) return;
      timer = setInterval(() => {
        // A slow pass (PayPal timing out) is not queued behind by more ticks.
        if (passes > 0) return;
        reconcileNow().catch((error: unknown) => log.error('reconciler pass failed', { error: String(error) }));
      }, intervalMs);
      timer.unref?.();
    },
    stop(): void {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };
}
