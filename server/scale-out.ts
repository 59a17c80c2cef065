import type { Config } from './config';
import { StartupError } from './config';
import { connectPostgres, type PostgresHandle } from './db/pg/client';
import { migratePostgres } from './db/pg/migrate';
import type { Logger } from './lib/log';
import { connectRedis, type SharedRedis } from './lib/redis';

// Start-up of the scale-out mode (TOLLGATE_DATABASE_URL): reach PostgreSQL, apply its migrations
// under the advisory lock (refusing a schema newer than this binary), reach Redis. Each failure is
// one line and status 2. What it returns is what the scale-out Backend (backend.ts; the SQLite one
// is db/sqlite/backend.ts) is built on, to be passed to createDeps({ …, backend }):
//
//   const opened = await openScaleOut(config, log);
//   instance id   = newInstanceId(); heartbeat = await startHeartbeat(opened.pg.sql, …)  (maintenance/instances.ts)
//   leadership    = electLeader(opened.pg.sql, { log })  (maintenance/leader.ts; soleLeader() on SQLite)
//   rates, concurrency, lockout(spec) = redisRateLimit / redisConcurrency / redisLockout(opened.redis, …)
//   bus           = await redisInvalidation(opened.redis, { versions: pgCacheVersions(opened.pg.sql), … })
//   stores        = the store.pg.ts twins over opened.pg.db; uow = sql.begin with the same stores bound to the transaction
//   holds         = the conditional-UPDATE holds of modules/metering/holds.ts
//   jobs          = backgroundJobs(deps) through runWhileLeader(leadership, …) (maintenance/index.ts), plus sweepDeadInstances

export interface ScaleOutBackend {
  pg: PostgresHandle;
  redis: SharedRedis;
  /** migrations applied by this start */
  applied: number;
  close(): Promise<void>;
}

export async function openScaleOut(config: Config, log: Logger): Promise<ScaleOutBackend> {
  if (!config.databaseUrl || !config.redisUrl) throw new Error('openScaleOut needs TOLLGATE_DATABASE_URL and TOLLGATE_REDIS_URL');
  const pg = await connectPostgres(config.databaseUrl);
  let redis: SharedRedis | undefined;
  try {
    const { applied } = await migratePostgres(pg.sql);
    if (applied > 0) log.info('database migrated', { database: pg.describe, applied });
    redis = await connectRedis(config.redisUrl, { log });
    const shared = redis;
    return {
      pg,
      redis: shared,
      applied,
      close: async () => {
        shared.close();
        await pg.close();
      },
    };
  } catch (error) {
    redis?.close();
    await pg.close();
    throw error;
  }
}

/** Until the stores run on PostgreSQL (the second wave), `serve` stops after the checks with this. */
export function scaleOutNotReady(backend: ScaleOutBackend): StartupError {
  return new StartupError(
    `the PostgreSQL mode is not complete in this version: ${backend.pg.describe} is migrated and Redis at ${backend.redis.describe} answers, but the gateway cannot serve from them yet; unset TOLLGATE_DATABASE_URL to run on SQLite`,
  );
}
