import type { DB } from '../../db/client';
import type { Period, Protocol } from '../../db/schema';
import { Err } from '../../errors';
import type { Clock } from '../../lib/clock';
import type { Sealer } from '../../lib/crypto';
import { hashApiKey, looksLikeApiKey } from '../../lib/keys';
import { formatUsd } from '../../lib/money';
import type { Logger } from '../../lib/log';
import type { TokenPrices, Usage } from '../catalog/price-book';
import type { CatalogService, ResolvedModel } from '../catalog/service';
import type { PlanRow } from '../catalog/store';
import { crossedLevel, EXPIRING_NOTICE_MS, mailLang, type KeyAlerts } from './alerts';
import { createCredits } from './credits';
import { createKeyLifecycle } from './key-lifecycle';
import { createHoldBook, createInFlight, createRateLimiter, formatReset, type RateDecision } from './limits';
import { createSettleQueue } from './settle-queue';
import { createMeteringStore, type KeyRow, type SpendChange } from './store';
import { createRefusalCounter } from './refusals';
import { createSqliteRefusalStore } from './refusal-store';

export type { CreateKeyInput, KeyPatch } from './key-lifecycle';
export type { CreditRow, TopUpInput } from './credits';
export type { KeyAlerts } from './alerts';

/** Below this many output tokens a clamped request is not worth sending: 402 instead. */
export const MIN_OUTPUT_TOKENS = 16;
const DAY_MS = 86_400_000;

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

