import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { memoryLockout, type AddressLockout } from '../../server/modules/metering/counters';
import { redisLockout } from '../../server/modules/metering/auth-failures.redis';
import { eventually, twoInstances } from '../helpers/counters';
import { REDIS_AVAILABLE, startRedis, type TestRedis } from '../helpers/redis';

// The failure limiters (key guesses, admin token, order lookups, checkouts) in both
// implementations, the same cases: in memory, and on Redis from two instances' connections.

type Pair = [AddressLockout, AddressLockout];

let redis: TestRedis | undefined;
beforeAll(async () => {
  if (REDIS_AVAILABLE) redis = await startRedis();
}, 30_000);
afterAll(async () => {
  await redis?.close();
});

let names = 0;
const implementations: { name: string; available: boolean; make(opts: { limit: number; windowMs: number }): Promise<{ pair: Pair; close(): void }> }[] = [
  {
    name: 'in memory',
    available: true,
    async make(opts) {
      const lockout = memoryLockout(opts);
      return { pair: [lockout, lockout], close: () => undefined };
    },
  },
  {
    name: 'on Redis',
    available: REDIS_AVAILABLE,
    async make(opts) {
      const { a, b, close } = await twoInstances((redis as TestRedis).url);
      const name = `test-${++names}`;
      const la = redisLockout(a, { ...opts, name, instanceId: 'a' });
      const lb = redisLockout(b, { ...opts, name, instanceId: 'b' });
      return {
        pair: [la, lb],
        close() {
          la.stop();
          lb.stop();
          close();
        },
      };
    },
  },
];

for (const impl of implementations) {
  describe.skipIf(!impl.available)(`address lockouts ${impl.name}`, () => {
    const opened: { close(): void }[] = [];
    const make = async (limit: number, windowMs: number) => {
      const made = await impl.make({ limit, windowMs });
      opened.push(made);
      return made.pair;
    };
    afterAll(() => {
      for (const made of opened) made.close();
    });

    it('lets an address fail up to the limit, then tells it how long to wait', async () => {
      const [lockout] = await make(3, 60_000);
      const waits: number[] = [];
      for (let i = 0; i < 3; i++) {
        expect(await lockout.retryAfterSeconds('198.51.100.7')).toBe(0);
        waits.push(await lockout.fail('198.51.100.7'));
      }
      expect(waits.slice(0, 2)).toEqual([0, 0]);
      expect(waits[2]).toBeGreaterThan(50);
      expect(waits[2]).toBeLessThanOrEqual(60);
      const wait = await lockout.retryAfterSeconds('198.51.100.7');
      expect(wait).toBeGreaterThan(50);
      expect(wait).toBeLessThanOrEqual(60);
      expect(await lockout.retryAfterSeconds('198.51.100.8')).toBe(0);
    });

    it('lets the address try again once its oldest counted failure leaves the window', async () => {
      const [lockout] = await make(2, 1000);
      await lockout.fail('198.51.100.9');
      expect(await lockout.fail('198.51.100.9')).toBe(1);
      await Bun.sleep(1100);
      expect(await lockout.retryAfterSeconds('198.51.100.9')).toBe(0);
    });

    it('counts an IPv6 /64 as one address', async () => {
      const [lockout] = await make(3, 60_000);
      for (const address of ['2001:db8:1:2::1', '2001:db8:1:2::2', '2001:db8:1:2:ffff:ffff:ffff:ffff']) await lockout.fail(address);
      expect(await lockout.retryAfterSeconds('2001:db8:1:2:abcd::9')).toBeGreaterThan(0);
      expect(await lockout.retryAfterSeconds('2001:db8:1:3::1')).toBe(0);
    });

    it('locks an address out on every instance when its failures are split across them', async () => {
      const [a, b] = await make(10, 60_000);
      await Promise.all(Array.from({ length: 9 }, (_, i) => (i % 2 ? a : b).fail('203.0.113.50')));
      expect(await a.retryAfterSeconds('203.0.113.50')).toBe(0);
      expect(await b.fail('203.0.113.50')).toBeGreaterThan(0);
      expect(await a.retryAfterSeconds('203.0.113.50')).toBeGreaterThan(0);
      expect(await b.retryAfterSeconds('203.0.113.50')).toBeGreaterThan(0);
    });

    it('knows without asking whether any address is locked out, on the other instance within a second or so', async () => {
      const [a, b] = await make(2, 60_000);
      expect(a.anyLockedOut()).toBe(false);
      await a.fail('203.0.113.60');
      expect(a.anyLockedOut()).toBe(false);
      await a.fail('203.0.113.60');
      expect(a.anyLockedOut()).toBe(true);
      expect(await eventually(() => b.anyLockedOut(), 5000)).toBe(true);
    });

    it('forgets every address when cleared', async () => {
      const [a, b] = await make(1, 60_000);
      await a.fail('203.0.113.70');
      expect(await b.retryAfterSeconds('203.0.113.70')).toBeGreaterThan(0);
      await a.clear();
      expect(await b.retryAfterSeconds('203.0.113.70')).toBe(0);
      expect(a.anyLockedOut()).toBe(false);
    });
  });
}
