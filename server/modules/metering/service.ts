import type { Stores, Tx } from '../../backend';
import type { UnitOfWork } from '../../db/unit-of-work';
import type { Period, Protocol } from '../../db/schema';
import { Err } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { Sealer } from '../../lib/crypto';
import type { InvalidationBus } from '../../lib/invalidation';
import { hashApiKey, looksLikeApiKey } from '../../lib/keys';
import { formatUsd } from '../../lib/money';
import type { Logger } from '../../lib/log';
import type { TokenPrices, Usage } from '../catalog/price-book';
import type { CatalogService, ResolvedModel } from '../catalog/service';
import type { PlanRow } from '../catalog/store';
import { crossedLevel, EXPIRING_NOTICE_MS, mailLang, type KeyAlerts } from './alerts';
import type { ConcurrencyLimit, ConcurrencySlot, RequestRateLimit } from './counters';
import { createCredits } from './credits';
import type { BudgetHolds, Hold } from './holds';
import { createKeyCache } from './key-cache';
import { createKeyLifecycle } from './key-lifecycle';
import { formatReset, type RateDecision } from './limits';
import { createRefusalCounter } from './refusals';
import { createSettleQueue } from './settle-queue';
import type { KeyMoney, KeyRow, SettleRow } from './store';

/** Authorization headers whose key hash is kept (identify). */
const HASH_CACHE_SIZE = 4096;

export type { CreateKeyInput, KeyPatch } from './key-lifecycle';
export type { CreditRow, TopUpInput } from './credits';
export type { KeyAlerts } from './alerts';

/** Below this many output tokens a clamped request is not worth sending: 402 instead. */
export const MIN_OUTPUT_TOKENS = 16;
const DAY_MS = 86_400_000;
const UNLIMITED: RateDecision = { allowed: true, limit: 0, remaining: 0, resetMs: 0 };

/** The output tokens a request may generate and is held for: what it asked, never above the model's cap. */
export function outputCapOf(model: ResolvedModel, requested: number | undefined): number {
  return Math.min(requested ?? model.maxOutputTokens, model.maxOutputTokens);
}

export interface KeyContext {
  key: KeyRow;
  plan: PlanRow;
  rpm: number;
  maxConcurrency: number;
}

export interface Admission {
  requestId: string;
  keyId: string;
  holdNano: number;
  /** the smallest hold this request would have been admitted with (its prompt and the output floor): below it, the next one like it is refused */
  floorNano: number;
  /** the max_tokens to send upstream: the output cap the hold was computed for */
  maxTokens: number;
  clamped: boolean;
  rate: RateDecision;
  startedAt: number;
  done: boolean;
  hold: Hold;
  /** the key's concurrency slot, when it has a cap */
  slot: ConcurrencySlot | null;
}

export interface SettleInput {
  protocol: Protocol;
  model: ResolvedModel;
  usage: Usage;
  basis: 'upstream' | 'estimated';
  httpStatus: number;
  finishReason: string | null;
  stream: boolean;
  ttfbMs: number | null;
  upstreamKeyId: string | null;
}

export interface Settlement {
  costNano: number;
  remainingNano: number;
  period: Period;
  prices: TokenPrices;
}

export interface MeteringDeps {
  stores: Stores;
  uow: UnitOfWork<Tx>;
  holds: BudgetHolds;
  rates: RequestRateLimit;
  concurrency: ConcurrencyLimit;
  bus: InvalidationBus;
  catalog: CatalogService;
  clock: Clock;
  sealer: Sealer;
  keyPrefix: string;
  log: Logger;
  alerts?: KeyAlerts;
  /** how often the refusal counts are written (TOLLGATE_REFUSAL_FLUSH_SECONDS) */
  refusalFlushMs?: number;
}

