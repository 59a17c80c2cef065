import { afterAll, beforeAll, describe, expect, it } from 'bun:test';
import { cacheVersions } from '../../server/db/pg/schema';
import { connectPostgres, type PostgresHandle } from '../../server/db/pg/client';
import { pgCacheVersions } from '../../server/db/pg/cache-versions';
import { localInvalidation, redisInvalidation, type InvalidationBus } from '../../server/lib/invalidation';
import { connectRedis, type SharedRedis } from '../../server/lib/redis';
import { capturedLog, eventually } from '../helpers/counters';
import { POSTGRES_AVAILABLE, startPostgres, type TestPostgres } from '../helpers/postgres';
import { REDIS_AVAILABLE, startRedis, type TestRedis } from '../helpers/redis';

// Cache invalidation across instances: Redis pub/sub for speed, PostgreSQL counters as the
// periodic check that catches a message that never arrived.

describe('cache invalidation in one process', () => {
  it('reaches every subscriber of the topic before publish() resolves, and nobody after unsubscribing', async () => {
    const bus = localInvalidation();
    const heard: (string | undefined)[] = [];
    const unsubscribe = bus.subscribe('keys', (id) => heard.push(id));
    bus.subscribe('catalog', () => heard.push('wrong topic'));
    await bus.publish('keys', 'key_1');
    await bus.publish('keys');
    expect(heard).toEqual(['key_1', undefined]);
    unsubscribe();
    await bus.publish('keys', 'key_2');
    expect(heard).toEqual(['key_1', undefined]);
  });
});

const AVAILABLE = POSTGRES_AVAILABLE && REDIS_AVAILABLE;
let pg: TestPostgres;
let redis: TestRedis;
let db: PostgresHandle;
beforeAll(async () => {
  if (!AVAILABLE) return;
  [pg, redis] = await Promise.all([startPostgres(), startRedis()]);
  db = await connectPostgres(await pg.migratedDatabase());
}, 30_000);
afterAll(async () => {
  await db?.close();
  await Promise.all([pg?.stop(), redis?.close()]);
});

describe.skipIf(!AVAILABLE)('cache invalidation across instances', () => {
  const opened: { bus: InvalidationBus; redis: SharedRedis }[] = [];
  afterAll(async () => {
    for (const { bus, redis: connection } of opened) {
      await bus.close();
      connection.close();
    }
  });
  async function instance(name: string) {
    const { log, lines } = capturedLog();
    const connection = await connectRedis(redis.url, { log });
    const bus = await redisInvalidation(connection, { instanceId: name, versions: pgCacheVersions(db.sql), log, checkEveryMs: 200 });
    opened.push({ bus, redis: connection });
    const heard: { topic: string; id: string | undefined }[] = [];
    for (const topic of ['keys', 'catalog', 'settings'] as const) bus.subscribe(topic, (id) => heard.push({ topic, id }));
    return { bus, heard, lines };
  }

  it('reaches the other instances’ subscribers within a second, and the publisher’s own once', async () => {
    const [a, b, c] = [await instance('a'), await instance('b'), await instance('c')];
    const started = Date.now();
    await a.bus.publish('keys', 'key_9');
    expect(a.heard).toEqual([{ topic: 'keys', id: 'key_9' }]);
    expect(await eventually(() => b.heard.length > 0 && c.heard.length > 0, 1000)).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    // first either the message itself or, on a loaded machine, the periodic check's drop of the whole topic (id undefined)
    for (const other of [b, c]) expect([{ topic: 'keys', id: 'key_9' }, { topic: 'keys', id: undefined }]).toContainEqual(other.heard[0]!);
    // and the message itself arrives as well
    expect(await eventually(() => [b, c].every((other) => other.heard.some((h) => h.id === 'key_9')), 2000)).toBe(true);
    // the periodic check sees the counter moved: the others may drop the whole topic once more, the publisher does not
    await Bun.sleep(500);
    expect(a.heard).toEqual([{ topic: 'keys', id: 'key_9' }]);
    expect(b.heard.filter((h) => h.topic !== 'keys')).toEqual([]);
  });

  it('catches a message that never arrived with the periodic check', async () => {
    const b = await instance('b2');
    // a change whose message was lost: the counter moved, nothing was published
    await db.db.insert(cacheVersions).values({ topic: 'catalog', version: 1 }).onConflictDoUpdate({ target: cacheVersions.topic, set: { version: 999 } });
    expect(await eventually(() => b.heard.some((h) => h.topic === 'catalog'), 3000)).toBe(true);
    expect(b.heard.find((h) => h.topic === 'catalog')).toEqual({ topic: 'catalog', id: undefined });
  });

  it('still reaches the others while Redis is down, through the counters, and by message again once it is back', async () => {
    const [a, b] = [await instance('a3'), await instance('b3')];
    await redis.stop({ crash: true });
    try {
      await a.bus.publish('settings', 'site');
      expect(await eventually(() => b.heard.some((h) => h.topic === 'settings'), 3000)).toBe(true);
    } finally {
      await redis.start();
    }
    // the subscriber connection is replaced and subscribes again; a message then arrives by itself
    const delivered = await eventually(async () => {
      b.heard.length = 0;
      await a.bus.publish('keys', 'key_after');
      return eventually(() => b.heard.some((h) => h.id === 'key_after'), 150);
    }, 10_000);
    expect(delivered).toBe(true);
  }, 20_000);
});
