import type { Config } from './config';
import type { DatabaseHandle } from './db/client';
import { anySealedValue } from './db/sealed-sample';
import type { Clock } from './lib/clock';
import { createSealer, loadServerSecret, type Sealer } from './lib/crypto';
import type { Logger } from './lib/log';
import { createAuditLog, type AuditLog } from './modules/admin/audit';
import { createCatalogService, type CatalogService } from './modules/catalog/service';
import { createSiteSettings, type SiteSettingsService } from './modules/catalog/site';
import { createCheckoutService, type CheckoutService } from './modules/checkout/service';
import { createOutbox, type Outbox } from './modules/mail/outbox';
import { createMailService, type MailService } from './modules/mail/service';
import { createMeteringService, type MeteringService } from './modules/metering/service';
import { createMetrics, type Metrics } from './modules/ops/metrics';
import { createInMemoryReasoningMemory } from './modules/proxy/reasoning-memory';
import { createRelay, type ProxyService } from './modules/proxy/relay';
import { createUpstreamKeyStore, createUpstreamPool, type UpstreamPool } from './modules/proxy/upstream-pool';

/** What every module receives. Built once per process (or per test server). */
export interface Deps {
  config: Config;
  database: DatabaseHandle;
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

export function createDeps(input: { config: Config; database: DatabaseHandle; clock: Clock; log: Logger }): Deps {
  const { config, database, clock, log } = input;
  const sealer = createSealer(loadServerSecret(config.dataDir, config.serverSecret, anySealedValue(database.db)));
  const audit = createAuditLog(database.db);
  const catalog = createCatalogService(database.db);
  const site = createSiteSettings(database.db);
  // first: checkout and metering queue mail inside their own transactions
  const outbox = createOutbox({ db: database.db, clock, mail: config.mail });
  const metering = createMeteringService({ db: database.db, catalog, clock, sealer, keyPrefix: config.keyPrefix, log, alerts: outbox.alerts });
  // env keys plus the keys an operator added (upstream_keys, decrypted); state changes are written back
  const pool = createUpstreamPool({
    envKeys: config.deepseekApiKeys,
    log,
    baseUrl: config.deepseekBaseUrl,
    store: createUpstreamKeyStore(database.db),
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
    memory: createInMemoryReasoningMemory(clock.now),
  });
  const checkout = createCheckoutService({ config, db: database.db, clock, log, catalog, metering, audit, site, outbox });
  const mail = createMailService({ config, outbox, clock, log, site, metering });
  return { ...input, sealer, audit, catalog, site, metering, pool, proxy, checkout, outbox, mail, metrics: createMetrics() };
}
