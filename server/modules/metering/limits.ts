// Holds, in-flight counts and requests-per-minute windows in memory: one process owns them, and a
// restart must not leave a hold behind. They back the SQLite mode's BudgetHolds (holds.sqlite.ts)
// and the in-memory counters (counters.ts); the scale-out mode shares them through PostgreSQL
// and Redis instead.

export interface HoldBook {
  held(keyId: string): number;
  /** the key's open holds */
  count(keyId: string): number;
  add(keyId: string, nano: number): void;
  release(keyId: string, nano: number): void;
  total(): { count: number; nano: number };
}

export function createHoldBook(): HoldBook {
  const holds = new Map<string, { nano: number; count: number }>();
  return {
    held: (keyId) => holds.get(keyId)?.nano ?? 0,
    count: (keyId) => holds.get(keyId)?.count ?? 0,
    add(keyId, nano) {
      const entry = holds.get(keyId);
      if (entry) {
        entry.nano += nano;
        entry.count += 1;
      } else holds.set(keyId, { nano, count: 1 });
    },
    release(keyId, nano) {
      const entry = holds.get(keyId);
      if (!entry) return;
      entry.nano -= nano;
      entry.count -= 1;
      if (entry.count <= 0) holds.delete(keyId);
    },
    total() {
      let count = 0;
      let nano = 0;
      for (const entry of holds.values()) {
        count += entry.count;
        nano += entry.nano;
      }
      return { count, nano };
    },
  };
}

export interface InFlight {
  count(keyId: string): number;
  enter(keyId: string): void;
  leave(keyId: string): void;
}

export function createInFlight(): InFlight {
  const counts = new Map<string, number>();
  return {
    count: (keyId) => counts.get(keyId) ?? 0,
    enter: (keyId) => counts.set(keyId, (counts.get(keyId) ?? 0) + 1),
    leave(keyId) {
      const next = (counts.get(keyId) ?? 0) - 1;
      if (next <= 0) counts.delete(keyId);
      else counts.set(keyId, next);
    },
  };
}

export interface RateDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** ms until a slot frees up (0 when one is free now) */
  resetMs: number;
}

/** A sliding one-minute window per key: at most `limit` requests in any 60 s. */
export interface RateLimiter {
  take(keyId: string, limit: number, now: number): RateDecision;
}

const WINDOW_MS = 60_000;

export function createRateLimiter(): RateLimiter {
  const windows = new Map<string, number[]>();
  let sweepAt = 0;
  return {
    take(keyId, limit, now) {
      if (now >= sweepAt) {
        sweepAt = now + WINDOW_MS;
        for (const [id, stamps] of windows) if ((stamps.at(-1) ?? 0) <= now - WINDOW_MS) windows.delete(id);
      }
      let stamps = windows.get(keyId);
      if (!stamps) {
        stamps = [];
        windows.set(keyId, stamps);
      }
      while (stamps.length > 0 && (stamps[0] as number) <= now - WINDOW_MS) stamps.shift();
      if (stamps.length >= limit) {
        return { allowed: false, limit, remaining: 0, resetMs: (stamps[0] as number) + WINDOW_MS - now };
      }
      stamps.push(now);
      const resetMs = stamps.length >= limit ? (stamps[0] as number) + WINDOW_MS - now : 0;
      return { allowed: true, limit, remaining: limit - stamps.length, resetMs };
    },
  };
}

/** OpenAI's reset format: "1s", "6m0s", "120ms". */
export function formatReset(ms: number): string {
  if (ms <= 0) return '0s';
  if (ms < 1000) return `${Math.ceil(ms)}ms`;
  const seconds = Math.ceil(ms / 1000);
  return seconds >= 60 ? `${Math.floor(seconds / 60)}m${seconds % 60}s` : `${seconds}s`;
}
