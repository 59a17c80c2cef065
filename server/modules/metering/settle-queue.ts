import type { Logger } from '../../lib/log';
import type { KeyMoney, SettleRow } from './store';

/**
 * Group commit: settlements queued in one event-loop turn are written in one transaction
 * (`commit`) at the end of the turn. Each caller's promise resolves after its row is committed,
 * so no answer goes out before its ledger row is durable. One batch is written at a time; what
 * arrives meanwhile waits for the next (on SQLite a batch commits within its turn; on PostgreSQL
 * the next batch gathers while the previous one's round trips run).
 */
export function createSettleQueue(commit: (rows: SettleRow[]) => Promise<KeyMoney[]>, log: Logger) {
  type Pending = { row: SettleRow; resolve(t: KeyMoney): void; reject(e: unknown): void };
  let pending: Pending[] = [];
  let scheduled = false;
  let writing = false;
  let emptied: (() => void)[] = [];

  function schedule(): void {
    if (scheduled || writing) return;
    scheduled = true;
    setImmediate(flush);
  }

  async function flush(): Promise<void> {
    scheduled = false;
    writing = true;
    const batch = pending;
    pending = [];
    try {
      await write(batch);
    } finally {
      writing = false;
      if (pending.length > 0) schedule();
      else {
        const waiting = emptied;
        emptied = [];
        for (const resolve of waiting) resolve();
      }
    }
  }

  async function write(batch: Pending[]): Promise<void> {
    try {
      const totals = await commit(batch.map((p) => p.row));
      batch.forEach((p, i) => p.resolve(totals[i] as KeyMoney));
    } catch (error) {
      if (batch.length === 1) {
        log.error('settlement failed', { request_id: batch[0]!.row.requestId, error: String(error) });
        batch[0]!.reject(error);
        return;
      }
      // One bad row must not sink the others: write them one by one.
      for (const p of batch) {
        try {
          p.resolve(((await commit([p.row])) as KeyMoney[])[0] as KeyMoney);
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
      return pending.length === 0 && !writing ? Promise.resolve() : new Promise((resolve) => emptied.push(resolve));
    },
    settle(row: SettleRow): Promise<KeyMoney> {
      return new Promise((resolve, reject) => {
        pending.push({ row, resolve, reject });
        schedule();
      });
    },
  };
}