export function createMeteringService(deps: { db: DB; catalog: CatalogService; clock: Clock; sealer: Sealer; keyPrefix: string; log: Logger; alerts?: KeyAlerts; refusalFlushMs?: number }) {
  const { catalog, clock, sealer, keyPrefix, log, alerts } = deps;
  // Inside the settle transaction: a budget alert is queued with the spend that causes it, or not at all.
  const onSpent = (change: SpendChange) => {
    if (!alerts || !change.email) return;
    const level = crossedLevel(change.spentBefore, change.spentNano, change.budgetNano, change.nextFloorNano);
    if (level) alerts.budgetCrossed({ keyId: change.keyId, email: change.email, lang: mailLang(change.lang), budgetNano: change.budgetNano, spentNano: change.spentNano }, level);
  };
  const store = createMeteringStore(deps.db, onSpent);
  const credits = createCredits({ db: deps.db, store, catalog, clock });
  const holds = createHoldBook();
  const inFlight = createInFlight();
  const rates = createRateLimiter();
  const settleQueue = createSettleQueue(store, log);
  const refusals = createRefusalCounter({ store: createSqliteRefusalStore(deps.db), now: clock.now, log, flushMs: deps.refusalFlushMs ?? 5000 });

  function bearerKey(authorization: string | null): string {
    if (!authorization) throw Err.missingKey();
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization.length > 512 ? '' : authorization);
    if (!match) throw authorization.toLowerCase().startsWith('bearer') ? Err.invalidKey() : Err.missingKey();
    const key = match[1] as string;
    if (!looksLikeApiKey(key, keyPrefix)) throw Err.invalidKey();
    return key;
  }

  // The credential guard identifies a key-holder request's key before its body is read, and the
  // route identifies it again: the last header's hash is kept so the second look costs no SHA-256.
  let lastAuthorization: string | null = null;
  let lastHash = '';

  /** Finds the key behind an Authorization header; 401 for missing, malformed, unknown or disabled keys. */
  function identify(authorization: string | null): KeyRow {
    if (authorization === null || authorization !== lastAuthorization) {
      lastHash = hashApiKey(bearerKey(authorization));
      lastAuthorization = authorization;
    }
    const key = store.keyByHash(lastHash);
    if (!key) throw Err.unknownKey();
    if (key.status === 'disabled') throw Err.disabledKey();
    return key;
  }

  /** The budget left after what is spent and every open hold on the key (a request's own hold included). */
  function remainingOf(key: KeyRow): number {
    return key.budgetNano - key.spentNano - holds.held(key.id);
  }

  /** 402 for a key that expired or has no budget left; else its plan and limits. */
  function usable(key: KeyRow): KeyContext {
    const now = clock.now();
    if (key.expiresAt !== null && key.expiresAt <= now) {
      if (key.status !== 'expired') store.setStatus(key.id, 'expired', null);
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
    authenticate: (authorization: string | null): KeyContext => usable(identify(authorization)),
    /** The 402 checks of authenticate, for a key already identified. */
    usable,
    /** Refused requests of known keys, counted per key, day and reason (refusals.ts). */
    refusals,

    /**
     * Rate limit, concurrency, then the budget hold, in one synchronous step: nothing can
     * interleave between reading the remaining budget and recording the hold.
     */
    admit(ctx: KeyContext, model: ResolvedModel, promptBoundTokens: number, outputCap: number, requestId: string, serverToolHoldNano = 0): Admission {
      const now = clock.now();
      const rate = ctx.rpm > 0 ? rates.take(ctx.key.id, ctx.rpm, now) : { allowed: true, limit: 0, remaining: 0, resetMs: 0 };
      if (!rate.allowed) throw Err.rateLimited(ctx.rpm, Math.max(1, Math.ceil(rate.resetMs / 1000)), rateHeaders(rate));
      if (ctx.maxConcurrency > 0 && inFlight.count(ctx.key.id) >= ctx.maxConcurrency) {
        const error = Err.tooManyConcurrent(ctx.maxConcurrency);
        Object.assign(error.headers, rateHeaders(rate));
        throw error;
      }
      const prices = catalog.worstCasePrices(model.publicModel);
      const remaining = remainingOf(ctx.key);
      // the server-tool calls the request may make are held whole: only the output cap can be lowered
      const promptNano = promptBoundTokens * prices.cacheMissNano + serverToolHoldNano;
      const cap = Math.min(outputCap, model.maxOutputTokens);
      let maxTokens = cap;
      let clamped = false;
      let holdNano = promptNano + cap * prices.outputNano;
      if (holdNano > remaining) {
        const fits = Math.floor((remaining - promptNano) / prices.outputNano);
        if (fits < MIN_OUTPUT_TOKENS) {
          const error = Err.budgetTooLow(formatUsd(Math.max(0, remaining)));
          Object.assign(error.headers, rateHeaders(rate));
          throw error;
        }
        maxTokens = fits;
        clamped = true;
        holdNano = promptNano + fits * prices.outputNano;
      }
      holds.add(ctx.key.id, holdNano);
      inFlight.enter(ctx.key.id);
      return { requestId, keyId: ctx.key.id, holdNano, floorNano: promptNano + MIN_OUTPUT_TOKENS * prices.outputNano, maxTokens, clamped, rate, startedAt: now, done: false };
    },

    /** Releases a hold for a request that never reached the upstream: no ledger row. */
    release(admission: Admission): void {
      if (admission.done) return;
      admission.done = true;
      holds.release(admission.keyId, admission.holdNano);
      inFlight.leave(admission.keyId);
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
      let totals: { spentNano: number; budgetNano: number };
      // From here on the hold and the concurrency slot are given back whatever throws.
      try {
        priced = catalog.cost(input.usage, input.model.publicModel, new Date(finishedAt));
        costNano = priced.costNano;
        if (costNano > admission.holdNano) {
          // Cannot happen while the hold is a true upper bound; never let it overspend if it does.
          log.warn('cost exceeded its hold', { request_id: admission.requestId, cost_nano: costNano, hold_nano: admission.holdNano });
          costNano = admission.holdNano;
        }
        totals = await settleQueue.settle({
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
        });
      } finally {
        holds.release(admission.keyId, admission.holdNano);
        inFlight.leave(admission.keyId);
      }
      const remainingNano = totals.budgetNano - totals.spentNano - holds.held(admission.keyId);
      return { costNano, remainingNano, period: priced.period, prices: priced.prices };
    },

    ...createKeyLifecycle({ store, catalog, clock, sealer, keyPrefix }),
    ...credits,

    /**
     * Queues the "expiring" mail of every key with an email whose expiry is within three days, in
     * one transaction; the outbox keeps one per key and expiry, so a later sweep adds nothing.
     */
    sweepExpiringKeys(): number {
      if (!alerts) return 0;
      const now = clock.now();
      return deps.db.transaction(() => {
        const due = store.keysExpiringBetween(now, now + EXPIRING_NOTICE_MS);
        for (const key of due) {
          alerts.expiring({ keyId: key.id, email: key.email!, lang: mailLang(key.lang), budgetNano: key.budgetNano, spentNano: key.spentNano, expiresAt: key.expiresAt! });
        }
        return due.length;
      }, { behavior: 'immediate' });
    },

    dropKeyCache: store.dropKeyCache,
    listKeys: store.listKeys,
    keyById: store.keyById,
    ledgerSum: store.ledgerSum,
    usageTotals: store.usageTotals,
    /** Today and the days-1 UTC days before it, as the dashboard's chart shows them. */
    usageDaily: (keyId: string, days: number) => store.usageDaily(keyId, (Math.floor(clock.now() / DAY_MS) - (days - 1)) * DAY_MS),
    recentRequests: store.recentRequests,

    /**
     * Rolls the raw ledger rows that started before `cutoffMs` up into daily totals, a batch per
     * transaction, giving the event loop a turn between batches. Returns the rows rolled up.
     */
    async rollUpLedger(cutoffMs: number, batchSize = 2000): Promise<number> {
      let total = 0;
      for (;;) {
        const rolled = store.rollUpBatch(cutoffMs, batchSize);
        total += rolled;
        if (rolled < batchSize) return total;
        await new Promise((resolve) => setTimeout(resolve, 0));
      }
    },
  };
}

export type MeteringService = ReturnType<typeof createMeteringService>;
