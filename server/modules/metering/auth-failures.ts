import { addressGroup } from '../../lib/ip';

// Failed authentications counted per client address, so a guesser is slowed down long before a key
// space of 62^40 could matter and a noisy client cannot keep the gateway busy hashing guesses.
// An IPv6 address counts with its whole /64 (addressGroup): one subscriber holds all of it.
// In memory on purpose: a restart forgets, which only ever helps honest clients.

/** API keys: after this many 401s from one address within the window, that address waits. */
export const KEY_AUTH_FAILURE_LIMIT = 20;
export const KEY_AUTH_FAILURE_WINDOW_MS = 10 * 60_000;
/** Addresses remembered at most; beyond this the longest-quiet ones are forgotten first. */
export const FAILURE_ADDRESSES_MAX = 10_000;

export interface FailureLimiter {
  /** Seconds the address must still wait, or 0 when it may try. */
  retryAfterSeconds(address: string): number;
  /** Counts one failed attempt from the address. */
  fail(address: string): void;
  /** Whether any address may be locked out right now (false: no address needs working out). */
  anyLockedOut(): boolean;
  /** Addresses currently remembered (for tests and metrics). */
  size(): number;
  clear(): void;
}

export function createFailureLimiter(opts: { limit: number; windowMs: number; maxAddresses?: number; now?: () => number }): FailureLimiter {
  const { limit, windowMs } = opts;
  const maxAddresses = opts.maxAddresses ?? FAILURE_ADDRESSES_MAX;
  const now = opts.now ?? Date.now;
  // Map order is the order addresses last failed in: re-inserting on each failure keeps the
  // longest-quiet address first, which is the one to forget when the map is full.
  const failures = new Map<string, number[]>();
  /** the latest moment a lockout that has begun can last until */
  let lockedUntil = 0;

  const recent = (address: string, at: number): number[] => (failures.get(address) ?? []).filter((t) => t > at - windowMs);

  function makeRoom(at: number): void {
    for (const [address, times] of failures) {
      if (failures.size < maxAddresses) return;
      if (times.every((t) => t <= at - windowMs)) failures.delete(address);
    }
    for (const address of failures.keys()) {
      if (failures.size < maxAddresses) return;
      failures.delete(address);
    }
  }

  return {
    retryAfterSeconds(address) {
      const at = now();
      const times = recent(addressGroup(address), at);
      if (times.length < limit) return 0;
      const oldestCounted = times[times.length - limit] as number;
      return Math.max(1, Math.ceil((oldestCounted + windowMs - at) / 1000));
    },
    fail(address) {
      const at = now();
      const group = addressGroup(address);
      // only the newest `limit` failures decide when the address may try again
      const times = [...recent(group, at), at].slice(-limit);
      failures.delete(group);
      if (failures.size >= maxAddresses) makeRoom(at);
      failures.set(group, times);
      if (times.length >= limit) lockedUntil = Math.max(lockedUntil, (times[0] as number) + windowMs);
    },
    anyLockedOut: () => lockedUntil > now(),
    size: () => failures.size,
    clear: () => {
      failures.clear();
      lockedUntil = 0;
    },
  };
}
