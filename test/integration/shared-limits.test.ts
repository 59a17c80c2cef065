import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { REDIS_PREFIX } from '../../server/lib/redis';
import { memoryConcurrency, memoryRateLimit, type ConcurrencyLimit, type RequestRateLimit } from '../../server/modules/metering/counters';
import { redisConcurrency, redisRateLimit } from '../../server/modules/metering/limits.redis';
import { twoInstances } from '../helpers/counters';
import { REDIS_AVAILABLE, startRedis, type TestRedis } from '../helpers/redis';

// The same cases for both implementations of the request-rate and concurrency limits: this
// process's memory, and Redis seen from two connections (two instances of the gateway).

interface Limits {
  /** two instances' views of one shared limit (for memory: the same object twice) */
  rates: [RequestRateLimit, RequestRateLimit];
  concurrency: [ConcurrencyLimit, ConcurrencyLimit];
  /** makes the key's counted requests `ms` older */
  age(keyId: string, ms: number): Promise<void>;
  close(): void;
}

let redis: TestRedis | undefined;
beforeAll(async () => {
  if (REDIS_AVAILABLE) redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await redis?.close();
});

const implementations: { name: string; available: boolean; make(): Promise<Limits> }[] = [
  {
    name: 'in memory',
    available: true,
    async make() {
      let offset = 0;
      const rates = memoryRateLimit(() => Date.now() + offset);
      const concurrency = memoryConcurrency();
      return {
        rates: [rates, rates],
        concurrency: [concurrency, concurrency],
        age: async (_keyId, ms) => {
          offset += ms;
        },
        close: () => undefined,
      };
    },
  },
  {
    name: 'on Redis',
    available: REDIS_AVAILABLE,
    async make() {
      const { a, b, close } = await twoInstances((redis as TestRedis).url);
      const ca = redisConcurrency(a, { instanceId: 'a' });
      const cb = redisConcurrency(b, { instanceId: 'b' });
      return {
        rates: [redisRateLimit(a, { instanceId: 'a', now: Date.now }), redisRateLimit(b, { instanceId: 'b', now: Date.now })],
        concurrency: [ca, cb],
        async age(keyId, ms) {
          const key = `${REDIS_PREFIX}rpm:${keyId}`;
          // RESP3: [[member, score], …]
          const members = (await a.command('ZRANGE', [key, 0, -1, 'WITHSCORES'])) as [string, number][];
          for (const [member, score] of members) await a.command('ZADD', [key, Number(score) - ms, member]);
        },
        close() {
          ca.stop();
          cb.stop();
          close();
        },
      };
    },
  },
];

let keys = 0;
const newKey = () => `key_${process.pid}_${++keys}`;

for (const impl of implementations) {
  describe.skipIf(!impl.available)(`requests per minute ${impl.name}`, () => {
    let limits: Limits;
    beforeAll(async () => {
      limits = await impl.make();
    });
    afterAll(() => limits.close());

    it('counts down the remaining requests and makes the one over the limit wait for the oldest to leave the window', async () => {
      const [rates] = limits.rates;
      const key = newKey();
      const taken = [await rates.take(key, 3), await rates.take(key, 3), await rates.take(key, 3)];
      expect(taken.map((d) => [d.allowed, d.remaining, d.limit])).toEqual([
        [true, 2, 3],
        [true, 1, 3],
        [true, 0, 3],
      ]);
      expect(taken[0]?.resetMs).toBe(0);
      expect(taken[2]?.resetMs).toBeGreaterThan(0);
      expect(taken[2]?.resetMs).toBeLessThanOrEqual(60_000);
      const refused = await rates.take(key, 3);
      expect(refused.allowed).toBe(false);
      expect(refused.remaining).toBe(0);
      expect(refused.resetMs).toBeGreaterThan(50_000);
      expect(refused.resetMs).toBeLessThanOrEqual(60_000);
      // another key has its own window
      expect(await rates.take(newKey(), 3)).toMatchObject({ allowed: true, remaining: 2 });
    });

    it('lets a key in again once its requests are a minute old, and not a moment before', async () => {
      const [rates] = limits.rates;
      const key = newKey();
      await rates.take(key, 2);
      await rates.take(key, 2);
      await limits.age(key, 50_000);
      expect((await rates.take(key, 2)).allowed).toBe(false);
      await limits.age(key, 10_001);
      expect(await rates.take(key, 2)).toMatchObject({ allowed: true, remaining: 1 });
    });

    it('lets exactly the limit through when two instances take at once', async () => {
      const key = newKey();
      const decisions = await Promise.all(Array.from({ length: 40 }, (_, i) => limits.rates[i % 2]!.take(key, 30)));
      expect(decisions.filter((d) => d.allowed).length).toBe(30);
      expect(decisions.filter((d) => d.allowed).map((d) => d.remaining).sort((x, y) => x - y)).toEqual(Array.from({ length: 30 }, (_, i) => i));
    });
  });

  describe.skipIf(!impl.available)(`concurrency per key ${impl.name}`, () => {
    let limits: Limits;
    beforeAll(async () => {
      limits = await impl.make();
    });
    afterAll(() => limits.close());

    it('refuses a slot when the cap is taken and gives one back once, however often leave() is called', async () => {
      const [concurrency] = limits.concurrency;
      const key = newKey();
      const first = await concurrency.enter(key, 2);
      const second = await concurrency.enter(key, 2);
      expect(first).not.toBeNull();
      expect(second).not.toBeNull();
      expect(await concurrency.enter(key, 2)).toBeNull();
      expect(await concurrency.enter(newKey(), 2)).not.toBeNull();
      await first!.leave();
      await first!.leave();
      const third = await concurrency.enter(key, 2);
      expect(third).not.toBeNull();
      expect(await concurrency.enter(key, 2)).toBeNull();
      await second!.leave();
      await third!.leave();
    });

    it('gives exactly the cap to two instances entering at once', async () => {
      const key = newKey();
      const slots = await Promise.all(Array.from({ length: 20 }, (_, i) => limits.concurrency[i % 2]!.enter(key, 5)));
      const entered = slots.filter((slot) => slot !== null);
      expect(entered.length).toBe(5);
      await Promise.all(entered.map((slot) => slot!.leave()));
      expect(await limits.concurrency[1].enter(key, 5)).not.toBeNull();
    });
  });
}

describe.skipIf(!REDIS_AVAILABLE)('concurrency slots on Redis', () => {
  it('of an instance that died lapse with their lease, while a live instance keeps its own', async () => {
    const { a, b, close } = await twoInstances((redis as TestRedis).url);
    const dying = redisConcurrency(a, { instanceId: 'dying', leaseMs: 2000 });
    const living = redisConcurrency(b, { instanceId: 'living', leaseMs: 2000 });
    try {
      const key = newKey();
      expect(await dying.enter(key, 2)).not.toBeNull();
      expect(await living.enter(key, 2)).not.toBeNull();
      expect(await living.enter(key, 2)).toBeNull();
      dying.stop(); // its renewals stop, as they would with its process
      await Bun.sleep(2600);
      // the living instance renewed its slot (every lease/3); the dead one's lapsed
      expect(await living.enter(key, 2)).not.toBeNull();
      expect(await living.enter(key, 2)).toBeNull();
      expect(living.held()).toBe(2);
    } finally {
      living.stop();
      close();
    }
  }, 10_000);
});
