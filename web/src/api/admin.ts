// A typed client for the admin API (server/modules/admin/API.md). Only the console imports it.
import { ApiError, errorFrom, languageHeader } from './client';
import type { Protocol, Refused, ServerToolCalls } from './types';

export type Usd = string;

export interface List<T> {
  data: T[];
  total: number;
}

export interface Overview {
  revenue_usd: Usd;
  paid_orders: number;
  revenue_by_day: { date: string; revenue_usd: Usd; orders: number }[];
  orders_by_status: Record<string, number>;
  buyer_spend_usd: Usd;
  upstream_cost_usd: Usd;
  margin_usd: Usd;
  /** revenue attributable to the budget used in the window */
  earned_usd?: Usd;
  /** the budget still owed to buyers (active, unexpired keys) */
  owed_usd?: Usd;
  owed_keys?: number;
  refused_today?: Refused;
  active_keys: number;
  requests_today: number;
  errors_today: number;
  error_rate_today: number;
  current_period: string;
  spend_by_day: { date: string; spend_usd: Usd; requests: number }[];
}

export interface KeyRefusals {
  refused: Refused;
  by_day: { date: string; refused: Refused }[];
}

export interface RefusalRow {
  key_id: string;
  key_hint: string | null;
  date: string;
  reason: string;
  count: number;
}

export interface Key {
  id: string;
  key_hint: string;
  plan_id: string;
  status: string;
  status_reason: string | null;
  budget_usd: Usd;
  spent_usd: Usd;
  remaining_usd: Usd;
  expires_at: string | null;
  email: string | null;
  note: string | null;
  rpm: number | null;
  concurrency: number | null;
  show_reasoning: boolean | null;
  order_id: string | null;
  created_at: string;
  last_used_at: string | null;
}

export interface NewKey {
  key: string;
  data: Key;
}

export interface LedgerRow {
  id: string | number;
  request_id: string;
  key_id: string;
  protocol: Protocol;
  model: string;
  upstream_model: string;
  period: string;
  stream: boolean;
  status: string | number;
  finish_reason: string | null;
  prompt_cache_hit_tokens: number;
  prompt_cache_miss_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
  server_tool_calls: ServerToolCalls;
  server_tool_cost_usd: Usd;
  cost_usd: Usd;
  basis: string;
  started_at: string;
  duration_ms: number | null;
}

export type ToolKind = 'web_search' | 'read_url' | 'file_parse';

/** A server-side tool's per-call price (GET /admin/api/tool-prices); model '*' is every model. */
export interface ToolPrice {
  tool: ToolKind;
  model: string;
  peak_usd_per_call: Usd;
  off_peak_usd_per_call: Usd;
  max_calls_per_request: number;
}

export interface Order {
  id: string;
  plan_id: string;
  email: string;
  amount_usd: Usd;
  currency: string;
  status: string;
  status_reason: string | null;
  paypal_order_id: string | null;
  key_id: string | null;
  key_hint: string | null;
  created_at: string;
  paid_at: string | null;
}

export interface OrderDetail extends Order {
  payments: { paypal_capture_id: string; status: string; amount_usd: Usd; refunded_usd: Usd; created_at: string }[];
  webhook_events: { id: string; event_type: string; verified: boolean; result: string | null; received_at: string; processed_at: string | null }[];
}

export interface Plan {
  id: string;
  name: string;
  description: string;
  name_zh?: string;
  description_zh?: string;
  /** which texts have no Chinese version */
  missing_zh?: string[];
  price_usd: Usd;
  budget_usd: Usd;
  models: string[];
  rpm: number;
  max_concurrency: number;
  validity_days: number;
  sort_order: number;
  retired: boolean;
}

export interface Prices {
  cache_hit_usd: Usd;
  cache_miss_usd: Usd;
  output_usd: Usd;
}

export type Thinking = 'enabled' | 'disabled' | null;

export interface Model {
  id: string;
  name: string;
  upstream_model: string;
  thinking: Thinking;
  max_output_tokens: number;
  retired: boolean;
  aliases: { alias: string; thinking: Thinking }[];
  prices: { peak: Prices; off_peak: Prices };
}

export interface PeakWindow {
  days: number[];
  start: string;
  end: string;
}

export interface Schedule {
  time_zone: string;
  peak_windows: PeakWindow[];
  holidays: string[];
  current_period: string;
}

