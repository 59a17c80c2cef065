import type { Lang } from '../i18n';
import { HTML_LANG } from '../i18n';
import type { CheckoutResult, Credit, ListOf, ModelList, OrderView, PlanList, PolicyPage, Site, Usage, UsageDay, UsageRequest } from './types';

/** An API failure with the server's own message (already in the page's language). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null = null,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let acceptLanguage = 'en';

/** Every call asks the server to answer in the page's language. */
export function setApiLang(lang: Lang): void {
  acceptLanguage = HTML_LANG[lang];
}

export function languageHeader(): string {
  return acceptLanguage;
}

interface CallOptions {
  method?: string;
  body?: unknown;
  key?: string;
  signal?: AbortSignal;
}

/** Network failures and non-JSON answers become ApiError with status 0 and no message. */
export async function call<T>(path: string, opts: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json', 'accept-language': acceptLanguage };
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  let res: Response;
  try {
    res = await fetch(path, {
      method: opts.method ?? 'GET',
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      signal: opts.signal,
      credentials: 'same-origin',
    });
  } catch (error) {
    if (error instanceof DOMException && error.name === 'AbortError') throw error;
    throw new ApiError(0, '');
  }
  if (!res.ok) throw await errorFrom(res);
  try {
    return (await res.json()) as T;
  } catch {
    throw new ApiError(res.status, '');
  }
}

/** Reads OpenAI's error shape {"error":{"message","code"}}; anything else keeps an empty message. */
export async function errorFrom(res: Response): Promise<ApiError> {
  try {
    const body = (await res.json()) as { error?: { message?: unknown; code?: unknown } };
    const message = typeof body.error?.message === 'string' ? body.error.message : '';
    const code = typeof body.error?.code === 'string' ? body.error.code : null;
    return new ApiError(res.status, message, code);
  } catch {
    return new ApiError(res.status, '');
  }
}

const enc = encodeURIComponent;

export const api = {
  site: () => call<Site>('/api/site'),
  plans: () => call<PlanList>('/api/plans'),
  policy: (id: PolicyPage['id']) => call<PolicyPage>(`/api/policies/${id}`),
  models: () => call<ModelList>('/api/models'),
  checkout: (plan_id: string, email: string, key?: string) => call<CheckoutResult>('/api/checkout', { method: 'POST', body: key ? { plan_id, email, key } : { plan_id, email } }),
  resendReceipts: (email: string) => call<{ accepted: true }>('/api/orders/resend', { method: 'POST', body: { email } }),
  credits: (key: string) => call<ListOf<Credit>>('/api/usage/credits', { key }),
  capture: (orderId: string, view: string) => call<OrderView>(`/api/checkout/${enc(orderId)}/capture?view=${enc(view)}`, { method: 'POST', body: {} }),
  order: (orderId: string, view: string) => call<OrderView>(`/api/orders/${enc(orderId)}?view=${enc(view)}`),
  lookup: (order_id: string, email: string) => call<OrderView>('/api/orders/lookup', { method: 'POST', body: { order_id, email } }),
  rotateKey: (order_id: string, email: string) => call<OrderView>('/api/orders/rotate-key', { method: 'POST', body: { order_id, email } }),
  usage: (key: string) => call<Usage>('/api/usage', { key }),
  daily: (key: string, days = 30) => call<ListOf<UsageDay>>(`/api/usage/daily?days=${days}`, { key }),
  requests: (key: string, limit = 50) => call<ListOf<UsageRequest>>(`/api/usage/requests?limit=${limit}`, { key }),
  setShowReasoning: (key: string, show_reasoning: boolean) =>
    call<{ show_reasoning: boolean }>('/api/key/settings', { method: 'PATCH', key, body: { show_reasoning } }),
  keyModels: (key: string) => call<ListOf<{ id: string }>>('/v1/models', { key }),
};

/** The answers every page shares, fetched once per page load. */
const shared = new Map<string, Promise<unknown>>();
export function once<T>(name: string, load: () => Promise<T>): Promise<T> {
  let p = shared.get(name) as Promise<T> | undefined;
  if (!p) {
    p = load();
    shared.set(name, p);
    // a failure is not cached: the next page tries again
    p.catch(() => shared.delete(name));
  }
  return p;
}
