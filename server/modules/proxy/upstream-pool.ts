import { createHash } from 'node:crypto';
import type { Sealer } from '../../lib/crypto';
import type { InvalidationBus } from '../../lib/invalidation';
import type { Logger } from '../../lib/log';
import { parseUsd } from '../../lib/money';
import type { NewUpstreamKeyRow, UpstreamKeyRow, UpstreamKeyStore } from './upstream-store';

// The operator's DeepSeek keys: those from DEEPSEEK_API_KEY (source "env", in memory only) and
// those added through the admin API (source "admin", stored encrypted in upstream_keys, their
// state written back on every change, and read again when the 'upstreams' topic says another
// instance changed them). Balance checks read DeepSeek's GET /user/balance.

export type { UpstreamKeyStore } from './upstream-store';

export type UpstreamState = 'active' | 'failing' | 'removed';

export interface UpstreamBalance {
  currency: string;
  total: string;
  available: boolean;
  checkedAt: number;
  low: boolean;
}

export interface Upstream {
  id: string;
  key: string;
  hint: string;
  label: string;
  source: 'env' | 'admin';
  inFlight: number;
  state: UpstreamState;
  reason: string | null;
  failedAt: number | null;
  /**
   * DeepSeek's status that took the key out: 402 (the account's balance ran out) comes back when
   * a balance check sees money again; 401 (the key is invalid) stays out until the operator acts.
   */
  failedWith: FailureStatus | null;
  balance: UpstreamBalance | null;
}

export type FailureStatus = 401 | 402;

export interface UpstreamPool {
  /** The active upstream with the fewest requests in flight, skipping those already tried. */
  pick(exclude: ReadonlySet<string>): Upstream | undefined;
  /** Takes a key out of rotation at once (DeepSeek answered 401, the default: out until restored; or 402: out until the balance is back); resolves once stored. */
  markFailing(upstream: Upstream, reason: string, status?: FailureStatus): Promise<void>;
  /** Adds an env key (in memory), or with source "admin" stores it and puts it in rotation; resolves once stored. */
  add(key: string, opts?: { id?: string; label?: string; source?: 'env' | 'admin' }): Promise<Upstream>;
  get(id: string): Upstream | undefined;
  /** Takes an admin-added key out for good (kept, state "removed", restorable). */
  remove(id: string): Promise<boolean>;
  restore(id: string): Promise<boolean>;
  /** Reads the admin-added keys from the store (at start, and when another instance changed them). */
  load(): Promise<void>;
  list(): Upstream[];
  anyActive(): boolean;
  /** Reads the key's balance from DeepSeek now; a key out for 402 returns to rotation when DeepSeek says it is available again. */
  checkBalance(id: string): Promise<Upstream | undefined>;
  checkAllBalances(): Promise<void>;
  startBalanceChecks(intervalMs?: number): void;
  stopBalanceChecks(): void;
}

export interface UpstreamPoolOptions {
  envKeys: string[];
  log: Logger;
  /** DeepSeek's base URL, for the balance check */
  baseUrl?: string;
  /** the upstream_keys table; without it admin keys live in memory only */
  store?: UpstreamKeyStore;
  /** tells the other instances when a stored key changed, and hears when theirs did */
  bus?: InvalidationBus;
  sealer?: Sealer;
  /** below this (USD) a balance is flagged low and a warning logged */
  lowBalanceUsd?: () => string;
  onChange?: (upstream: Upstream) => void;
}

export const BALANCE_CHECK_INTERVAL_MS = 10 * 60_000;

export function upstreamHint(key: string): string {
  return key.length <= 8 ? '****' : `${key.slice(0, 3)}…${key.slice(-4)}`;
}

export function upstreamIdFor(key: string): string {
  return `up_${createHash('sha256').update(key).digest('hex').slice(0, 10)}`;
}

/** The one wording of a failure reason, so the status can be read back from a stored row. */
export function failureReason(status: FailureStatus, detail: string): string {
  return `DeepSeek answered ${status}: ${detail}`;
}

function failureStatusOf(reason: string | null): FailureStatus | null {
  const status = /^DeepSeek answered (40[12])\b/.exec(reason ?? '')?.[1];
  return status === '402' ? 402 : status === '401' ? 401 : null;
}