export interface Preview {
  period: string;
  cost_usd: Usd;
  prices: Prices;
}

export interface Upstream {
  id: string;
  label: string | null;
  key_hint: string;
  source: 'env' | 'admin';
  state: 'active' | 'failing' | 'removed';
  reason: string | null;
  in_flight: number;
  balance: { currency: string; total: string; checked_at: string; low: boolean } | null;
}

/** The site texts that have a Chinese twin (`<name>_zh`). */
export const TRANSLATED_SETTINGS = ['disclaimer', 'support_contact', 'announcement', 'terms', 'privacy', 'refunds'] as const;
export type TranslatedSetting = (typeof TRANSLATED_SETTINGS)[number];

export interface Settings {
  site_name: string;
  disclaimer: string;
  disclaimer_zh: string;
  support_contact: string;
  support_contact_zh: string;
  announcement: string;
  announcement_zh: string;
  terms: string;
  terms_zh: string;
  privacy: string;
  privacy_zh: string;
  refunds: string;
  refunds_zh: string;
  /** which of the texts have no Chinese version */
  missing_zh: string[];
  public_url: string;
  show_reasoning_default: boolean;
  low_balance_warning_usd: Usd;
}

export interface AuditRow {
  id: string | number;
  at: string;
  actor: string;
  ip: string | null;
  action: string;
  target: string | null;
  before: unknown;
  after: unknown;
}

export interface MailRow {
  id: number;
  kind: 'receipt' | 'low_budget' | 'exhausted' | 'expiring';
  to: string;
  lang: 'en' | 'zh';
  status: 'pending' | 'sending' | 'sent' | 'failed';
  resend: boolean;
  attempts: number;
  subject: string | null;
  smtp_response: string | null;
  order_id: string | null;
  key_id: string | null;
  created_at: string;
  next_attempt_at: string | null;
  sent_at: string | null;
}

export interface MailList extends List<MailRow> {
  enabled: boolean;
  server: string | null;
  from: string | null;
  counts: Record<'pending' | 'sending' | 'sent' | 'failed', number>;
}

export interface KeyCredit {
  id: number;
  key_id: string;
  order_id: string;
  kind: 'purchase' | 'topup';
  amount_usd: Usd;
  budget_added_usd: Usd;
  expires_before: string | null;
  expires_after: string | null;
  plan_before: string | null;
  plan_after: string;
  created_at: string;
}

/** An admin API failure; on 429 it says how many seconds to wait when the server told us. */
export class AdminError extends ApiError {
  constructor(
    status: number,
    message: string,
    code: string | null,
    readonly retryAfter: number | null,
  ) {
    super(status, message, code);
    this.name = 'AdminError';
  }
}

export type Query = Record<string, string | number | undefined | null>;

export function queryString(query: Query = {}): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const s = params.toString();
  return s ? `?${s}` : '';
}

async function send(token: string, method: string, path: string, body?: unknown): Promise<Response> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}`, 'accept-language': languageHeader() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  let res: Response;
  try {
    res = await fetch(`/admin/api${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  } catch {
    throw new AdminError(0, '', null, null);
  }
  if (!res.ok) {
    const retry = Number(res.headers.get('retry-after'));
    const base = await errorFrom(res);
    throw new AdminError(base.status, base.message, base.code, Number.isFinite(retry) && retry > 0 ? retry : null);
  }
  return res;
}

async function json<T>(token: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(token, method, path, body);
  try {
    return (await res.json()) as T;
  } catch {
    throw new AdminError(res.status, '', null, null);
  }
}

const enc = encodeURIComponent;

