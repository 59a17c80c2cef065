import type { Config } from './config';
import { connectPostgres, type PostgresHandle } from './db/pg/client';
import { migratePostgres } from './db/pg/migrate';
import type { Logger } from './lib/log';
import { connectRedis, type SharedRedis } from './lib/redis';

// Start-up of the scale-out mode (TOLLGATE_DATABASE_URL): reach PostgreSQL, apply its migrations
// under the advisory lock (refusing a schema newer than this binary), reach Redis. Each failure is
// one line and status 2. The scale-out Backend (db/pg/backend.ts) is built on what this returns.

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
