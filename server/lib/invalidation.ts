import type { Logger } from './log';
import { REDIS_PREFIX, type SharedRedis } from './redis';

// Tells every instance that something it may have cached has changed: a key disabled, rotated or
// topped up, a price or plan edited, a setting changed, an upstream key added or removed. The
// publishing instance's own subscribers hear it at once (before publish() resolves); the others
// through Redis pub/sub within milliseconds, and, should that message be lost (Redis restarting,
// a dropped connection), through a counter per topic in PostgreSQL that every instance reads
// every `checkEveryMs`: a changed counter means "anything in this topic may have changed".
//
// Wiring: the backend provides the bus (localInvalidation() on SQLite, redisInvalidation() in the
// scale-out mode); every write that a cache depends on publishes once it has committed (metering:
// 'keys' with the key id, from a unit of work's afterCommit; catalog: 'catalog'; site settings:
// 'settings'; the upstream pool: 'upstreams' with the key id), and each cache subscribes to its
// topic: an id drops that entry, none drops all (the catalog, settings and pool read again).

export type CacheTopic = 'keys' | 'catalog' | 'settings' | 'upstreams';

/** `id`: the one entry that changed; undefined: anything in the topic may have. */
export type InvalidationHandler = (id: string | undefined) => void;

export interface InvalidationBus {
  /** never throws: the change it announces is committed already; a lost message is caught by the periodic check */
  publish(topic: CacheTopic, id?: string): Promise<void>;
  subscribe(topic: CacheTopic, handler: InvalidationHandler): () => void;
  close(): Promise<void>;
}

/** The periodic check's counters (cache_versions on PostgreSQL: db/pg/cache-versions.ts). */
export interface CacheVersions {
  /** adds one to the topic's counter; answers the new value */
  bump(topic: string): Promise<number>;
  read(): Promise<Map<string, number>>;
}

function createHandlers() {
  const handlers = new Map<string, Set<InvalidationHandler>>();
  return {
    add(topic: string, handler: InvalidationHandler): () => void {
      let set = handlers.get(topic);
      if (!set) handlers.set(topic, (set = new Set()));
      set.add(handler);
      return () => set.delete(handler);
    },
    call(topic: string, id: string | undefined, log?: Logger): void {
      for (const handler of handlers.get(topic) ?? []) {
        try {
          handler(id);
        } catch (error) {
          log?.error('a cache invalidation handler failed', { topic, error: (error as Error).message });
        }
      }
    },
  };
}

/** One process (the SQLite mode): subscribers hear a publish before it resolves. */
export function localInvalidation(): InvalidationBus {
  const handlers = createHandlers();
  return {
    publish: async (topic, id) => handlers.call(topic, id),
    subscribe: (topic, handler) => handlers.add(topic, handler),
    close: async () => undefined,
  };
}

const CHANNEL = `${REDIS_PREFIX}invalidate`;

interface Message {
  topic: string;
  id?: string;
  from: string;
}

export async function redisInvalidation(
  redis: SharedRedis,
  opts: { instanceId: string; versions: CacheVersions; log: Logger; checkEveryMs?: number },
): Promise<InvalidationBus> {
  const { instanceId, versions, log } = opts;
  const handlers = createHandlers();
  let seen = new Map<string, number>();
  try {
    seen = await versions.read();
  } catch (error) {
    log.warn('cache versions could not be read; the first check treats every topic as changed', { error: (error as Error).message });
  }

  /** Any topic whose counter moved since we last looked is dropped whole. */
  async function check(): Promise<void> {
    let now: Map<string, number>;
    try {
      now = await versions.read();
    } catch {
      return; // the database is away: the next check tries again
    }
    for (const [topic, version] of now) {
      if (seen.get(topic) === version) continue;
      seen.set(topic, version);
      handlers.call(topic, undefined, log);
    }
  }

  let checking: Promise<void> = Promise.resolve();
  const checkNow = () => {
    checking = checking.then(check);
  };
  const timer = setInterval(checkNow, opts.checkEveryMs ?? 2000);
  timer.unref?.();

  const subscription = await redis.subscribe(
    CHANNEL,
    (text) => {
      let message: Message;
      try {
        message = JSON.parse(text) as Message;
      } catch {
        return;
      }
      if (message.from !== instanceId) handlers.call(message.topic, message.id, log);
    },
    // subscribed again after a lost connection: whatever was published meanwhile is in the counters
    checkNow,
  );

  return {
    async publish(topic, id) {
      handlers.call(topic, id, log);
      try {
        const version = await versions.bump(topic);
        // our own bump is no news to us, unless another instance bumped in between unseen
        if ((seen.get(topic) ?? 0) === version - 1) seen.set(topic, version);
      } catch (error) {
        log.warn('cache version not bumped; other instances rely on the message alone', { topic, error: (error as Error).message });
      }
      const message: Message = id === undefined ? { topic, from: instanceId } : { topic, id, from: instanceId };
      await redis.command('PUBLISH', [CHANNEL, JSON.stringify(message)]).catch(() => undefined);
    },
    subscribe: (topic, handler) => handlers.add(topic, handler),
    async close() {
      clearInterval(timer);
      subscription.close();
      await checking;
    },
  };
}
