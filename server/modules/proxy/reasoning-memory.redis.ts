import { REDIS_PREFIX, redisScript, type SharedRedis } from '../../lib/redis';
import type { InMemoryReasoningMemory, ReasoningMemory } from './reasoning-memory';

// The reasoning record shared by every instance of the scale-out mode: a tool loop's next turn
// may reach another instance than the one that answered the turn. Per key, in one Redis hash (and
// a list of its turns, oldest first): each turn's reasoning with its expiry, and each tool call
// id → its turn. Bounded per key in age (30 minutes, on Redis's clock), turns and bytes, the
// oldest dropped first; Redis forgets a key's record when it has been quiet for the time kept.
// This instance's own in-memory record stands in front (its own turns cost no round trip) and is
// all there is while Redis is away (a turn that then reaches another instance without its
// reasoning gets DeepSeek's 400, as it would without the gateway).

export interface RedisReasoningLimits {
  ttlMs: number;
  /** per key */
  maxTurns: number;
  /** per key, the reasoning's UTF-8 bytes */
  maxBytes: number;
}

/** 30 minutes, 500 turns and 4 MiB of reasoning per key. */
export const REDIS_REASONING_LIMITS: RedisReasoningLimits = { ttlMs: 30 * 60_000, maxTurns: 500, maxBytes: 4 * 1024 * 1024 };

const NOW_MS = `local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)`;

/** KEYS hash, order; ARGV ttl, max turns, max bytes, reasoning, call ids… */
const REMEMBER = redisScript(`${NOW_MS}
local h, order = KEYS[1], KEYS[2]
local ttl, maxTurns, maxBytes = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local function forget(turn)
  local body = redis.call('HGET', h, 't:' .. turn)
  if body then redis.call('HINCRBY', h, 'bytes', -#body) end
  local calls = redis.call('HGET', h, 'k:' .. turn)
  if calls then
    for call in string.gmatch(calls, '[^\\n]+') do
      if redis.call('HGET', h, 'c:' .. call) == turn then redis.call('HDEL', h, 'c:' .. call) end
    end
  end
  redis.call('HDEL', h, 't:' .. turn, 'k:' .. turn)
end
for i = 5, #ARGV do
  local earlier = redis.call('HGET', h, 'c:' .. ARGV[i])
  if earlier then
    forget(earlier)
    redis.call('LREM', order, 0, earlier)
  end
end
local turn = tostring(redis.call('HINCRBY', h, 'seq', 1))
local body = (now + ttl) .. ':' .. ARGV[4]
redis.call('HSET', h, 't:' .. turn, body, 'k:' .. turn, table.concat(ARGV, '\\n', 5))
for i = 5, #ARGV do redis.call('HSET', h, 'c:' .. ARGV[i], turn) end
redis.call('RPUSH', order, turn)
local bytes = redis.call('HINCRBY', h, 'bytes', #body)
while redis.call('LLEN', order) > maxTurns or bytes > maxBytes do
  local oldest = redis.call('LPOP', order)
  if not oldest then break end
  forget(oldest)
  bytes = tonumber(redis.call('HGET', h, 'bytes') or '0')
end
redis.call('PEXPIRE', h, ttl)
redis.call('PEXPIRE', order, ttl)
return 1`);

/** KEYS hash; ARGV call ids → per id its reasoning, or nil */
const RECALL = redisScript(`${NOW_MS}
local out = {}
for i, call in ipairs(ARGV) do
  out[i] = false
  local turn = redis.call('HGET', KEYS[1], 'c:' .. call)
  local body = turn and redis.call('HGET', KEYS[1], 't:' .. turn)
  if body then
    local sep = string.find(body, ':', 1, true)
    if tonumber(string.sub(body, 1, sep - 1)) > now then out[i] = string.sub(body, sep + 1) end
  end
end
return out`);

export function createRedisReasoningMemory(redis: SharedRedis, local: InMemoryReasoningMemory, limits: RedisReasoningLimits = REDIS_REASONING_LIMITS): ReasoningMemory {
  const keysOf = (keyId: string) => [`${REDIS_PREFIX}reasoning:${keyId}`, `${REDIS_PREFIX}reasoning-order:${keyId}`];
  return {
    remember(keyId, toolCallIds, reasoning) {
      local.remember(keyId, toolCallIds, reasoning);
      if (toolCallIds.length === 0 || reasoning === '' || Buffer.byteLength(reasoning) > limits.maxBytes) return;
      redis.run(REMEMBER, keysOf(keyId), [limits.ttlMs, limits.maxTurns, limits.maxBytes, reasoning, ...toolCallIds]).catch(() => redis.health.fellBack('reasoning'));
    },
    async recallAll(keyId, toolCallIds) {
      const found = new Map(await local.recallAll(keyId, toolCallIds));
      const missing = toolCallIds.filter((id) => !found.has(id));
      if (missing.length === 0) return found;
      try {
        const answers = (await redis.run(RECALL, keysOf(keyId).slice(0, 1), missing)) as (string | null)[];
        missing.forEach((id, i) => {
          const reasoning = answers[i];
          if (typeof reasoning === 'string') found.set(id, reasoning);
        });
      } catch {
        redis.health.fellBack('reasoning');
      }
      return found;
    },
  };
}
