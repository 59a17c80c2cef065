import type { apiKeys, credits, KeyStatus, ledger, MailLang } from '../../db/schema';

// Metering's rows: keys, the settle batch (ledger rows and spent totals) and the credits a paid
// order puts on a key. Asynchronous, with one implementation per backend (store.sqlite.ts; the
// PostgreSQL twin store.pg.ts). Rows are plain objects in numbers, whatever the driver returns.

/** A key row. `heldNano` is what the row itself holds (PostgreSQL keeps holds in it); absent on SQLite, whose holds live in memory (holds.sqlite.ts). */
export type KeyRow = typeof apiKeys.$inferSelect & { heldNano?: number };
export type NewKeyRow = typeof apiKeys.$inferInsert;
export type LedgerRow = typeof ledger.$inferSelect;
export type NewLedgerRow = typeof ledger.$inferInsert;
export type CreditRow = typeof credits.$inferSelect;
export type NewCreditRow = typeof credits.$inferInsert;

/**
 * One request's ledger row as settled, with the hold it replaces. `floorNano` is not stored: the
 * smallest hold the same request would need again (budget alerts).
 */
export type SettleRow = NewLedgerRow & { costNano: number; keyId: string; finishedAt: number; holdNano: number; floorNano: number };

/** A key's money after a write: what every remaining-budget figure is computed from. */
export interface KeyMoney {
  budgetNano: number;
  spentNano: number;
  /** held in the row (PostgreSQL); 0 on SQLite */
  heldNano: number;
}

/** A key's spent total as one settle batch moved it: from `spentBefore` to `spentNano`. */
export interface SpendChange extends KeyMoney {
  keyId: string;
  spentBefore: number;
  status: KeyStatus;
  lastUsedAt: number;
  /** the largest floor (smallest admissible hold) of the batch's requests on this key: the next one like them needs at least this */
  nextFloorNano: number;
  email: string | null;
  lang: string | null;
}

export interface SettledBatch {
  /** per row, in the order given: its key's money after the batch */
  totals: KeyMoney[];
  /** per key of the batch */
  changes: SpendChange[];
}

export interface KeyListFilter {
  query?: string;
  status?: KeyStatus;
  limit?: number;
  offset?: number;
}

/** What a paid top-up writes: the budget added in the statement itself, the rest as computed from the locked row. */
export interface KeyTopUp {
  addNano: number;
  expiresAt: number | null;
  planId: string;
  lang: MailLang;
  /** becomes the key's address when it has none */
  email: string;
  now: number;
}

/** An operator's edit of a key; the status follows the new budget and expiry (see key-lifecycle.ts updateKey). */
export interface KeyEdit {
  budgetNano?: number;
  planId?: string;
  expiresAt?: number | null;
  status?: 'active' | 'disabled';
  note?: string | null;
  rpmOverride?: number | null;
  concurrencyOverride?: number | null;
  showReasoning?: boolean | null;
  now: number;
}

export interface KeySecret {
  keyHash: string;
  keyEncrypted: string;
  keyHint: string;
}

export interface MeteringStore {
  keyByHash(hash: string): Promise<KeyRow | undefined>;
  keyById(id: string): Promise<KeyRow | undefined>;
  /** keyById, the row locked until the transaction ends where the backend locks rows (PostgreSQL: FOR UPDATE; SQLite's BEGIN IMMEDIATE has locked everything) */
  lockKey(id: string): Promise<KeyRow | undefined>;
  /** keys with an email, still usable, whose expiry falls in (from, to] */
  keysExpiringBetween(from: number, to: number): Promise<KeyRow[]>;
  /** newest first; `query` matches the hint, email, order id or key id */
  listKeys(filter: KeyListFilter): Promise<KeyRow[]>;
  insertKey(row: NewKeyRow): Promise<KeyRow>;
  /** any one key's sealed secret (to check the server secret against at start), or undefined when there is no key */
  anySealedSecret(): Promise<string | undefined>;

  setStatus(id: string, status: KeyStatus, reason: string | null): Promise<KeyRow | undefined>;
  /** budget_nano + nano, one statement; an exhausted key with money again becomes active */
  addBudget(id: string, nano: number): Promise<KeyRow | undefined>;
  /** budget_nano − nano, never below what is spent (PostgreSQL: spent + held), one statement; an active key left with nothing becomes exhausted */
  reduceBudget(id: string, nano: number): Promise<KeyRow | undefined>;
  /** a paid top-up in one statement (budget_nano + addNano); a disabled key stays disabled */
  applyTopUp(id: string, topUp: KeyTopUp): Promise<KeyRow | undefined>;
  /** the operator's edit in one statement, guarded: undefined when there is no such key or the budget would be below what is spent */
  editKey(id: string, edit: KeyEdit): Promise<KeyRow | undefined>;
  setSecret(id: string, secret: KeySecret): Promise<KeyRow | undefined>;
  setShowReasoning(id: string, show: boolean): Promise<KeyRow | undefined>;

  /**
   * One batch of settlements, atomically: each ledger row (once per request id), each key's spent
   * total (and, on PostgreSQL, its hold moved out of held_nano and its holds row deleted).
   */
  settleMany(rows: SettleRow[]): Promise<SettledBatch>;

  /** undefined when the order has already credited a key (the order id is unique) */
  insertCredit(row: NewCreditRow): Promise<CreditRow | undefined>;
  /** newest first */
  creditsOf(keyId: string): Promise<CreditRow[]>;
  creditOfOrder(orderId: string): Promise<CreditRow | undefined>;
}