function parseBalanceText(text: string | null, checkedAt: number | null): UpstreamBalance | null {
  if (!text || checkedAt === null) return null;
  try {
    const b = JSON.parse(text) as Partial<UpstreamBalance>;
    return { currency: String(b.currency ?? ''), total: String(b.total ?? ''), available: b.available !== false, checkedAt, low: b.low === true };
  } catch {
    return null;
  }
}

function isLow(total: string, available: boolean, threshold: string): boolean {
  if (!available) return true;
  try {
    return parseUsd(total) < parseUsd(threshold);
  } catch {
    return false;
  }
}

export function createUpstreamPool(options: UpstreamPoolOptions): UpstreamPool {
  const { log, store, sealer, onChange, bus } = options;
  const upstreams: Upstream[] = [];
  let turn = 0;
  let timer: ReturnType<typeof setInterval> | null = null;

  /** Writes an admin key's change back, then tells the other instances. */
  const persist = async (u: Upstream, patch: Partial<NewUpstreamKeyRow>): Promise<void> => {
    if (u.source !== 'admin' || !store) return;
    try {
      await store.update(u.id, patch);
      await bus?.publish('upstreams', u.id);
    } catch (error) {
      log.error('an upstream key change could not be stored', { upstream: u.id, error: String(error) });
    }
  };
  const changed = (u: Upstream): Promise<void> => {
    onChange?.(u);
    return persist(u, { status: u.state, failureReason: u.reason });
  };

  function fromRow(row: UpstreamKeyRow): Upstream | undefined {
    let key: string;
    try {
      if (!sealer) throw new Error('no sealer');
      key = sealer.open(row.keyEncrypted);
    } catch {
      log.error('an upstream key could not be decrypted (was the server secret replaced?)', { upstream: row.id, key_hint: row.keyHint });
      return undefined;
    }
    return {
      id: row.id,
      key,
      hint: row.keyHint,
      label: row.label,
      source: 'admin',
      inFlight: 0,
      state: row.status,
      reason: row.failureReason,
      failedAt: row.status === 'failing' ? Date.now() : null,
      failedWith: row.status === 'failing' ? failureStatusOf(row.failureReason) : null,
      balance: parseBalanceText(row.balanceText, row.balanceCheckedAt),
    };
  }

  function addEnvKey(key: string, opts: { id?: string; label?: string }): Upstream {
    const id = opts.id ?? upstreamIdFor(key);
    const existing = upstreams.find((u) => u.id === id);
    if (existing) return existing;
    const hint = upstreamHint(key);
    const upstream: Upstream = { id, key, hint, label: opts.label ?? 'DEEPSEEK_API_KEY', source: 'env', inFlight: 0, state: 'active', reason: null, failedAt: null, failedWith: null, balance: null };
    upstreams.push(upstream);
    return upstream;
  }

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
    async markFailing(upstream, reason, status = 401) {
      if (upstream.state !== 'active') return;
      upstream.state = 'failing';
      upstream.reason = reason;
      upstream.failedAt = Date.now();
      upstream.failedWith = status;
      log.warn('upstream key taken out of rotation', { upstream: upstream.id, key_hint: upstream.hint, reason });
      await changed(upstream);
    },
    async add(key, opts = {}) {
      const source = opts.source ?? 'env';
      if (source === 'env') return addEnvKey(key, opts);
      const id = opts.id ?? upstreamIdFor(key);
      const existing = upstreams.find((u) => u.id === id);
      if (existing) {
        if (existing.state === 'removed') {
          existing.state = 'active';
          existing.reason = null;
          if (opts.label) existing.label = opts.label;
          await changed(existing);
        }
        return existing;
      }
      const hint = upstreamHint(key);
      const upstream: Upstream = { id, key, hint, label: opts.label ?? hint, source, inFlight: 0, state: 'active', reason: null, failedAt: null, failedWith: null, balance: null };
      if (store) {
        if (!sealer) throw new Error('admin upstream keys need the sealer');
        await store.upsert({ id, label: upstream.label, keyEncrypted: sealer.seal(key), keyHint: hint, status: 'active' });
      }
      if (!upstreams.some((u) => u.id === id)) upstreams.push(upstream);
      await bus?.publish('upstreams', id);
      return upstreams.find((u) => u.id === id) as Upstream;
    },
    get: (id) => upstreams.find((u) => u.id === id),
    async remove(id) {
      const upstream = upstreams.find((u) => u.id === id);
      if (!upstream || upstream.source !== 'admin') return false;
      upstream.state = 'removed';
      upstream.reason = 'removed by the operator';
      await changed(upstream);
      return true;
    },
    async restore(id) {
      const upstream = upstreams.find((u) => u.id === id);
      if (!upstream) return false;
      upstream.state = 'active';
      upstream.reason = null;
      upstream.failedAt = null;
      upstream.failedWith = null;
      await changed(upstream);
      return true;
    },
    list: () => [...upstreams],
    anyActive: () => upstreams.some((u) => u.state === 'active'),

    async load() {
      if (!store) return;
      // Admin-added keys as they were left: active, failing or removed; one seen before takes the stored state.
      for (const row of await store.all()) {
        const known = upstreams.find((u) => u.id === row.id);
        if (!known) {
          const upstream = fromRow(row);
          if (upstream) upstreams.push(upstream);
          continue;
        }
        if (known.source !== 'admin') continue;
        if (known.state !== row.status) {
          known.state = row.status;
          known.reason = row.failureReason;
          known.failedAt = row.status === 'failing' ? (known.failedAt ?? Date.now()) : null;
          known.failedWith = row.status === 'failing' ? failureStatusOf(row.failureReason) : null;
        }
        known.label = row.label;
        known.balance = parseBalanceText(row.balanceText, row.balanceCheckedAt) ?? known.balance;
      }
    },

    async checkBalance(id) {
      const upstream = upstreams.find((u) => u.id === id);
      if (!upstream || !options.baseUrl) return upstream;
      let response: Response;
      try {
        response = await fetch(`${options.baseUrl}/user/balance`, { headers: { authorization: `Bearer ${upstream.key}`, accept: 'application/json' }, signal: AbortSignal.timeout(15_000) });
      } catch (error) {
        log.warn('upstream balance check failed', { upstream: upstream.id, key_hint: upstream.hint, error: error instanceof Error ? error.message : String(error) });
        return upstream;
      }
      if (response.status === 401 || response.status === 402) {
        await response.body?.cancel();
        await pool.markFailing(upstream, failureReason(response.status, 'the balance check was refused'), response.status);
        return upstream;
      }
      if (!response.ok) {
        await response.body?.cancel();
        log.warn('upstream balance check failed', { upstream: upstream.id, key_hint: upstream.hint, status: response.status });
        return upstream;
      }
      const body = (await response.json().catch(() => ({}))) as { is_available?: boolean; balance_infos?: { currency?: string; total_balance?: string }[] };
      const infos = body.balance_infos ?? [];
      const info = infos.find((b) => b.currency === 'USD') ?? infos[0];
      const available = body.is_available !== false;
      const currency = info?.currency ?? 'USD';
      const total = info?.total_balance ?? '0';
      const threshold = options.lowBalanceUsd?.() ?? '5';
      // Only a USD balance compares with a USD threshold; any balance DeepSeek calls unavailable is low.
      const low = currency === 'USD' ? isLow(total, available, threshold) : !available;
      upstream.balance = { currency, total, available, checkedAt: Date.now(), low };
      await persist(upstream, { balanceText: JSON.stringify({ currency, total, available, low }), balanceCheckedAt: upstream.balance.checkedAt });
      if (low) log.warn('upstream balance is low', { upstream: upstream.id, key_hint: upstream.hint, currency, total, available, threshold_usd: threshold });
      if (upstream.state === 'failing' && upstream.failedWith === 402 && body.is_available === true) {
        await pool.restore(upstream.id);
        log.info('upstream key back in rotation: DeepSeek reports a usable balance again', { upstream: upstream.id, key_hint: upstream.hint, currency, total });
      }
      return upstream;
    },
    async checkAllBalances() {
      for (const u of upstreams) if (u.state !== 'removed') await pool.checkBalance(u.id);
    },
    startBalanceChecks(intervalMs = BALANCE_CHECK_INTERVAL_MS) {
      if (timer || !options.baseUrl) return;
      timer = setInterval(() => void pool.checkAllBalances().catch(() => undefined), intervalMs);
      timer.unref?.();
    },
    stopBalanceChecks() {
      if (timer) clearInterval(timer);
      timer = null;
    },
  };

  for (const key of options.envKeys) addEnvKey(key, {});
  bus?.subscribe('upstreams', () => {
    pool.load().catch((error: unknown) => log.error('the upstream keys could not be read again', { error: String(error) }));
  });
  return pool;
}
