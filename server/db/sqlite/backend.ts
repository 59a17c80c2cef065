import type { Backend, Stores } from '../../backend';
import type { Clock } from '../../lib/clock';
import { localInvalidation } from '../../lib/invalidation';
import type { Logger } from '../../lib/log';
import { soleLeader } from '../../maintenance/leader';
import { createSqliteAdminStore } from '../../modules/admin/store.sqlite';
import { createSqliteAuditStore } from '../../modules/admin/audit-store.sqlite';
import { createSqliteCatalogStore } from '../../modules/catalog/store.sqlite';
import { createSqliteSettingsStore } from '../../modules/catalog/settings-store.sqlite';
import { createSqliteCheckoutStore } from '../../modules/checkout/store.sqlite';
import { createSqliteOutboxStore } from '../../modules/mail/store.sqlite';
import { memoryConcurrency, memoryLockout, memoryRateLimit } from '../../modules/metering/counters';
import { createSqliteHolds } from '../../modules/metering/holds.sqlite';
import { createSqliteLedgerStore } from '../../modules/metering/ledger-store.sqlite';
import { createSqliteRefusalStore } from '../../modules/metering/refusal-store.sqlite';
import { createSqliteMeteringStore } from '../../modules/metering/store.sqlite';
import { createSqliteOpsStore } from '../../modules/ops/store.sqlite';
import { createSqliteUpstreamKeyStore } from '../../modules/proxy/upstream-store.sqlite';
import { createInMemoryReasoningMemory } from '../../modules/proxy/reasoning-memory';
import type { DatabaseHandle } from '../client';
import { createConnectionGate, directStore, gatedStore, type Synchronous } from './gate';
import { sqliteUnitOfWork } from './unit-of-work';

type SyncStores = { [K in keyof Stores]: Synchronous<Stores[K]> };

/**
 * The default backend: one process on one SQLite file. Every store is its bun:sqlite
 * implementation twice over: gated (outside transactions) and direct (inside a unit of work,
 * which holds the gate). Counters, holds and cache invalidation live in this process's memory;
 * this process is always the one that runs the background work.
 */
export function createSqliteBackend(database: DatabaseHandle, opts: { clock: Clock; log?: Logger }): Backend {
  const { db, sqlite } = database;
  const log = opts.log;
  const gate = createConnectionGate({
    onSlow: (ms) => log?.warn('a database transaction held the connection long; every other request waited for it', { ms }),
    onStuck: (ms, waiting) =>
      log?.error('a database transaction has held the connection for seconds with calls waiting: a store used outside its transaction inside a unit of work, or network I/O inside one', {
        ms,
        waiting: waiting.slice(0, 3).join('\n---\n'),
      }),
  });
  const bus = localInvalidation();
  const sync: SyncStores = {
    metering: createSqliteMeteringStore(db),
    ledger: createSqliteLedgerStore(db),
    refusals: createSqliteRefusalStore(db),
    checkout: createSqliteCheckoutStore(db),
    catalog: createSqliteCatalogStore(db),
    settings: createSqliteSettingsStore(db),
    admin: createSqliteAdminStore(db),
    audit: createSqliteAuditStore(db),
    outbox: createSqliteOutboxStore(db),
    upstreams: createSqliteUpstreamKeyStore(db),
    ops: createSqliteOpsStore(sqlite),
  };
  const stores = mapStores(sync, (impl) => gatedStore(impl, gate));
  const txStores = mapStores(sync, (impl) => directStore(impl));
  return {
    kind: 'sqlite',
    stores,
    uow: sqliteUnitOfWork(sqlite, gate, txStores, log),
    holds: createSqliteHolds(db, gate, bus),
    rates: memoryRateLimit(opts.clock.now),
    concurrency: memoryConcurrency(),
    lockout: (spec) => memoryLockout({ limit: spec.limit, windowMs: spec.windowMs, now: spec.now }),
    bus,
    leadership: soleLeader(),
    reasoning: createInMemoryReasoningMemory(opts.clock.now),
    backgroundJobs: [],
    async close() {
      gate.close();
      await bus.close();
    },
  };
}

function mapStores(sync: SyncStores, wrap: (impl: Synchronous<object>) => object): Stores {
  const out: Record<string, object> = {};
  for (const [name, impl] of Object.entries(sync)) out[name] = wrap(impl as Synchronous<object>);
  return out as unknown as Stores;
}
