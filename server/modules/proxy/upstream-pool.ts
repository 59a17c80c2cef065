import { createHash } from 'node:crypto';
import type { Logger } from '../../lib/log';

export interface Upstream {
  id: string;
  key: string;
  hint: string;
  inFlight: number;
  state: 'active' | 'failing';
  reason: string | null;
  failedAt: number | null;
}

export interface UpstreamPool {
  /** The active upstream with the fewest requests in flight, skipping those already tried. */
  pick(exclude: ReadonlySet<string>): Upstream | undefined;
  /** Takes a key out of rotation (DeepSeek answered 401 or 402 for it). */
  markFailing(upstream: Upstream, reason: string): void;
  add(key: string, id?: string): Upstream;
  remove(id: string): boolean;
  restore(id: string): boolean;
  list(): Upstream[];
  anyActive(): boolean;
}

export function upstreamHint(key: string): string {
  return key.length <= 8 ? '****' : `${key.slice(0, 3)}…${key.slice(-4)}`;
}

export function upstreamIdFor(key: string): string {
  return `up_${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}

export function createUpstreamPool(keys: string[], log: Logger, onChange?: (upstream: Upstream) => void): UpstreamPool {
  const upstreams: Upstream[] = [];
  let turn = 0;
  const pool: UpstreamPool = {
    pick(exclude) {
      // Least in flight; among equals, take turns so every key carries its share.
      let best: Upstream | undefined;
      const n = upstreams.length;
      turn = (turn + 1) % Math.max(1, n);
      for (let i = 0; i < n; i++) {
        const upstream = upstreams[(turn + i) % n] as Upstream;
        if (upstream.state !== 'active' || exclude.has(upstream.id)) continue;
        if (!best || upstream.inFlight < best.inFlight) best = upstream;
      }
      return best;
    },
    markFailing(upstream, reason) {
      if (upstream.state === 'failing') return;
      upstream.state = 'failing';
      upstream.reason = reason;
      upstream.failedAt = Date.now();
      log.warn('upstream key taken out of rotation', { upstream: upstream.id, key_hint: upstream.hint, reason });
      onChange?.(upstream);
    },
    add(key, id = upstreamIdFor(key)) {
      const existing = upstreams.find((u) => u.id === id);
      if (existing) return existing;
      const upstream: Upstream = { id, key, hint: upstreamHint(key), inFlight: 0, state: 'active', reason: null, failedAt: null };
      upstreams.push(upstream);
      return upstream;
    },
    remove(id) {
      const index = upstreams.findIndex((u) => u.id === id);
      if (index < 0) return false;
      upstreams.splice(index, 1);
      return true;
    },
    restore(id) {
      const upstream = upstreams.find((u) => u.id === id);
      if (!upstream) return false;
      upstream.state = 'active';
      upstream.reason = null;
      upstream.failedAt = null;
      onChange?.(upstream);
      return true;
    },
    list: () => [...upstreams],
    anyActive: () => upstreams.some((u) => u.state === 'active'),
  };
  for (const key of keys) pool.add(key);
  return pool;
}
