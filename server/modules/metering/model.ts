import { t } from 'elysia';

const Usd = t.String({ pattern: '^-?\\d+\\.\\d{9}$', examples: ['4.250000000'] });
const Tokens = t.Object({ cache_hit: t.Integer(), cache_miss: t.Integer(), output: t.Integer(), reasoning: t.Integer() });

const REASONS = ['budget_exhausted', 'budget_too_low', 'key_expired', 'model_not_allowed', 'model_not_found', 'rate_limited', 'concurrency_limited', 'upstream_rejected', 'bad_request'] as const;

/** Refused requests: how many, and how many per reason (reasons with none left out). */
export const Refused = t.Object(
  {
    total: t.Integer({ examples: [3] }),
    by_reason: t.Partial(t.Object(Object.fromEntries(REASONS.map((r) => [r, t.Integer()])) as Record<(typeof REASONS)[number], ReturnType<typeof t.Integer>>), {
      examples: [{ rate_limited: 2, model_not_allowed: 1 }],
    }),
  },
  { description: 'requests of this key the gateway refused, by reason' },
);

export const UsageSummary = t.Object({
  key_hint: t.String(),
  plan_id: t.String(),
  plan_name: t.String({ description: "the plan's display name in the visitor's language (?lang=, else Accept-Language)" }),
  models: t.Array(t.String(), { description: 'the models this key may call' }),
  rpm: t.Integer({ description: 'requests per minute allowed for this key (its own limit, else the plan\'s); 0 = unlimited' }),
  max_concurrency: t.Integer({ description: 'requests at once allowed for this key (its own limit, else the plan\'s); 0 = unlimited' }),
  status: t.String(),
  budget_usd: Usd,
  spent_usd: Usd,
  remaining_usd: Usd,
  expires_at: t.Union([t.String({ format: 'date-time' }), t.Null()]),
  show_reasoning: t.Boolean(),
  requests: t.Integer(),
  tokens: Tokens,
  refused: Refused,
});

export const UsageDaily = t.Object({
  data: t.Array(t.Object({ date: t.String({ examples: ['2026-11-23'] }), requests: t.Integer(), cost_usd: Usd, tokens: Tokens, refused: Refused })),
});

/** The API a request spoke (ledger.protocol). */
export const ProtocolOut = t.Union([t.Literal('chat'), t.Literal('fim'), t.Literal('anthropic'), t.Literal('responses')], {
  description: 'the API the request spoke: chat (OpenAI chat completions, /beta/chat/completions included), fim (/beta/completions), anthropic (Messages), responses',
});

export const UsageRequests = t.Object({
  data: t.Array(
    t.Object({
      request_id: t.String(),
      protocol: ProtocolOut,
      model: t.String(),
      stream: t.Boolean(),
      status: t.Integer(),
      finish_reason: t.Union([t.String(), t.Null()]),
      prompt_cache_hit_tokens: t.Integer(),
      prompt_cache_miss_tokens: t.Integer(),
      completion_tokens: t.Integer(),
      reasoning_tokens: t.Integer(),
      server_tool_calls: t.Object(
        { web_search: t.Integer(), read_url: t.Integer(), file_parse: t.Integer() },
        { description: "DeepSeek's server-side tool calls (web searches, URL reads, files parsed), billed per call" },
      ),
      server_tool_cost_usd: Usd,
      cost_usd: Usd,
      basis: t.Union([t.Literal('upstream'), t.Literal('estimated')]),
      period: t.Union([t.Literal('peak'), t.Literal('off_peak')]),
      started_at: t.String({ format: 'date-time' }),
      duration_ms: t.Integer(),
    }),
  ),
});

export const KeySettings = t.Object({ show_reasoning: t.Boolean() });
export const DaysQuery = t.Object({ days: t.Optional(t.Integer({ minimum: 1, maximum: 366, default: 30 })) });
export const LimitQuery = t.Object({ limit: t.Optional(t.Integer({ minimum: 1, maximum: 500, default: 50 })) });

export const UsageCredits = t.Object({
  data: t.Array(
    t.Object({
      order_id: t.String(),
      kind: t.Union([t.Literal('purchase'), t.Literal('topup')], { description: 'the first purchase of the key, or a top-up' }),
      amount_usd: Usd,
      budget_added_usd: Usd,
      expires_before: t.Union([t.String({ format: 'date-time' }), t.Null()]),
      expires_after: t.Union([t.String({ format: 'date-time' }), t.Null()]),
      plan_before: t.Union([t.String(), t.Null()]),
      plan_after: t.String(),
      plan_before_name: t.Union([t.String(), t.Null()], { description: "plan_before's display name in the visitor's language" }),
      plan_after_name: t.String({ description: "plan_after's display name in the visitor's language" }),
      created_at: t.String({ format: 'date-time' }),
    }),
  ),
});