export function createMeteringService(deps: MeteringDeps) {
  const { stores, uow, holds, rates, concurrency, bus, catalog, clock, keyPrefix, log, alerts } = deps;
  const cache = createKeyCache();
  bus.subscribe('keys', (id) => (id === undefined ? cache.clear() : cache.forget(id)));
  const lifecycle = createKeyLifecycle({ stores, uow, bus, catalog, clock, sealer: deps.sealer, keyPrefix });
  const credits = createCredits({ stores, bus, catalog, clock });
  const refusals = createRefusalCounter({ store: stores.refusals, now: clock.now, log, flushMs: deps.refusalFlushMs ?? 5000 });

  /**
   * One settle batch, in one transaction: the ledger rows and spent totals, and the budget alerts
   * they cause (queued in the mail outbox with the spend, or not at all). The cached key rows take
   * the new totals as the transaction commits.
   */
  function commitSettlements(rows: SettleRow[]): Promise<KeyMoney[]> {
    return uow.run(async (tx) => {
      const batch = await tx.metering.settleMany(rows);
      // as it commits: the holds give way to the costs, the cached rows take the new totals
      tx.afterCommit(() => {
        rows.forEach((row, i) => holds.settled({ keyId: row.keyId, requestId: row.requestId, nano: row.holdNano }, batch.totals[i] as KeyMoney));
        for (const c of batch.changes) cache.patch(c.keyId, { spentNano: c.spentNano, budgetNano: c.budgetNano, status: c.status, lastUsedAt: c.lastUsedAt });
      });
      if (alerts) {
        for (const change of batch.changes) {
          if (!change.email) continue;
          const level = crossedLevel(change.spentBefore, change.spentNano, change.budgetNano, change.nextFloorNano);
          if (level) await alerts.budgetCrossed(tx, { keyId: change.keyId, email: change.email, lang: mailLang(change.lang), budgetNano: change.budgetNano, spentNano: change.spentNano }, level);
        }
      }
      return batch.totals;
    });
  }
  const settleQueue = createSettleQueue(commitSettlements, log);

  function bearerKey(authorization: string | null): string {
    if (!authorization) throw Err.missingKey();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.length > 512 ? '' : authorization);
    if (!match) throw authorization.toLowerCase().startsWith('bearer') ? Err.invalidKey() : Err.missingKey();
    const key = match[1] as string;
    if (!looksLikeApiKey(key, keyPrefix)) throw Err.invalidKey();
    return key;
  }

  /** The key row behind a hash: from the cache, or read (and cached unless it changed meanwhile). */
  async function keyByHash(hash: string): Promise<KeyRow | undefined> {
    const hit = cache.get(hash);
    if (hit) return hit;
    const readAt = cache.generation;
    const row = await stores.metering.keyByHash(hash);
    if (row) cache.put(row, readAt);
    return row;
  }

  // The credential guard identifies a key-holder request's key before its body is read, and the
  // route identifies it again; a buyer sends the same header request after request: the hash of
  // each recent header is kept (bounded; emptied when full) so that a look costs no SHA-256.
  const hashes = new Map<string, string>();

  /** Finds the key behind an Authorization header; 401 for missing, malformed, unknown or disabled keys. */
  async function identify(authorization: string | null): Promise<KeyRow> {
    let hash = authorization === null ? undefined : hashes.get(authorization);
    if (hash === undefined) {
      hash = hashApiKey(bearerKey(authorization));
      if (authorization !== null && authorization.length <= 512) {
        if (hashes.size >= HASH_CACHE_SIZE) hashes.clear();
        hashes.set(authorization, hash);
      }
    }
    const key = cache.get(hash) ?? (await keyByHash(hash));
    if (!key) throw Err.unknownKey();
    if (key.status === 'disabled') throw Err.disabledKey();
    return key;
  }

  /** The budget left after what is spent and every open hold on the key (a request's own hold included). */
  const remainingOf = (key: KeyRow): number => holds.remaining(key);

  /** 402 for a key that expired or has no budget left; else its plan and limits. */
  async function usable(key: KeyRow): Promise<KeyContext> {
    const now = clock.now();
    if (key.expiresAt !== null && key.expiresAt <= now) {
      if (key.status !== 'expired') {
        await lifecycle.setStatus(key.id, 'expired', null).catch((error: unknown) => log.warn('marking a key expired failed', { key_id: key.id, error: String(error) }));
      }
      throw Err.keyExpired(new Date(key.expiresAt).toISOString().slice(0, 10));
    }
    if (key.status === 'expired') throw Err.keyExpired(new Date(key.expiresAt ?? now).toISOString().slice(0, 10));
    if (key.status === 'exhausted' || key.budgetNano - key.spentNano <= 0) throw Err.budgetExhausted();
    return contextOf(key);
  }

  function contextOf(key: KeyRow): KeyContext {
    const plan = catalog.plan(key.planId);
    if (!plan) throw new Error(`key ${key.id} has unknown plan ${key.planId}`);
    return { key, plan, rpm: key.rpmOverride ?? plan.rpm, maxConcurrency: key.concurrencyOverride ?? plan.maxConcurrency };
  }

  function rateHeaders(rate: RateDecision): Record<string, string> {
    return {
      'x-ratelimit-limit-requests': String(rate.limit),
      'x-ratelimit-remaining-requests': String(rate.remaining),
      'x-ratelimit-reset-requests': formatReset(rate.resetMs),
    };
  }

  function withRateHeaders<E extends { headers: Record<string, string> }>(error: E, rate: RateDecision): E {
    Object.assign(error.headers, rateHeaders(rate));
    return error;
  }

  return {
    identify,
    remainingOf,
    /** The key's plan and the limits in force for it (its own overrides, else the plan's). */
    limitsOf: contextOf,
    rateHeaders,
    holdsTotal: () => holds.total(),
    /** Resolves once every queued settlement is committed (shutdown waits for it). */
    settlementsDrained: () => settleQueue.drained(),

    /** Key checks for a billable request: 401 as identify, 402 when expired or out of budget. */
    authenticate: async (authorization: string | null): Promise<KeyContext> => usable(await identify(authorization)),
    /** The 402 checks of authenticate, for a key already identified. */
    usable,
    /** Refused requests of known keys, counted per key, day and reason (refusals.ts). */
    refusals,

    /**
     * Rate limit, concurrency, then the budget hold: one reservation that reads what remains,
     * lowers the output cap to what fits and records the hold atomically (holds.ts).
     */
    async admit(ctx: KeyContext, model: ResolvedModel, promptBoundTokens: number, outputCap: number, requestId: string, serverToolHoldNano = 0): Promise<Admission> {
      const startedAt = clock.now();
      const keyId = ctx.key.id;
      const rate = ctx.rpm > 0 ? await rates.take(keyId, ctx.rpm) : UNLIMITED;
      if (!rate.allowed) throw Err.rateLimited(ctx.rpm, Math.max(1, Math.ceil(rate.resetMs / 1000)), rateHeaders(rate));
      let slot: ConcurrencySlot | null = null;
      if (ctx.maxConcurrency > 0) {
        slot = await concurrency.enter(keyId, ctx.maxConcurrency);
        if (!slot) throw withRateHeaders(Err.tooManyConcurrent(ctx.maxConcurrency), rate);
      }
      const prices = catalog.worstCasePrices(model.publicModel);
      // the server-tool calls the request may make are held whole: only the output cap can be lowered
      const promptNano = promptBoundTokens * prices.cacheMissNano + serverToolHoldNano;
      let decision: Awaited<ReturnType<BudgetHolds['reserve']>>;
      try {
        decision = await holds.reserve({
          keyId,
          requestId,
          promptNano,
          outputPriceNano: prices.outputNano,
          wantedTokens: Math.min(outputCap, model.maxOutputTokens),
          floorTokens: MIN_OUTPUT_TOKENS,
          maxConcurrency: ctx.maxConcurrency,
        });
      } catch (error) {
        void slot?.leave();
        throw error;
      }
      if (!decision.ok) {
        void slot?.leave();
        if (decision.reason === 'concurrency') throw withRateHeaders(Err.tooManyConcurrent(ctx.maxConcurrency), rate);
        throw withRateHeaders(Err.budgetTooLow(formatUsd(Math.max(0, decision.remainingNano))), rate);
      }
      const { hold } = decision;
      const floorNano = promptNano + MIN_OUTPUT_TOKENS * prices.outputNano;
      return { requestId, keyId, holdNano: hold.nano, floorNano, maxTokens: decision.maxTokens, clamped: decision.clamped, rate, startedAt, done: false, hold, slot };
    },

    /** Releases a hold for a request that never reached the upstream: no ledger row. */
    async release(admission: Admission): Promise<void> {
      if (admission.done) return;
      admission.done = true;
      void admission.slot?.leave();
      await holds.release(admission.hold);
    },

    /**
     * Replaces the hold by the real cost: one ledger row and the spent total, in one transaction
     * (shared with the other requests that settle in the same event-loop turn). Resolves once
     * committed; until then the hold, never less than the cost, still covers it.
     */
    async settle(admission: Admission, input: SettleInput): Promise<Settlement> {
      if (admission.done) throw new Error(`request ${admission.requestId} settled twice`);
      admission.done = true;
      const finishedAt = clock.now();
      let priced: ReturnType<CatalogService['cost']>;
      let costNano: number;
      let money: KeyMoney;
      // From here on the hold and the concurrency slot are given back whatever throws.
      try {
        priced = catalog.cost(input.usage, input.model.publicModel, new Date(finishedAt));
        costNano = priced.costNano;
        if (costNano > admission.holdNano) {
          // Cannot happen while the hold is a true upper bound; never let it overspend if it does.
          log.warn('cost exceeded its hold', { request_id: admission.requestId, cost_nano: costNano, hold_nano: admission.holdNano });
          costNano = admission.holdNano;
        }
        money = await settleQueue.settle({
          requestId: admission.requestId,
          keyId: admission.keyId,
          floorNano: admission.floorNano,
          protocol: input.protocol,
          webSearchCalls: input.usage.serverTools?.web_search ?? 0,
          readUrlCalls: input.usage.serverTools?.read_url ?? 0,
          fileParseCalls: input.usage.serverTools?.file_parse ?? 0,
          serverToolCostNano: Math.min(priced.serverToolCostNano, costNano),
          publicModel: input.model.publicModel,
          upstreamModel: input.model.upstreamModel,
          period: priced.period,
          cacheHitTokens: input.usage.cacheHitTokens,
          cacheMissTokens: input.usage.cacheMissTokens,
          outputTokens: input.usage.outputTokens,
          reasoningTokens: input.usage.reasoningTokens,
          cacheHitPriceNano: priced.prices.cacheHitNano,
          cacheMissPriceNano: priced.prices.cacheMissNano,
          outputPriceNano: priced.prices.outputNano,
          costNano,
          basis: input.basis,
          httpStatus: input.httpStatus,
          finishReason: input.finishReason,
          stream: input.stream,
          ttfbMs: input.ttfbMs,
          durationMs: finishedAt - admission.startedAt,
          upstreamKeyId: input.upstreamKeyId,
          startedAt: admission.startedAt,
          finishedAt,
          holdNano: admission.holdNano,
        });
      } catch (error) {
        void admission.slot?.leave();
        await holds.release(admission.hold);
        throw error;
      }
      // the hold was given back as the batch committed (commitSettlements)
      void admission.slot?.leave();
      const remainingNano = holds.remaining({ id: admission.keyId, ...money });
      return { costNano, remainingNano, period: priced.period, prices: priced.prices };
    },

    ...lifecycle,
    ...credits,

    /** Finds a key by its id (key_…) or by the full secret. */
    findKey: (idOrKey: string): Promise<KeyRow | undefined> => (looksLikeApiKey(idOrKey, keyPrefix) ? keyByHash(hashApiKey(idOrKey)) : stores.metering.keyById(idOrKey)),
    keyById: (id: string, tx?: Tx): Promise<KeyRow | undefined> => (tx ?? stores).metering.keyById(id),

    /**
     * Queues the "expiring" mail of every key with an email whose expiry is within three days, in
     * one transaction; the outbox keeps one per key and expiry, so a later sweep adds nothing.
     */
    async sweepExpiringKeys(): Promise<number> {
      const queue = alerts;
      if (!queue) return 0;
      const now = clock.now();
      return uow.run(async (tx) => {
        const due = await tx.metering.keysExpiringBetween(now, now + EXPIRING_NOTICE_MS);
        for (const key of due) {
          await queue.expiring(tx, { keyId: key.id, email: key.email!, lang: mailLang(key.lang), budgetNano: key.budgetNano, spentNano: key.spentNano, expiresAt: key.expiresAt! });
        }
        return due.length;
      });
    },

    /** For writes made outside this service (another process, a hand-run SQL statement): every cached key row is read again. */
    dropKeyCache: () => void bus.publish('keys'),
    listKeys: (filter: Parameters<Stores['metering']['listKeys']>[0] = {}) => stores.metering.listKeys(filter),
    ledgerSum: (keyId: string) => stores.ledger.ledgerSum(keyId),
    usageTotals: (keyId: string) => stores.ledger.usageTotals(keyId),
    /** Today and the days-1 UTC days before it, as the dashboard's chart shows them. */
    usageDaily: (keyId: string, days: number) => stores.ledger.usageDaily(keyId, (Math.floor(clock.now() / DAY_MS) - (days - 1)) * DAY_MS),
    recentRequests: (keyId: string, limit: number) => stores.ledger.recentRequests(keyId, limit),

    /**
     * Rolls the raw ledger rows that started before `cutoffMs` up into daily totals, a batch per
     * transaction, giving the event loop a turn between batches. Returns the rows rolled up.
     */
    async rollUpLedger(cutoffMs: number, batchSize = 2000): Promise<number> {
      let total = 0;
      for (;;) {
        const rolled = await stores.ledger.rollUpBatch(cutoffMs, batchSize);
        total += rolled;
        if (rolled < batchSize) return total;
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    },
  };
}

export type MeteringService = ReturnType<typeof createMeteringService>;
