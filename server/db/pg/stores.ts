import type { Stores } from '../../backend';
import { createPgAdminStore } from '../../modules/admin/store.pg';
import { createPgAuditStore } from '../../modules/admin/audit-store.pg';
import { createPgCatalogStore } from '../../modules/catalog/store.pg';
import { createPgSettingsStore } from '../../modules/catalog/settings-store.pg';
import { createPgCheckoutStore } from '../../modules/checkout/store.pg';
import { createPgOutboxStore } from '../../modules/mail/store.pg';
import { createPgLedgerStore } from '../../modules/metering/ledger-store.pg';
import { createPgRefusalStore } from '../../modules/metering/refusal-store.pg';
import { createPgMeteringStore } from '../../modules/metering/store.pg';
import { createPgOpsStore } from '../../modules/ops/store.pg';
import { createPgUpstreamKeyStore } from '../../modules/proxy/upstream-store.pg';
import type { PgConn } from './conn';

const FACTORIES: { [K in keyof Stores]: (conn: PgConn) => Stores[K] } = {
  metering: createPgMeteringStore,
  ledger: createPgLedgerStore,
  refusals: createPgRefusalStore,
  checkout: createPgCheckoutStore,
  catalog: createPgCatalogStore,
  settings: createPgSettingsStore,
  admin: createPgAdminStore,
  audit: createPgAuditStore,
  outbox: createPgOutboxStore,
  upstreams: createPgUpstreamKeyStore,
  ops: createPgOpsStore,
};

/**
 * Every store on one connection (the pool, or a transaction's): each made the first time it is
 * used, so a unit of work that touches two stores builds two.
 */
export function pgStores(conn: PgConn): Stores {
  const stores = {} as Stores;
  for (const name of Object.keys(FACTORIES) as (keyof Stores)[]) {
    let made: Stores[typeof name] | undefined;
    Object.defineProperty(stores, name, { enumerable: true, get: () => (made ??= FACTORIES[name](conn)) });
  }
  return stores;
}
