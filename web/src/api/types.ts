// The JSON shapes of the public API (see shared CONTRACT.md). Money is nine-decimal USD text.

export type Period = 'peak' | 'off_peak';

export interface Site {
  site_name: string;
  /** the operator's texts below are in this language (English where no Chinese was written: see untranslated) */
  lang?: 'en' | 'zh';
  disclaimer: string;
  support_contact: string;
  /** a banner over every page; empty when there is none */
  announcement?: string;
  /** which of the texts fell back to English on a Chinese page */
  untranslated?: string[];
  public_url: string;
  api_base_url: string;
  checkout_enabled: boolean;
  /** receipts and budget notices are mailed (older servers leave it out) */
  mail_enabled?: boolean;
  paypal_mode: 'sandbox' | 'live';
  current_period: Period;
}

export interface Plan {
  id: string;
  name: string;
  description?: string;
  /** how many typical chat requests the budget pays for, roughly (see typical_request) */
  typical_requests?: number;
  /** which of name and description fell back to English on a Chinese page */
  untranslated?: string[];
  price_usd: string;
  budget_usd: string;
  models: string[];
  rpm: number;
  max_concurrency: number;
  validity_days: number;
}

export interface PeriodPrices {
  cache_hit_usd: string;
  cache_miss_usd: string;
  output_usd: string;
}

export interface PublicModel {
  id: string;
  name?: string;
  max_output_tokens?: number;
  aliases?: string[];
  per_million_tokens: { peak: PeriodPrices; off_peak: PeriodPrices };
}

export interface Schedule {
  time_zone: string;
  peak_windows: { days: number[]; start: string; end: string }[];
  holidays: string[];
}

export interface ModelList {
  data: PublicModel[];
  current_period: Period;
  schedule?: Schedule;
}

/** The terms of the request estimate on the pricing page (GET /api/plans). */
export interface TypicalRequest {
  input_tokens: number;
  cache_hit_tokens: number;
  output_tokens: number;
  period: Period;
}

export interface PlanList extends ListOf<Plan> {
  typical_request?: TypicalRequest;
}

/** A policy page's Markdown (GET /api/policies/{id}). */
export interface PolicyPage {
  id: 'terms' | 'privacy' | 'refunds';
  lang: 'en' | 'zh';
  markdown: string;
}

export interface CheckoutResult {
  order_id: string;
  approve_url: string;
  view_token?: string;
}

export type OrderStatus = 'created' | 'approved' | 'pending' | 'paid' | 'failed' | 'cancelled' | 'refunded' | 'reversed' | 'expired';

export interface OrderView {
  order_id: string;
  status: OrderStatus;
  status_reason?: string | null;
  plan_id: string;
  plan_name?: string;
  /** the order tops up an existing key */
  topup?: boolean;
  paypal_order_id?: string | null;
  /** masked: j***@example.com */
  email?: string;
  amount_usd?: string;
  currency?: string;
  created_at?: string;
  paid_at: string | null;
  /** where to pay, while the buyer still has to */
  approve_url?: string | null;
  key: string | null;
  key_hint?: string | null;
  key_status?: string | null;
  budget_usd: string | null;
  remaining_usd: string | null;
  expires_at?: string | null;
}

export interface Tokens {
  cache_hit: number;
  cache_miss: number;
  output: number;
  reasoning: number;
}

/** Requests the gateway refused, by reason (reasons with none left out). */
export interface Refused {
  total: number;
  by_reason: Partial<Record<RefusalReason, number>>;
}

export type RefusalReason =
  | 'budget_exhausted'
  | 'budget_too_low'
  | 'key_expired'
  | 'model_not_allowed'
  | 'model_not_found'
  | 'rate_limited'
  | 'concurrency_limited'
  | 'upstream_rejected'
  | 'bad_request';

export interface Usage {
  key_hint: string;
  plan_id: string;
  plan_name: string;
  /** the models this key may call, and its limits (0 = unlimited) */
  models: string[];
  rpm: number;
  max_concurrency: number;
  status: string;
  budget_usd: string;
  spent_usd: string;
  remaining_usd: string;
  expires_at: string | null;
  show_reasoning: boolean;
  requests: number;
  tokens: Tokens;
  /** older servers leave it out */
  refused?: Refused;
}

export interface UsageDay {
  date: string;
  requests: number;
  cost_usd: string;
  tokens: Tokens;
  refused?: Refused;
}

/** The API a request spoke (its ledger row's protocol). */
export type Protocol = 'chat' | 'fim' | 'anthropic' | 'responses';

/** DeepSeek's server-side tool calls billed on a request. */
export interface ServerToolCalls {
  web_search: number;
  read_url: number;
  file_parse: number;
}

export interface UsageRequest {
  request_id: string;
  protocol: Protocol;
  model: string;
  stream: boolean;
  status: number;
  finish_reason: string | null;
  prompt_cache_hit_tokens: number;
  prompt_cache_miss_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  server_tool_calls: ServerToolCalls;
  server_tool_cost_usd: string;
  cost_usd: string;
  basis: 'upstream' | 'estimated';
  period: Period;
  started_at: string;
  duration_ms: number;
}

export interface ListOf<T> {
  data: T[];
}

/** What one paid order put on a key (GET /api/usage/credits). */
export interface Credit {
  order_id: string;
  kind: 'purchase' | 'topup';
  amount_usd: string;
  budget_added_usd: string;
  expires_before: string | null;
  expires_after: string | null;
  plan_before: string | null;
  plan_after: string;
  /** the plans' display names in the page's language (older servers leave them out) */
  plan_before_name?: string | null;
  plan_after_name?: string;
  created_at: string;
}