/** Every admin call, bound to one token. */
export function adminApi(token: string) {
  const get = <T>(path: string) => json<T>(token, 'GET', path);
  const post = <T>(path: string, body: unknown = {}) => json<T>(token, 'POST', path, body);
  const patch = <T>(path: string, body: unknown) => json<T>(token, 'PATCH', path, body);
  return {
    overview: (days = 30) => get<Overview>(`/overview?days=${days}`),
    keys: (q: Query) => get<List<Key>>(`/keys${queryString(q)}`),
    createKey: (body: { plan_id: string; budget_usd?: string; email?: string; note?: string; rpm?: number; concurrency?: number; expires_days?: number }) =>
      post<NewKey>('/keys', body),
    key: (id: string) => get<Key>(`/keys/${enc(id)}`),
    updateKey: (id: string, body: Partial<Pick<Key, 'budget_usd' | 'plan_id' | 'expires_at' | 'status' | 'note' | 'rpm' | 'concurrency' | 'show_reasoning'>>) =>
      patch<Key>(`/keys/${enc(id)}`, body),
    topUp: (id: string, amount_usd: string) => post<Key>(`/keys/${enc(id)}/topup`, { amount_usd }),
    rotateKey: (id: string) => post<NewKey>(`/keys/${enc(id)}/rotate`),
    keyLedger: (id: string, q: Query) => get<List<LedgerRow>>(`/keys/${enc(id)}/ledger${queryString(q)}`),
    orders: (q: Query) => get<List<Order>>(`/orders${queryString(q)}`),
    order: (id: string) => get<OrderDetail>(`/orders/${enc(id)}`),
    refund: (id: string, body: { amount_usd?: string; reason?: string }) => post<Order>(`/orders/${enc(id)}/refund`, body),
    syncOrder: (id: string) => post<Order>(`/orders/${enc(id)}/sync`),
    plans: () => get<{ data: Plan[] }>('/plans'),
    createPlan: (body: Omit<Plan, 'retired'>) => post<Plan>('/plans', body),
    updatePlan: (id: string, body: Partial<Plan>) => patch<Plan>(`/plans/${enc(id)}`, body),
    models: () => get<{ data: Model[] }>('/models'),
    updateModel: (id: string, body: Partial<Omit<Model, 'id'>>) => patch<Model>(`/models/${enc(id)}`, body),
    schedule: () => get<Schedule>('/price-schedule'),
    saveSchedule: (body: Omit<Schedule, 'current_period'>) => json<Schedule>(token, 'PUT', '/price-schedule', body),
    preview: (body: { model: string; cache_hit_tokens: number; cache_miss_tokens: number; output_tokens: number; at?: string }) =>
      post<Preview>('/price-preview', body),
    toolPrices: () => get<{ data: ToolPrice[] }>('/tool-prices'),
    setToolPrice: (tool: ToolKind, body: Omit<ToolPrice, 'tool'>) => json<ToolPrice>(token, 'PUT', `/tool-prices/${enc(tool)}`, body),
    removeToolPrice: (tool: ToolKind, model: string) => json<{ data: ToolPrice[] }>(token, 'DELETE', `/tool-prices/${enc(tool)}${queryString({ model })}`),
    upstreams: () => get<{ data: Upstream[]; low_balance_warning_usd: Usd }>('/upstreams'),
    addUpstream: (key: string, label?: string) => post<Upstream>('/upstreams', { key, label }),
    removeUpstream: (id: string) => json<{ removed: boolean }>(token, 'DELETE', `/upstreams/${enc(id)}`),
    restoreUpstream: (id: string) => post<Upstream>(`/upstreams/${enc(id)}/restore`),
    checkUpstream: (id: string) => post<Upstream>(`/upstreams/${enc(id)}/check`),
    ledger: (q: Query) => get<List<LedgerRow>>(`/ledger${queryString(q)}`),
    /** The CSV as a blob: a plain link can't carry the Authorization header. */
    ledgerCsv: async (q: Query) => (await send(token, 'GET', `/ledger.csv${queryString(q)}`)).blob(),
    settings: () => get<Settings>('/settings'),
    saveSettings: (body: Partial<Omit<Settings, 'public_url' | 'missing_zh'>>) => patch<Settings>('/settings', body),
    audit: (q: Query) => get<List<AuditRow> & { actions: string[] }>(`/audit${queryString(q)}`),
    mail: (q: Query) => get<MailList>(`/mail${queryString(q)}`),
    resendMail: (id: number) => post<MailRow>(`/mail/${id}/resend`),
    keyCredits: (id: string) => get<{ data: KeyCredit[] }>(`/keys/${enc(id)}/credits`),
    keyRefusals: (id: string) => get<KeyRefusals>(`/keys/${enc(id)}/refusals`),
    refusals: (q: Query) => get<{ data: RefusalRow[]; refused: Refused }>(`/refusals${queryString(q)}`),
  };
}

export type AdminApi = ReturnType<typeof adminApi>;
