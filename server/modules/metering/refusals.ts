import type { RefusalReason } from '../../db/schema';
import type { GatewayError } from '../../errors';
import type { Logger } from '../../lib/log';
import type { RefusalCount, RefusalFilter, RefusalStore } from './refusal-store';

// Refused requests of known keys, counted per key, UTC day and reason. Not money, so never a
// ledger row, and never a database write on the request's way: a refusal adds one to a number in
// memory, and the numbers are added to the `refusals` table every TOLLGATE_REFUSAL_FLUSH_SECONDS
// (5) in one transaction, at once when many keys pile up, and on a graceful shutdown. A crash
// loses at most the counts since the last write (never money: the ledger is written as before).
// Readers get the table plus what is still in memory, so a count shows the moment it happens.

export type { RefusalReason } from '../../db/schema';

/** Every reason, in the order the dashboard lists them. */
export const REFUSAL_REASONS: readonly RefusalReason[] = [
  'budget_exhausted',
  'budget_too_low',
  'key_expired',
  'model_not_allowed',
  'model_not_found',
  'rate_limited',
  'concurrency_limited',
  'upstream_rejected',
  'bad_request',
];

/** Distinct key/day/reason counts held before a write is due anyway. */
const FLUSH_AT_ENTRIES = 5000;
const DAY_MS = 86_400_000;

/** Why a GatewayError refused a known key's request; null for what is not a refusal (401, 413, 5xx…). */
export function refusalReason(error: GatewayError): RefusalReason | null {
  switch (error.key) {
    case 'budget_exhausted':
      return 'budget_exhausted';
    case 'budget_too_low':
      return 'budget_too_low';
    case 'key_expired':
      return 'key_expired';
    case 'model_not_allowed':
      return 'model_not_allowed';
    case 'model_not_found':
      return 'model_not_found';
    case 'rate_limited':
      return 'rate_limited';
    case 'too_many_concurrent':
      return 'concurrency_limited';
    case 'upstream_rejected':
      return 'upstream_rejected';
    default:
      return error.status === 400 ? 'bad_request' : null;
  }
}

export interface RefusalTotals {
  total: number;
  byReason: Partial<Record<RefusalReason, number>>;
}

export const utcDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

function totalsOf(rows: { reason: RefusalReason; count: number }[]): RefusalTotals {
  const byReason: Partial<Record<RefusalReason, number>> = {};
  let total = 0;
  for (const row of rows) {
    byReason[row.reason] = (byReason[row.reason] ?? 0) + row.count;
    total += row.count;
  }
  return { total, byReason };
}

export function createRefusalCounter(deps: { store: RefusalStore; now: () => number; log: Logger; flushMs: number }) {
  const { store, log } = deps;
  let pending = new Map<string, RefusalCount>();
  let writing: Promise<void> = Promise.resolve();
  let timer: ReturnType<typeof setInterval> | null = null;

  const matches = (row: RefusalCount, f: RefusalFilter) =>
    (f.keyId === undefined || row.keyId === f.keyId) && (f.fromDate === undefined || row.date >= f.fromDate) && (f.toDate === undefined || row.date <= f.toDate);
  const unwritten = (f: RefusalFilter) => [...pending.values()].filter((row) => matches(row, f));

  /** Writes what is counted so far; a failed write keeps the counts for the next one. */
  function flush(): Promise<void> {
    writing = writing.then(async () => {
      if (pending.size === 0) return;
      const batch = [...pending.values()];
      pending = new Map();
      try {
        await store.add(batch);
      } catch (error) {
        log.error('refusal counts not written; kept for the next write', { rows: batch.length, error: String(error) });
        for (const row of batch) add(row.keyId, row.date, row.reason, row.count);
      }
    });
    return writing;
  }

  function add(keyId: string, date: string, reason: RefusalReason, n: number): void {
    const id = `${keyId}\u0000${date}\u0000${reason}`;
    const row = pending.get(id);
    if (row) row.count += n;
    else pending.set(id, { keyId, date, reason, count: n });
  }

  /** One refused request of a known key: a number in memory, nothing else. */
  function count(keyId: string, reason: RefusalReason): void {
    add(keyId, utcDay(deps.now()), reason, 1);
    if (pending.size >= FLUSH_AT_ENTRIES) void flush();
  }

  return {
    count,
    /** Counts the error when it is a refusal; answers whether it was one. */
    countError(keyId: string, error: GatewayError): boolean {
      const reason = refusalReason(error);
      if (reason !== null) count(keyId, reason);
      return reason !== null;
    },
    flush,
    start(): void {
      if (timer) return;
      timer = setInterval(() => void flush(), deps.flushMs);
      timer.unref?.();
    },
    /** Graceful shutdown: no more timer, and everything counted is written. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = null;
      await flush();
    },
    /** Counts not written yet (tests, and the shutdown log). */
    unwrittenCount: () => [...pending.values()].reduce((n, row) => n + row.count, 0),

    /** A key's refusals over its whole life (or a window), written and not yet written. */
    async totals(filter: RefusalFilter): Promise<RefusalTotals> {
      return totalsOf([...(await store.byReason(filter)), ...unwritten(filter)]);
    },
    /** Per UTC day, from `days - 1` days before today on: date → totals. */
    async daily(keyId: string, days: number): Promise<Map<string, RefusalTotals>> {
      const filter = { keyId, fromDate: utcDay((Math.floor(deps.now() / DAY_MS) - (days - 1)) * DAY_MS) };
      return perDay([...(await store.byDay(filter)), ...unwritten(filter)]);
    },
    /** Per UTC day over a filter (the console). */
    async byDay(filter: RefusalFilter): Promise<Map<string, RefusalTotals>> {
      return perDay([...(await store.byDay(filter)), ...unwritten(filter)]);
    },
    /** Rows per key, day and reason, newest day first, written and not yet written together. */
    async rows(filter: RefusalFilter, limit: number): Promise<RefusalCount[]> {
      const merged = new Map<string, RefusalCount>();
      for (const row of [...(await store.rows(filter, limit + pending.size)), ...unwritten(filter)]) {
        const id = `${row.keyId}\u0000${row.date}\u0000${row.reason}`;
        const same = merged.get(id);
        merged.set(id, same ? { ...same, count: same.count + row.count } : { ...row });
      }
      // the stores' own order (ORDER BY date DESC, count DESC, key_id, reason, by bytes), not the locale's
      return [...merged.values()].sort((a, b) => bytewise(b.date, a.date) || b.count - a.count || bytewise(a.keyId, b.keyId) || bytewise(a.reason, b.reason)).slice(0, limit);
    },
  };
}

function perDay(rows: { date: string; reason: RefusalReason; count: number }[]): Map<string, RefusalTotals> {
  const byDate = new Map<string, { reason: RefusalReason; count: number }[]>();
  for (const row of rows) byDate.set(row.date, [...(byDate.get(row.date) ?? []), row]);
  return new Map([...byDate].sort(([a], [b]) => bytewise(a, b)).map(([date, list]) => [date, totalsOf(list)]));
}

/** Compares as SQLite's ORDER BY does (by code unit), whatever the locale: 'key_B' before 'key_a'. */
const bytewise = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

export type RefusalCounter = ReturnType<typeof createRefusalCounter>;

/** The JSON shape of refusal totals: {total, by_reason: {reason: n}} (reasons with none left out). */
export const refusedView = (t: RefusalTotals) => ({ total: t.total, by_reason: t.byReason });
