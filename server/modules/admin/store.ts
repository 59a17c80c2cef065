import type { KeyStatus, OrderStatus, Period, Protocol } from '../../db/schema';
import type { KeyRow, LedgerRow } from '../metering/store';
import type { OrderRow, WebhookEventRow } from '../checkout/store';
import type { auditLog } from '../../db/schema';

// The admin console's read-only queries over other modules' tables: searches, counts, reports
// and the ledger export. Every write goes through the owning module's service. One
// implementation per backend (store.sqlite.ts; store.pg.ts to come).

export interface Page {
  limit: number;
  offset: number;
}

export interface KeyFilter {
  q?: string;
  status?: KeyStatus;
  planId?: string;
  /** a key whose secret hashes to this (the q was a whole key) */
  keyHash?: string;
}

export interface LedgerFilter {
  keyId?: string;
  model?: string;
  protocol?: Protocol;
  /** an HTTP status, or "ok" (< 400) / "error" (>= 400) */
  status?: number | 'ok' | 'error';
  from?: number;
  to?: number;
}

export interface OrderSearch {
  q?: string;
  status?: OrderStatus;
}

export type AuditRow = typeof auditLog.$inferSelect;

/** A key that spent in a window, with what its buyer paid for it (the overview's earned revenue). */
export interface EarnedRow {
  keyId: string;
  /** the key's budget now: bought, topped up, lowered by refunds */
  budgetNano: number;
  /** what was paid for the key: its paid orders (purchase and top-ups) net of refunds */
  paidNano: number;
  /** its buyer spend in the window */
  spentNano: number;
}

export interface AdminStore {
  keys(f: KeyFilter, page: Page): Promise<{ rows: KeyRow[]; total: number }>;
  ledger(f: LedgerFilter, page: Page): Promise<{ rows: LedgerRow[]; total: number }>;
  /** one page of the export, newest first, by id so that rows written meanwhile do not shift it */
  ledgerBefore(f: LedgerFilter, beforeId: number | null, limit: number): Promise<LedgerRow[]>;
  orders(f: OrderSearch, page: Page): Promise<{ rows: OrderRow[]; total: number }>;
  webhookEventsOf(orderId: string): Promise<WebhookEventRow[]>;
  audit(f: { action?: string; target?: string }, page: Page): Promise<{ rows: AuditRow[]; total: number }>;
  /** the actions the audit log holds, in order (the console's filter) */
  auditActions(): Promise<string[]>;
  /** paid orders (net of refunds recorded on their payments), per UTC day of payment */
  revenueByDay(sinceMs: number): Promise<{ date: string; revenueNano: number; orders: number }[]>;
  ordersByStatus(sinceMs: number): Promise<{ status: OrderStatus; n: number }[]>;
  /** buyer spend per UTC day: raw ledger rows plus the days already rolled up */
  spendByDay(sinceMs: number): Promise<{ date: string; spendNano: number; requests: number }[]>;
  /** token totals per public model and period, with what buyers paid for them (raw and rolled up) */
  tokensByModel(sinceMs: number): Promise<{ model: string; period: Period; cacheHit: number; cacheMiss: number; output: number; costNano: number }[]>;
  requestsSince(sinceMs: number): Promise<{ requests: number; errors: number }>;
  activeKeys(now: number): Promise<number>;
  /** every key that spent since `sinceMs` (raw ledger rows and rolled-up days), with its budget and what was paid for it */
  earnedRows(sinceMs: number): Promise<EarnedRow[]>;
  /** the budget still owed to buyers: what is left on every active key that has not expired, and how many keys */
  owed(now: number): Promise<{ owedNano: number; keys: number }>;
}
