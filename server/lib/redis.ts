import { RedisClient } from 'bun';
import { createHash } from 'node:crypto';
import { StartupError } from '../config';
import type { Logger } from './log';

// The scale-out mode's Redis: one connection for commands and Lua scripts, one per subscription.
// Commands never queue while Redis is away (enableOfflineQueue: false) and never wait longer than
// the command timeout, so a caller learns at once that it must decide without Redis. What it then
// decides is the caller's (the limits fall back to this instance's own counters); this file only
// keeps the health that is logged once per outage and counted for /metrics.

/** Every key and channel Tollgate uses starts with this. */
export const REDIS_PREFIX = 'tollgate:';

export interface RedisScript {
  source: string;
  sha: string;
}

/** A Lua script run by EVALSHA; its SHA-1 is worked out here, so no SCRIPT LOAD round trip is needed. */
export function redisScript(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

export interface RedisHealth {
  readonly reachable: boolean;
  /** a command failed: the first failure of an outage is logged as an error */
  failed(what: string, error: unknown): void;
  /** a command succeeded: the first success after an outage is logged */
  succeeded(): void;
  /** a decision was made without Redis, by `kind` (rpm, concurrency, a lockout's name…) */
  fellBack(kind: string): void;
  /** decisions made without Redis since start, by what decided (for /metrics) */
  fallbacks(): Record<string, number>;
}

export interface SharedRedis {
  /** redis://host:port, without a password */
  describe: string;
  health: RedisHealth;
  /** runs a script (EVALSHA, or EVAL once Redis has forgotten it after a restart); rejects when Redis cannot answer in time */
  run(script: RedisScript, keys: string[], args: (string | number)[]): Promise<unknown>;
  /** any other command, with the same timeout */
  command(name: string, args: (string | number)[]): Promise<unknown>;
  /**
   * Listens on a channel over a connection of its own, subscribing again whenever that connection
   * comes back; `onSubscribed` runs after every (re)subscription, when messages may have been missed.
   * Resolves after the first attempt, subscribed or not (it keeps trying).
   */
  subscribe(channel: string, listener: (message: string) => void, onSubscribed?: () => void): Promise<{ close(): void }>;
  close(): void;
}

export function describeRedisUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname === '/' ? '' : url.pathname}`;
  } catch {
    return 'redis://(unparsable URL)';
  }
}

/** Bun reconnects by itself with a back-off; after this many attempts it gives up and we start it again. */
const MAX_RETRIES = 1_000_000;
const RECONNECT_EVERY_MS = 1000;

class RedisTimeout extends Error {}

export async function connectRedis(url: string, opts: { log: Logger; commandTimeoutMs?: number; connectTimeoutMs?: number }): Promise<SharedRedis> {
  const { log } = opts;
  const timeoutMs = opts.commandTimeoutMs ?? 250;
  const describe = describeRedisUrl(url);
  const options = { connectionTimeout: opts.connectTimeoutMs ?? 2000, enableOfflineQueue: false, maxRetries: MAX_RETRIES };
  // A client that reconnects by itself would keep trying an unreachable Redis for ever: the first
  // connection is proven by a probe that does not, and the real client gets a bounded wait.
  const client = new RedisClient(url, options);
  const probe = new RedisClient(url, { ...options, autoReconnect: false });
  try {
    await probe.connect();
    await probe.send('PING', []);
    await Promise.race([client.connect(), Bun.sleep(options.connectionTimeout).then(() => Promise.reject(new Error('connection timed out')))]);
  } catch (error) {
    client.close();
    throw new StartupError(`TOLLGATE_REDIS_URL: cannot reach Redis at ${describe}: ${(error as Error).message}`);
  } finally {
    probe.close();
  }

  const health = createHealth(log, describe);
  let lastReconnect = 0;
  const subscriptions = new Set<{ close(): void }>();

  /** When Bun has given up reconnecting, start it again (at most once a second). */
  function kickReconnect(): void {
    if (client.connected || Date.now() - lastReconnect < RECONNECT_EVERY_MS) return;
    lastReconnect = Date.now();
    client.connect().catch(() => undefined);
  }

  async function timed<T>(what: string, work: () => Promise<T>): Promise<T> {
    kickReconnect();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RedisTimeout(`Redis did not answer within ${timeoutMs} ms`)), timeoutMs);
    });
    try {
      const result = await Promise.race([work(), timeout]);
      health.succeeded();
      return result;
    } catch (error) {
      health.failed(what, error);
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  async function evalScript(script: RedisScript, keys: string[], args: (string | number)[]): Promise<unknown> {
    const rest = [String(keys.length), ...keys, ...args.map(String)];
    try {
      return await client.send('EVALSHA', [script.sha, ...rest]);
    } catch (error) {
      if (!String((error as Error).message).startsWith('NOSCRIPT')) throw error;
      return client.send('EVAL', [script.source, ...rest]);
    }
  }

  return {
    describe,
    health,
    run: (script, keys, args) => timed('script', () => evalScript(script, keys, args)),
    command: (name, args) => timed(name, () => client.send(name, args.map(String))),
    async subscribe(channel, listener, onSubscribed) {
      const subscription = subscribeWithRetry(url, { ...options, autoReconnect: false }, channel, listener, onSubscribed, log);
      subscriptions.add(subscription);
      await subscription.ready;
      return {
        close: () => {
          subscriptions.delete(subscription);
          subscription.close();
        },
      };
    },
    close() {
      for (const subscription of subscriptions) subscription.close();
      client.close();
    },
  };
}

/**
 * Bun's client does not subscribe again after a reconnect, so the subscriber never reconnects by
 * itself: a closed connection is replaced by a new one, every second until one subscribes.
 */
function subscribeWithRetry(
  url: string,
  options: ConstructorParameters<typeof RedisClient>[1],
  channel: string,
  listener: (message: string) => void,
  onSubscribed: (() => void) | undefined,
  log: Logger,
): { ready: Promise<void>; close(): void } {
  let closed = false;
  let current: RedisClient | undefined;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let resolveReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => {
    resolveReady = resolve;
  });

  async function open(): Promise<void> {
    if (closed) return;
    const client = new RedisClient(url, options);
    current = client;
    client.onclose = () => {
      if (current === client && !closed) retry = setTimeout(open, RECONNECT_EVERY_MS);
    };
    try {
      await client.connect();
      await client.subscribe(channel, (message) => listener(message));
      resolveReady();
      onSubscribed?.();
    } catch (error) {
      // the first attempt settles `ready` either way: the caller's periodic check covers the gap
      resolveReady();
      log.debug('redis subscription not (re)established yet', { channel, error: (error as Error).message });
      client.onclose = null;
      client.close();
      if (current === client && !closed) retry = setTimeout(open, RECONNECT_EVERY_MS);
    }
  }

  void open();
  return {
    ready,
    close() {
      closed = true;
      clearTimeout(retry);
      resolveReady();
      current?.close();
    },
  };
}

function createHealth(log: Logger, describe: string): RedisHealth {
  let reachable = true;
  const counts: Record<string, number> = {};
  return {
    get reachable() {
      return reachable;
    },
    failed(what, error) {
      if (!reachable) return;
      reachable = false;
      log.error('Redis is unreachable: limits and lockouts fall back to this instance’s own counters until it is back (budgets are not affected)', {
        redis: describe,
        during: what,
        error: (error as Error).message,
      });
    },
    succeeded() {
      if (reachable) return;
      reachable = true;
      log.warn('Redis is reachable again: limits and lockouts are shared by every instance again', { redis: describe });
    },
    fellBack(kind) {
      counts[kind] = (counts[kind] ?? 0) + 1;
    },
    fallbacks: () => ({ ...counts }),
  };
}
