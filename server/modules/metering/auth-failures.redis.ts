import { addressGroup } from '../../lib/ip';
import { REDIS_PREFIX, redisScript, type SharedRedis } from '../../lib/redis';
import { memoryLockout, type AddressLockout } from './counters';

// The failure limiters of auth-failures.ts (key guesses, admin token, order lookups, checkouts)
// shared through Redis, with the same numbers: per address group (an IPv6 /64 as one), the newest
// `limit` failures within the window, one Lua script per decision on Redis's clock. Redis forgets
// an address when its window passes (PEXPIRE), so no address cap is needed. anyLockedOut() never
// waits: it answers from what this instance last heard (its own failures, and a read of the
// limiter's "locked until" every second), so a lockout begun on another instance reaches it
// within a second. While Redis cannot answer, this instance counts alone (memoryLockout).

const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] the address's failure times, KEYS[2] the limiter's lock end; ARGV limit, window, member → {wait s, any lock left ms} */
const FAIL = redisScript(`${NOW_MS}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -(limit + 1))
redis.call('PEXPIRE', KEYS[1], window)
local left = math.max(0, redis.call('PTTL', KEYS[2]))
if redis.call('ZCARD', KEYS[1]) < limit then return {0, left} end
local oldest = tonumber(redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')[2])
local ends = oldest + window - now
if ends > left then
  redis.call('SET', KEYS[2], '1', 'PX', ends)
  left = ends
end
return {math.max(1, math.ceil(ends / 1000)), left}`);

/** KEYS[1] the address's failure times; ARGV limit, window → wait s */
const RETRY_AFTER = redisScript(`${NOW_MS}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local since = '(' .. (now - window)
local n = redis.call('ZCOUNT', KEYS[1], since, '+inf')
if n < limit then return 0 end
local first = redis.call('ZRANGEBYSCORE', KEYS[1], since, '+inf', 'WITHSCORES', 'LIMIT', n - limit, 1)
return math.max(1, math.ceil((tonumber(first[2]) + window - now) / 1000))`);

const REFRESH_MS = 1000;
let sequence = 0;

export function redisLockout(
  redis: SharedRedis,
  opts: { name: string; limit: number; windowMs: number; instanceId: string; now?: () => number },
): AddressLockout & { stop(): void } {
  const { name, limit, windowMs } = opts;
  const local = memoryLockout({ limit, windowMs, now: opts.now });
  const prefix = `${REDIS_PREFIX}lockout:${name}:`;
  const untilKey = `${REDIS_PREFIX}lockout-until:${name}`;
  /** on this process's clock: when the latest lockout anywhere ends, as last heard */
  let lockedUntil = 0;
  const heard = (leftMs: number) => {
    lockedUntil = Math.max(lockedUntil, Date.now() + leftMs);
  };
  const refresh = setInterval(() => {
    redis.command('PTTL', [untilKey]).then((left) => heard(Math.max(0, Number(left))), () => undefined);
  }, REFRESH_MS);
  refresh.unref?.();

  return {
    async retryAfterSeconds(address) {
      try {
        return Number(await redis.run(RETRY_AFTER, [prefix + addressGroup(address)], [limit, windowMs]));
      } catch {
        redis.health.fellBack(name);
        return local.retryAfterSeconds(address);
      }
    },
    async fail(address) {
      const member = `${opts.instanceId}:${(++sequence).toString(36)}`;
      try {
        const [wait, left] = (await redis.run(FAIL, [prefix + addressGroup(address), untilKey], [limit, windowMs, member])) as number[];
        heard(left as number);
        return wait as number;
      } catch {
        redis.health.fellBack(name);
        return local.fail(address);
      }
    },
    anyLockedOut: () => lockedUntil > Date.now() || local.anyLockedOut(),
    async clear() {
      await local.clear();
      lockedUntil = 0;
      let cursor = '0';
      do {
        const [next, keys] = (await redis.command('SCAN', [cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000])) as [string, string[]];
        if (keys.length > 0) await redis.command('DEL', keys);
        cursor = next;
      } while (cursor !== '0');
      await redis.command('DEL', [untilKey]);
    },
    stop: () => clearInterval(refresh),
  };
}
