import { REDIS_PREFIX, redisScript, type SharedRedis } from '../../lib/redis';
import { memoryConcurrency, memoryRateLimit, type ConcurrencyLimit, type ConcurrencySlot, type RequestRateLimit } from './counters';
import type { RateDecision } from './limits';

// Requests per minute and concurrency per key, shared by every instance through Redis: one Lua
// script per decision (one round trip), on Redis's own clock so that instances whose clocks
// disagree still count one window. The numbers are those of limits.ts. While Redis cannot answer,
// each instance decides with its own in-memory counters (the same limits, per instance) and says
// so once in the log; budgets never depend on Redis.

const WINDOW_MS = 60_000;

const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS[1] the key's window (a sorted set of request times); ARGV limit, window ms, a unique member → {allowed, remaining, reset ms} */
const TAKE = redisScript(`${NOW_MS}
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local n = redis.call('ZCARD', KEYS[1])
local function reset()
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return tonumber(oldest[2]) + window - now
end
if n >= limit then return {0, 0, reset()} end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], window)
n = n + 1
if n >= limit then return {1, limit - n, reset()} end
return {1, limit - n, 0}`);

/** KEYS[1] the key's slots (member → lease end); ARGV cap, lease ms, member → 1 entered, 0 full */
const ENTER = redisScript(`${NOW_MS}
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[1]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`);

/** KEYS the slot sets; ARGV[1] lease ms, then one member per key: extends the leases of slots still there */
const RENEW = redisScript(`${NOW_MS}
local lease = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, 'XX', now + lease, ARGV[i + 1])
  redis.call('PEXPIRE', key, lease)
end
return #KEYS`);

let sequence = 0;
const uniqueMember = (instanceId: string) => `${instanceId}:${(++sequence).toString(36)}`;

export function redisRateLimit(redis: SharedRedis, opts: { instanceId: string; now: () => number }): RequestRateLimit {
  const local = memoryRateLimit(opts.now);
  return {
    async take(keyId, limit) {
      try {
        const [allowed, remaining, resetMs] = (await redis.run(TAKE, [`${REDIS_PREFIX}rpm:${keyId}`], [limit, WINDOW_MS, uniqueMember(opts.instanceId)])) as number[];
        return { allowed: allowed === 1, limit, remaining: remaining as number, resetMs: resetMs as number } satisfies RateDecision;
      } catch {
        redis.health.fellBack('rpm');
        return local.take(keyId, limit);
      }
    },
  };
}

/**
 * A slot is a member of the key's sorted set, scored with the end of its lease. This instance
 * renews the leases of its open slots every `leaseMs / 3`; the slots of an instance that died
 * lapse within `leaseMs`, so they never hold a key's cap for long.
 */
export function redisConcurrency(redis: SharedRedis, opts: { instanceId: string; leaseMs?: number }): ConcurrencyLimit & { stop(): void } {
  const leaseMs = opts.leaseMs ?? 30_000;
  const local = memoryConcurrency();
  const open = new Map<string, string>(); // member → its set's key
  const renewal = setInterval(renew, Math.max(100, Math.floor(leaseMs / 3)));
  renewal.unref?.();

  async function renew(): Promise<void> {
    if (open.size === 0) return;
    const members = [...open.keys()];
    try {
      await redis.run(RENEW, members.map((member) => open.get(member) as string), [leaseMs, ...members]);
    } catch {
      // the next renewal tries again; a lapsed slot only lets one more request in
    }
  }

  return {
    async enter(keyId, cap): Promise<ConcurrencySlot | null> {
      const key = `${REDIS_PREFIX}conc:${keyId}`;
      const member = uniqueMember(opts.instanceId);
      let entered: unknown;
      try {
        entered = await redis.run(ENTER, [key], [cap, leaseMs, member]);
      } catch {
        redis.health.fellBack('concurrency');
        return local.enter(keyId, cap);
      }
      if (entered !== 1) return null;
      open.set(member, key);
      return {
        async leave() {
          if (!open.delete(member)) return;
          // not given back while Redis is away: its lease lapses instead, as nobody renews it now
          await redis.command('ZREM', [key, member]).catch(() => undefined);
        },
      };
    },
    held: () => open.size + local.held(),
    stop: () => clearInterval(renewal),
  };
}
