import type { Backend } from './backend';
import type { Config } from './config';
import type { DatabaseHandle } from './db/client';
import { anySealedValue } from './db/sealed-sample';
import { createSqliteBackend } from './db/sqlite/backend';
import type { Clock } from './lib/clock';
import { createSealer, loadServerSecret, scaleOutServerSecret, type Sealer } from './lib/crypto';
import type { Logger } from './lib/log';
import { createAuditLog, type AuditLog } from './modules/admin/audit';
import { createCatalogService, type CatalogService } from './modules/catalog/service';
import { createSiteSettings, type SiteSettingsService } from './modules/catalog/site';
import { createCheckoutService, type CheckoutService } from './modules/checkout/service';
import { createOutbox, type Outbox } from './modules/mail/outbox';
import { createMailService, type MailService } from './modules/mail/service';
import { createMeteringService, type MeteringService } from './modules/metering/service';
import { createMetrics, type Metrics } from './modules/ops/metrics';
import { createRelay, type ProxyService } from './modules/proxy/relay';
import { createUpstreamPool, type UpstreamPool } from './modules/proxy/upstream-pool';

/** What every module receives. Built once per process (or per test server). */
export interface Deps {
  config: Config;
  /** the SQLite file, for what only the SQLite mode has (backups, checkpoints, tests that read it); absent in the scale-out mode */
  database?: DatabaseHandle;
  /** the stores, unit of work, holds, counters, invalidation bus and leadership the services run on */
  backend: Backend;
  clock: Clock;
  log: Logger;
  sealer: Sealer;
  audit: AuditLog;
  catalog: CatalogService;
  site: SiteSettingsService;
  metering: MeteringService;
  pool: UpstreamPool;
  proxy: ProxyService;
  checkout: CheckoutService;
  outbox: Outbox;
  mail: MailService;
  metrics: Metrics;
}

/**
 * Builds every service over `backend` (the SQLite one on `database` unless another is given) and
 * loads what they keep in memory (the catalog, the site settings, the stored upstream keys).
 */
export async function createDeps(input: { config: Config; database?: DatabaseHandle; clock: Clock; log: Logger; backend?: Backend }): Promise<Deps> {
  const { config, database, clock, log } = input;
  if (!input.backend && !database) throw new Error('createDeps needs the SQLite database or a backend');
  const backend = input.backend ?? createSqliteBackend(database as DatabaseHandle, { clock, log });
  const { stores, uow, bus } = backend;
  const sample = await anySealedValue(stores);
  // the scale-out mode's secret is the environment's alone: no instance writes one into a data dir
  const secret = backend.kind === 'postgres' ? scaleOutServerSecret(config.serverSecret, sample) : loadServerSecret(config.dataDir, config.serverSecret, sample);
  const sealer = createSealer(secret);
  const audit = createAuditLog(stores);
  const catalog = createCatalogService({ store: stores.catalog, bus, log });
  const site = createSiteSettings({ store: stores.settings, bus, log });
  // first: checkout and metering queue mail inside their own transactions
  const outbox = createOutbox({ stores, clock, mail: config.mail });
  const metering = createMeteringService({
    stores,
    uow,
    holds: backend.holds,
    rates: backend.rates,
    concurrency: backend.concurrency,
    bus,
    catalog,
    clock,
    sealer,
    keyPrefix: config.keyPrefix,
    log,
    alerts: outbox.alerts,
    refusalFlushMs: config.refusalFlushSeconds * 1000,
  });
  // env keys plus the keys an operator added (upstream_keys, decrypted); state changes are written back
  const pool = createUpstreamPool({
    envKeys: config.deepseekApiKeys,
    log,
    baseUrl: config.deepseekBaseUrl,
    store: stores.upstreams,
    bus,
    sealer,
    lowBalanceUsd: () => site.get().lowBalanceWarningUsd,
  });
  const proxy = createRelay({
    metering,
    catalog,
    pool,
    clock,
    log,
    options: {
      baseUrl: config.deepseekBaseUrl,
      connectTimeoutMs: config.upstreamConnectTimeoutMs,
      idleTimeoutMs: config.upstreamIdleTimeoutMs,
      maxUpstreamBodyBytes: config.maxUpstreamBodyBytes,
      maxOpenStreams: config.maxOpenStreams,
      maxAttempts: Math.max(2, Math.min(4, config.deepseekApiKeys.length + 1)),
      backoffMs: 100,
    },
    showReasoningDefault: () => site.get().showReasoningDefault,
    memory: backend.reasoning,
  });
  const checkout = createCheckoutService({ config, stores, uow, lockout: backend.lockout, clock, log, catalog, metering, audit, site, outbox });
  const mail = createMailService({ config, outbox, clock, log, site, metering });
  await Promise.all([catalog.load(), site.load(), pool.load()]);
  return { ...input, backend, sealer, audit, catalog, site, metering, pool, proxy, checkout, outbox, mail, metrics: createMetrics() };
}
