import type { Backend } from '../../backend';
import type { Clock } from '../../lib/clock';
import { redisInvalidation } from '../../lib/invalidation';
import type { Logger } from '../../lib/log';
import { newInstanceId, startHeartbeat, sweepDeadInstances, type Heartbeat } from '../../maintenance/instances';
import { electLeader, neverLeader, type BackgroundJob } from '../../maintenance/leader';
import { redisLockout } from '../../modules/metering/auth-failures.redis';
import { concurrencyCountedByHolds } from '../../modules/metering/counters';
import { createPgHolds } from '../../modules/metering/holds.pg';
import { redisRateLimit } from '../../modules/metering/limits.redis';
import { createInMemoryReasoningMemory } from '../../modules/proxy/reasoning-memory';
import { createRedisReasoningMemory } from '../../modules/proxy/reasoning-memory.redis';
import type { ScaleOutBackend } from '../../scale-out';
import { pgCacheVersions } from './cache-versions';
import { pgConn } from './conn';
import { pgStores } from './stores';
import { pgUnitOfWork } from './unit-of-work';

export interface PgBackendOptions {
  clock: Clock;
  log: Logger;
  version: string;
  /** a serving gateway: heartbeat, leader election, hold sweeper. A command (`keys …`) has none of them. */
  serving: boolean;
  /** an instance not heard from for this long is taken for dead (TOLLGATE_INSTANCE_STALE_SECONDS) */
  staleMs: number;
  instanceId?: string;
}

/** How often the leader looks for instances that stopped heartbeating. */
const SWEEP_EVERY_MS = 5000;
/** Cache topics are compared with PostgreSQL's counters this often: a lost Redis message costs at most this long. */
const CACHE_CHECK_MS = 1000;

/**
 * The scale-out backend: everything durable on PostgreSQL (the store twins, sql.begin units of
 * work, holds in the key rows, which also count each key's requests in flight), what every
 * instance must agree on at once in Redis (request windows, lockouts, the reasoning record, cache
 * invalidation messages, with PostgreSQL's cache_versions as the fallback), and background work
 * on the instance that holds the advisory lock.
 */
export async function createPgBackend(opened: ScaleOutBackend, opts: PgBackendOptions): Promise<Backend & { instanceId: string }> {
  const { pg, redis } = opened;
  const { log, clock } = opts;
  const instanceId = opts.instanceId ?? newInstanceId();
  const stops: (() => void)[] = [];
  const bus = await redisInvalidation(redis, { instanceId, versions: pgCacheVersions(pg.sql), log, checkEveryMs: CACHE_CHECK_MS });
  let heartbeat: Heartbeat | undefined;
  try {
    if (opts.serving) heartbeat = await startHeartbeat(pg.sql, { id: instanceId, version: opts.version, everyMs: Math.max(500, Math.floor(opts.staleMs / 6)), log });
  } catch (error) {
    await bus.close();
    throw error;
  }
  const leadership = opts.serving ? electLeader(pg.sql, { log }) : neverLeader();

  const sweeper: BackgroundJob = (() => {
    let timer: ReturnType<typeof setInterval> | undefined;
    let sweeping: Promise<unknown> = Promise.resolve();
    const sweep = () => {
      sweeping = sweeping
        .then(() => sweepDeadInstances(pg.sql, { staleMs: opts.staleMs }))
        .then((swept) => {
          if (swept.holds > 0 || swept.instances > 0) log.warn('released the holds of instances that stopped heartbeating', { instances: swept.instances, holds: swept.holds, nano: swept.nano });
        })
        .catch((error: unknown) => log.warn('hold sweep failed', { error: (error as Error).message }));
    };
    return {
      name: 'hold sweeper',
      start() {
        sweep();
        timer = setInterval(sweep, SWEEP_EVERY_MS);
      },
      async stop() {
        clearInterval(timer);
        await sweeping;
      },
    };
  })();

  return {
    kind: 'postgres',
    instanceId,
    stores: pgStores(pgConn(pg.sql)),
    uow: pgUnitOfWork(pg.sql, log),
    holds: createPgHolds(pg.sql, { instanceId, now: clock.now }),
    rates: redisRateLimit(redis, { instanceId, now: clock.now }),
    concurrency: concurrencyCountedByHolds(),
    lockout(spec) {
      const lockout = redisLockout(redis, { ...spec, instanceId });
      stops.push(lockout.stop);
      return lockout;
    },
    bus,
    leadership,
    reasoning: createRedisReasoningMemory(redis, createInMemoryReasoningMemory(clock.now)),
    backgroundJobs: opts.serving ? [sweeper] : [],
    redis: {
      describe: redis.describe,
      ping: () => redis.command('PING', []).then(
        (answer) => answer === 'PONG',
        () => false,
      ),
      fallbacks: () => redis.health.fallbacks(),
    },
    async close() {
      await leadership.stop();
      for (const stop of stops) stop();
      await bus.close();
      await heartbeat?.stop();
      await opened.close();
    },
  };
}
