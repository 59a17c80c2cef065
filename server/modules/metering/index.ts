import { Elysia } from 'elysia';
import type { Deps } from '../../deps';
import { formatUsd } from '../../lib/money';
import { DaysQuery, KeySettings, LimitQuery, UsageCredits, UsageDaily, UsageRequests, UsageSummary } from './model';

const BUYER = ['Buyer'];
const security = [{ buyerKey: [] }];
const iso = (ms: number) => new Date(ms).toISOString();
const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms));

export const meteringModule = (deps: Deps) => {
  const { metering } = deps;
  const keyOf = (request: Request) => metering.identify(request.headers.get('authorization'));

  return new Elysia({ name: 'metering' })
    .get(
      '/api/usage',
      async ({ request }) => {
        const key = await keyOf(request);
        const totals = await metering.usageTotals(key.id);
        return {
          key_hint: key.keyHint,
          plan_id: key.planId,
          status: key.expiresAt !== null && key.expiresAt <= deps.clock.now() ? 'expired' : key.status,
          budget_usd: formatUsd(key.budgetNano),
          spent_usd: formatUsd(key.spentNano),
          remaining_usd: formatUsd(Math.max(0, key.budgetNano - key.spentNano)),
          expires_at: key.expiresAt === null ? null : iso(key.expiresAt),
          show_reasoning: key.showReasoning ?? false,
          requests: totals.requests,
          tokens: { cache_hit: totals.cacheHit, cache_miss: totals.cacheMiss, output: totals.output, reasoning: totals.reasoning },
        };
      },
      { response: UsageSummary, detail: { tags: BUYER, security, summary: "The key's budget, spend and token totals" } },
    )
    .get(
      '/api/usage/daily',
      async ({ request, query }) => ({
        data: (await metering.usageDaily((await keyOf(request)).id, query.days ?? 30)).map((d) => ({
          date: d.date,
          requests: d.requests,
          cost_usd: formatUsd(d.costNano),
          tokens: { cache_hit: d.cacheHit, cache_miss: d.cacheMiss, output: d.output, reasoning: d.reasoning },
        })),
      }),
      { query: DaysQuery, response: UsageDaily, detail: { tags: BUYER, security, summary: 'Requests, cost and tokens per day (UTC)' } },
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
      async ({ request }) => ({
        data: (await metering.creditsOf((await keyOf(request)).id)).map((c) => ({
          order_id: c.orderId,
          kind: c.kind,
          amount_usd: formatUsd(c.amountNano),
          budget_added_usd: formatUsd(c.budgetAddedNano),
          expires_before: isoOrNull(c.expiresBefore),
          expires_after: isoOrNull(c.expiresAfter),
          plan_before: c.planBefore,
          plan_after: c.planAfter,
          created_at: iso(c.createdAt),
        })),
      }),
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
