import type { Logger } from '../../lib/log';
import type { MeteringStore, SettleRow } from './store';

type Totals = { spentNano: number; budgetNano: number };

/**
 * Group commit: settlements queued in one event-loop turn are written in one transaction at the
 * end of the turn. Each caller's promise resolves after its row is committed, so no answer goes
 * out before its ledger row is durable.
 */
export function createSettleQueue(store: MeteringStore, log: Logger) {
  let pending: { row: SettleRow; resolve(t: Totals): void; reject(e: unknown): void }[] = [];
  let emptied: (() => void)[] = [];

  function flush(): void {
    const batch = pending;
    pending = [];
    try {
      write(batch);
    } finally {
      if (pending.length === 0) {
        const waiting = emptied;
        emptied = [];
        for (const resolve of waiting) resolve();
      }
    }
  }

  function write(batch: typeof pending): void {
    try {
      const totals = store.settleMany(batch.map((p) => p.row));
      batch.forEach((p, i) => p.resolve(totals[i] as Totals));
    } catch (error) {
      if (batch.length === 1) {
        log.error('settlement failed', { request_id: batch[0]!.row.requestId, error: String(error) });
        batch[0]!.reject(error);
        return;
      }
      // One bad row must not sink the others: write them one by one.
      for (const p of batch) {
        try {
          p.resolve(store.settleMany([p.row])[0] as Totals);
        } catch (single) {
          log.error('settlement failed', { request_id: p.row.requestId, error: String(single) });
          p.reject(single);
        }
      }
    }
  }

  return {
    /** Resolves once every queued settlement is committed (shutdown waits for it). */
    drained(): Promise<void> {
      return pending.length === 0 ? Promise.resolve() : new Promise((resolve) => emptied.push(resolve));
    },
    settle(row: SettleRow): Promise<Totals> {
      return new Promise((resolve, reject) => {
        if (pending.length === 0) setImmediate(flush);
        pending.push({ row, resolve, reject });
      });
    },
  };
}
