import type { TransactionHooks, UnitOfWork } from './db/unit-of-work';
import type { InvalidationBus } from './lib/invalidation';
import type { BackgroundJob, Leadership } from './maintenance/leader';
import type { AdminStore } from './modules/admin/store';
import type { AuditStore } from './modules/admin/audit-store';
import type { CatalogStore } from './modules/catalog/store';
import type { SettingsStore } from './modules/catalog/settings-store';
import type { CheckoutStore } from './modules/checkout/store';
import type { OutboxStore } from './modules/mail/store';
import type { AddressLockout, ConcurrencyLimit, RequestRateLimit } from './modules/metering/counters';
import type { BudgetHolds } from './modules/metering/holds';
import type { LedgerStore } from './modules/metering/ledger-store';
import type { RefusalStore } from './modules/metering/refusal-store';
import type { MeteringStore } from './modules/metering/store';
import type { OpsStore } from './modules/ops/store';
import type { ReasoningMemory } from './modules/proxy/reasoning-memory';
import type { UpstreamKeyStore } from './modules/proxy/upstream-store';

// What the services run on, chosen once per process: every store (asynchronous interfaces, one
// implementation per backend), the unit of work over them, the budget holds, the counters that
// several instances must share, the cache invalidation bus and who runs the background work.
// The services never learn which backend it is.
//
//   SQLite (db/sqlite/backend.ts): bun:sqlite stores behind the connection gate, BEGIN IMMEDIATE
//     units of work, the in-memory hold book, in-memory counters, localInvalidation(), soleLeader().
//   PostgreSQL + Redis (db/pg/backend.ts, the scale-out mode): the *.pg.ts twins over drizzle's
//     bun-sql, sql.begin units of work, the conditional-UPDATE holds (holds.pg.ts, which also count
//     each key's requests in flight), redisRateLimit / redisLockout, redisInvalidation with
//     pgCacheVersions, electLeader, the instance heartbeat and the hold sweeper, the reasoning
//     record shared through Redis.

/** Every module's store. */
export interface Stores {
  metering: MeteringStore;
  ledger: LedgerStore;
  refusals: RefusalStore;
  checkout: CheckoutStore;
  catalog: CatalogStore;
  settings: SettingsStore;
  admin: AdminStore;
  audit: AuditStore;
  outbox: OutboxStore;
  upstreams: UpstreamKeyStore;
  ops: OpsStore;
}

/** The stores bound to one transaction, and its hooks. */
export type Tx = Stores & TransactionHooks;

/** One failure limiter's numbers: after `limit` failures within `windowMs` an address waits. */
export interface LockoutSpec {
  /** shared by every instance that uses this name (Redis key prefix) */
  name: string;
  limit: number;
  windowMs: number;
  now?: () => number;
}

export interface Backend {
  kind: 'sqlite' | 'postgres';
  stores: Stores;
  uow: UnitOfWork<Tx>;
  holds: BudgetHolds;
  rates: RequestRateLimit;
  concurrency: ConcurrencyLimit;
  lockout(spec: LockoutSpec): AddressLockout;
  bus: InvalidationBus;
  leadership: Leadership;
  /** the tool-call turns' reasoning kept for their keys (per process on SQLite, shared through Redis in the scale-out mode) */
  reasoning: ReasoningMemory;
  /** background work only this backend has (the scale-out mode's hold sweeper), run while this instance leads */
  backgroundJobs: BackgroundJob[];
  /** the scale-out mode's Redis, for /healthz and /metrics */
  redis?: RedisStatus;
  /** stops what the backend started (timers, connections it owns) */
  close(): Promise<void>;
}

export interface RedisStatus {
  /** redis://host:port, without a password */
  describe: string;
  /** answers PING within the command timeout */
  ping(): Promise<boolean>;
  /** decisions made without Redis since start, by what decided (rpm, a lockout's name, reasoning…) */
  fallbacks(): Record<string, number>;
}
