import { createFailureLimiter } from './auth-failures';
import { createInFlight, createRateLimiter, type RateDecision } from './limits';

// The per-key and per-address counters that several instances must share, as asynchronous
// interfaces with two implementations each: this process's memory (below; the SQLite mode, and
// the fallback while Redis is away) and Redis (limits.redis.ts, auth-failures.redis.ts). The
// in-memory ones resolve at once, deciding synchronously inside: nothing interleaves a decision.
//
// Wiring: the backend (backend.ts) provides them; metering/service.ts admit calls `rates.take`
// and `concurrency.enter` and keeps the slot on the Admission (release/settle call slot.leave());
// plugins/auth.ts and checkout get their AddressLockouts from backend.lockout(spec) (fail()
// answers the wait, saving the second call). The SQLite backend uses the memory ones below; the
// scale-out backend the Redis ones.

export type { RateDecision } from './limits';

/** A sliding one-minute window per key: at most `limit` requests in any 60 s. */
export interface RequestRateLimit {
  take(keyId: string, limit: number): Promise<RateDecision>;
}

/** One of a key's concurrency slots; leave() gives it back (a second call does nothing). */
export interface ConcurrencySlot {
  leave(): Promise<void>;
}

/** At most `cap` requests of a key at once; enter() answers null when every slot is taken. */
export interface ConcurrencyLimit {
  enter(keyId: string, cap: number): Promise<ConcurrencySlot | null>;
  /** slots this instance holds now */
  held(): number;
}

/** Failed attempts counted per client address (an IPv6 /64 as one), then a wait. */
export interface AddressLockout {
  /** seconds the address must still wait, or 0 when it may try */
  retryAfterSeconds(address: string): Promise<number>;
  /** counts one failed attempt; answers the wait that now applies (0 while under the limit) */
  fail(address: string): Promise<number>;
  /** whether any address may be locked out right now (false: no address needs working out); never waits */
  anyLockedOut(): boolean;
  clear(): Promise<void>;
}

export function memoryRateLimit(now: () => number): RequestRateLimit {
  const limiter = createRateLimiter();
  return { take: async (keyId, limit) => limiter.take(keyId, limit, now()) };
}

export function memoryConcurrency(): ConcurrencyLimit {
  const inFlight = createInFlight();
  let held = 0;
  return {
    async enter(keyId, cap) {
      if (inFlight.count(keyId) >= cap) return null;
      inFlight.enter(keyId);
      held++;
      let left = false;
      return {
        async leave() {
          if (left) return;
          left = true;
          held--;
          inFlight.leave(keyId);
        },
      };
    },
    held: () => held,
  };
}

export function memoryLockout(opts: { limit: number; windowMs: number; maxAddresses?: number; now?: () => number }): AddressLockout {
  const limiter = createFailureLimiter(opts);
  return {
    retryAfterSeconds: async (address) => limiter.retryAfterSeconds(address),
    async fail(address) {
      limiter.fail(address);
      return limiter.retryAfterSeconds(address);
    },
    anyLockedOut: () => limiter.anyLockedOut(),
    clear: async () => limiter.clear(),
  };
}

const NO_SLOT_TO_GIVE_BACK: ConcurrencySlot = { leave: async () => undefined };

/**
 * The scale-out mode's concurrency: counted by the hold itself (holds.pg.ts: in_flight moves in the
 * same conditional UPDATE as held_nano, and leaves with it), so there is nothing to count here.
 */
export function concurrencyCountedByHolds(): ConcurrencyLimit {
  return { enter: async () => NO_SLOT_TO_GIVE_BACK, held: () => 0 };
}
