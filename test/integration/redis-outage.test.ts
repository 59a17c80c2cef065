import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { connectRedis } from '../../server/lib/redis';
import { redisLockout } from '../../server/modules/metering/auth-failures.redis';
import { redisConcurrency, redisRateLimit } from '../../server/modules/metering/limits.redis';
import { capturedLog, eventually } from '../helpers/counters';
import { REDIS_AVAILABLE, startRedis, type TestRedis } from '../helpers/redis';

// What the shared limits do when Redis goes away: each instance goes on deciding with its own
// in-memory counters and the same numbers (so a key gets at most its limit per instance), logs
// the outage once and counts every such decision; when Redis is back they are shared again.

let redis: TestRedis;
beforeAll(async () => {
  if (REDIS_AVAILABLE) redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await redis?.close();
});

describe.skipIf(!REDIS_AVAILABLE)('the shared limits while Redis is down', () => {
  it('fall back to this instance’s own counters with the same numbers, say so once, and share again once Redis is back', async () => {
    const { log, lines } = capturedLog();
    const shared = await connectRedis(redis.url, { log, commandTimeoutMs: 500 });
    const rates = redisRateLimit(shared, { instanceId: 'i1', now: Date.now });
    const concurrency = redisConcurrency(shared, { instanceId: 'i1' });
    const lockout = redisLockout(shared, { name: 'outage', limit: 2, windowMs: 60_000, instanceId: 'i1' });
    try {
      expect(await rates.take('k1', 2)).toMatchObject({ allowed: true, remaining: 1 });
      expect(shared.health.reachable).toBe(true);

      await redis.stop({ crash: true });
      // a fresh window of this instance's own: the same limit of 2 still holds
      const during = [await rates.take('k1', 2), await rates.take('k1', 2), await rates.take('k1', 2)];
      expect(during.map((d) => d.allowed)).toEqual([true, true, false]);
      const slot = await concurrency.enter('k1', 1);
      expect(slot).not.toBeNull();
      expect(await concurrency.enter('k1', 1)).toBeNull();
      await slot!.leave();
      expect(await lockout.fail('192.0.2.1')).toBe(0);
      expect(await lockout.fail('192.0.2.1')).toBeGreaterThan(0);
      expect(await lockout.retryAfterSeconds('192.0.2.1')).toBeGreaterThan(0);
      expect(lockout.anyLockedOut()).toBe(true);

      expect(shared.health.reachable).toBe(false);
      expect(shared.health.fallbacks()).toMatchObject({ rpm: 3, concurrency: 2, outage: 3 });
      const down = lines.filter((line) => line.includes('Redis is unreachable'));
      expect(down.length).toBe(1);
      expect(JSON.parse(down[0] as string).level).toBe('error');

      await redis.start();
      // Redis restarted empty and without its scripts: EVALSHA falls back to EVAL
      expect(await eventually(async () => (await rates.take('k2', 5)).allowed && shared.health.reachable, 15_000)).toBe(true);
      expect(lines.filter((line) => line.includes('Redis is reachable again')).length).toBe(1);
      const after = shared.health.fallbacks().rpm ?? 0;
      expect(await rates.take('k3', 1)).toMatchObject({ allowed: true, remaining: 0 });
      expect(await rates.take('k3', 1)).toMatchObject({ allowed: false });
      expect(shared.health.fallbacks().rpm ?? 0).toBe(after);
    } finally {
      concurrency.stop();
      lockout.stop();
      shared.close();
    }
  }, 30_000);

  it('answers within the command timeout when Redis stops responding', async () => {
    const { log } = capturedLog();
    const shared = await connectRedis(redis.url, { log, commandTimeoutMs: 250 });
    const rates = redisRateLimit(shared, { instanceId: 'i2', now: Date.now });
    process.kill(redis.pid, 'SIGSTOP');
    try {
      const decided = await Promise.race([rates.take('k4', 3), Bun.sleep(5000).then(() => 'no answer' as const)]);
      expect(decided).toMatchObject({ allowed: true, remaining: 2 });
      expect(shared.health.fallbacks().rpm).toBe(1);
    } finally {
      process.kill(redis.pid, 'SIGCONT');
      shared.close();
    }
  }, 15_000);
});
