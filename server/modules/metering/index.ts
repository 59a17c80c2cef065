import { Elysia } from 'elysia';
import type { Deps } from '../../deps';
import { requestLang } from '../../lib/i18n';
import { formatUsd } from '../../lib/money';
import { planNameIn } from '../catalog/views';
import { DaysQuery, KeySettings, LimitQuery, UsageCredits, UsageDaily, UsageRequests, UsageSummary } from './model';
import { refusedView } from './refusals';

const BUYER = ['Buyer'];
const security = [{ buyerKey: [] }];
const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

const REFUSED_NOTE =
  '`refused` counts the requests with this key that the gateway refused, by reason: `budget_exhausted` and `budget_too_low` (402: no budget, or too little for the request), `key_expired` (402), `model_not_allowed` (403), `model_not_found` (404), `rate_limited` (429, requests per minute), `concurrency_limited` (429, requests at once), `upstream_rejected` (DeepSeek refused the request, usually 400), `bad_request` (400: the body was not valid). Refused requests cost nothing and are not in `requests`, the ledger or the cost (except `upstream_rejected`, which reached DeepSeek and has its ledger row at no cost). Reasons with no refusal are left out of `by_reason`.';

export const meteringModule = (deps: Deps) => {
  const { metering } = deps;
  const keyOf = (request: Request) => metering.identify(request.headers.get('authorization'));

  return new Elysia({ name: 'metering' })
    .get(
      '/api/usage',
      async ({ request }) => {
        const key = await keyOf(request);
        const totals = await metering.usageTotals(key.id);
        const refused = await metering.refusals.totals({ keyId: key.id });
        const limits = metering.limitsOf(key);
        return {
          key_hint: key.keyHint,
          plan_id: key.planId,
          plan_name: planNameIn(limits.plan, key.planId, requestLang(request)),
          models: limits.plan.models,
          rpm: limits.rpm,
          max_concurrency: limits.maxConcurrency,
          status: key.expiresAt !== null && key.expiresAt <= deps.clock.now() ? 'expired' : key.status,
          budget_usd: formatUsd(key.budgetNano),
          spent_usd: formatUsd(key.spentNano),
          remaining_usd: formatUsd(Math.max(0, key.budgetNano - key.spentNano)),
          expires_at: key.expiresAt === null ? null : iso(key.expiresAt),
          show_reasoning: key.showReasoning ?? false,
          requests: totals.requests,
          tokens: { cache_hit: totals.cacheHit, cache_miss: totals.cacheMiss, output: totals.output, reasoning: totals.reasoning },
          refused: refusedView(refused),
        };
      },
      {
        response: UsageSummary,
        detail: {
          tags: BUYER,
          security,
          summary: "The key's budget, spend, token totals and refused requests",
          description: REFUSED_NOTE,
        },
      },
    )
    .get(
      '/api/usage/daily',
      async ({ request, query }) => {
        const keyId = (await keyOf(request)).id;
        const days = query.days ?? 30;
        const refused = await metering.refusals.daily(keyId, days);
        const used = new Map((await metering.usageDaily(keyId, days)).map((d) => [d.date, d]));
        // a day with refusals only is a day too
        const dates = [...new Set([...used.keys(), ...refused.keys()])].sort();
        return {
          data: dates.map((date) => {
            const d = used.get(date);
            return {
              date,
              requests: d?.requests ?? 0,
              cost_usd: formatUsd(d?.costNano ?? 0),
              tokens: { cache_hit: d?.cacheHit ?? 0, cache_miss: d?.cacheMiss ?? 0, output: d?.output ?? 0, reasoning: d?.reasoning ?? 0 },
              refused: refusedView(refused.get(date) ?? { total: 0, byReason: {} }),
            };
          }),
        };
      },
      { query: DaysQuery, response: UsageDaily, detail: { tags: BUYER, security, summary: 'Requests, cost, tokens and refused requests per day (UTC)', description: REFUSED_NOTE } },
    )
    .get(
      '/api/usage/requests',
      async ({ request, query }) => ({
        data: (await metering.recentRequests((await keyOf(request)).id, query.limit ?? 50)).map((r) => ({
          request_id: r.requestId,
          protocol: r.protocol,
          model: r.publicModel,
          stream: r.stream,
          status: r.httpStatus,
          finish_reason: r.finishReason,
          prompt_cache_hit_tokens: r.cacheHitTokens,
          prompt_cache_miss_tokens: r.cacheMissTokens,
          completion_tokens: r.outputTokens,
          reasoning_tokens: r.reasoningTokens,
          server_tool_calls: { web_search: r.webSearchCalls, read_url: r.readUrlCalls, file_parse: r.fileParseCalls },
          server_tool_cost_usd: formatUsd(r.serverToolCostNano),
          cost_usd: formatUsd(r.costNano),
          basis: r.basis,
          period: r.period,
          started_at: iso(r.startedAt),
          duration_ms: r.durationMs,
        })),
      }),
      { query: LimitQuery, response: UsageRequests, detail: { tags: BUYER, security, summary: 'Recent requests with their cost, newest first' } },
    )
    .get(
      '/api/usage/credits',
      async ({ request }) => {
        const lang = requestLang(request);
        const nameOf = (id: string) => planNameIn(deps.catalog.plan(id), id, lang);
        return {
        data: (await metering.creditsOf((await keyOf(request)).id)).map((c) => ({
          order_id: c.orderId,
          kind: c.kind,
          amount_usd: formatUsd(c.amountNano),
          budget_added_usd: formatUsd(c.budgetAddedNano),
          expires_before: isoOrNull(c.expiresBefore),
          expires_after: isoOrNull(c.expiresAfter),
          plan_before: c.planBefore,
          plan_after: c.planAfter,
          plan_before_name: c.planBefore === null ? null : nameOf(c.planBefore),
          plan_after_name: nameOf(c.planAfter),
          created_at: iso(c.createdAt),
        })),
        };
      },
      {
        response: UsageCredits,
        detail: {
          tags: BUYER,
          security,
          summary: 'What each paid order put on this key: its purchase and every top-up, newest first',
          description: 'One row per order: the amount paid, the budget added, the expiry and the plan before and after.',
        },
      },
    )
    .patch(
      '/api/key/settings',
      async ({ request, body }) => {
        const key = await metering.setShowReasoning((await keyOf(request)).id, body.show_reasoning);
        return { show_reasoning: key.showReasoning ?? false };
      },
      { body: KeySettings, response: KeySettings, detail: { tags: BUYER, security, summary: "Whether answers keep DeepSeek's reasoning_content" } },
    );
};
