import type { Config } from '../../config';

// PayPal's REST API over plain fetch: OAuth token (cached until shortly before expiry), Orders v2,
// Payments v2 (read only) and webhook signature verification. Every call has a time limit.

export interface PayPalMoney {
  currency_code: string;
  value: string;
}

export interface PayPalLink {
  href: string;
  rel: string;
  method?: string;
}

export interface PayPalCapture {
  id: string;
  status: string;
  status_details?: { reason?: string };
  amount?: PayPalMoney;
  custom_id?: string;
  invoice_id?: string;
  supplementary_data?: { related_ids?: { order_id?: string } };
  links?: PayPalLink[];
}

export interface PayPalRefund {
  id: string;
  status: string;
  amount?: PayPalMoney;
  links?: PayPalLink[];
}

export interface PayPalPurchaseUnit {
  reference_id?: string;
  custom_id?: string;
  invoice_id?: string;
  amount?: PayPalMoney;
  payments?: { captures?: PayPalCapture[]; refunds?: PayPalRefund[] };
}

export interface PayPalOrder {
  id: string;
  status: string;
  links?: PayPalLink[];
  purchase_units?: PayPalPurchaseUnit[];
}

export interface CreateOrderBody {
  intent: 'CAPTURE';
  purchase_units: {
    reference_id?: string;
    custom_id: string;
    invoice_id: string;
    description: string;
    amount: PayPalMoney;
  }[];
  payment_source: {
    paypal: {
      experience_context: {
        return_url: string;
        cancel_url: string;
        user_action: 'PAY_NOW';
        shipping_preference: 'NO_SHIPPING';
        brand_name?: string;
      };
    };
  };
}

/** The transmission headers PayPal signs a webhook delivery with. */
export interface WebhookTransmission {
  authAlgo: string;
  certUrl: string;
  transmissionId: string;
  transmissionSig: string;
  transmissionTime: string;
}

/** A failed PayPal call: HTTP status (0 when PayPal could not be reached or timed out) and PayPal's issues. */
export class PayPalApiError extends Error {
  constructor(
    readonly status: number,
    readonly errorName: string,
    readonly issues: string[],
    readonly debugId: string | null,
    readonly links: PayPalLink[] = [],
  ) {
    super(`PayPal ${status === 0 ? 'unreachable' : status} ${errorName}${issues.length > 0 ? ` (${issues.join(', ')})` : ''}${debugId ? ` debug_id=${debugId}` : ''}`);
    this.name = 'PayPalApiError';
  }

  has(issue: string): boolean {
    return this.issues.includes(issue) || this.errorName === issue;
  }

  /** Worth retrying with the same PayPal-Request-Id: no answer, 429 or 5xx. */
  get transient(): boolean {
    return this.status === 0 || this.status === 429 || this.status >= 500;
  }
}

export const DEFAULT_PAYPAL_TIMEOUT_MS = 10_000;
/** Renew the token this long before PayPal says it expires. */
const TOKEN_MARGIN_MS = 60_000;

export function createPayPalClient(settings: Config['paypal'], opts: { timeoutMs?: number; now?: () => number } = {}) {
  const base = settings.apiUrl.replace(/\/+$/, '');
  const timeoutMs = opts.timeoutMs ?? DEFAULT_PAYPAL_TIMEOUT_MS;
  const now = opts.now ?? Date.now;
  let cached: { token: string; expiresAt: number } | null = null;
  let fetching: Promise<string> | null = null;

  const configured = () => settings.clientId !== undefined && settings.clientSecret !== undefined;

  async function send(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${base}${path}`, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    } catch (error) {
      const reason = error instanceof Error ? error.name : 'FetchError';
      throw new PayPalApiError(0, reason === 'TimeoutError' ? 'TIMEOUT' : 'NETWORK_ERROR', [], null);
    }
  }

  async function failure(res: Response): Promise<PayPalApiError> {
    const text = await res.text().catch(() => '');
    let body: Record<string, unknown> = {};
    try {
      body = JSON.parse(text) as Record<string, unknown>;
    } catch {
      // not JSON: keep the status alone
    }
    const details = Array.isArray(body.details) ? (body.details as { issue?: unknown }[]) : [];
    const issues = details.map((d) => String(d.issue ?? '')).filter((issue) => issue !== '');
    const name = typeof body.name === 'string' ? body.name : typeof body.error === 'string' ? body.error : `HTTP_${res.status}`;
    const links = Array.isArray(body.links) ? (body.links as PayPalLink[]) : [];
    const debugId = res.headers.get('paypal-debug-id') ?? (typeof body.debug_id === 'string' ? body.debug_id : null);
    return new PayPalApiError(res.status, name, issues, debugId, links);
  }

  async function fetchToken(): Promise<string> {
    const basic = Buffer.from(`${settings.clientId ?? ''}:${settings.clientSecret ?? ''}`).toString('base64');
    const res = await send('/v1/oauth2/token', {
      method: 'POST',
      headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
      body: 'grant_type=client_credentials',
    });
    if (!res.ok) throw await failure(res);
    const body = (await res.json()) as { access_token?: unknown; expires_in?: unknown };
    if (typeof body.access_token !== 'string') throw new PayPalApiError(res.status, 'INVALID_TOKEN_RESPONSE', [], null);
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 0) * 1000;
    cached = { token: body.access_token, expiresAt: now() + Math.max(0, lifetimeMs - TOKEN_MARGIN_MS) };
    return body.access_token;
  }

  function token(): Promise<string> {
    if (cached && cached.expiresAt > now()) return Promise.resolve(cached.token);
    // One token request at a time; concurrent callers share it.
    fetching ??= fetchToken().finally(() => {
      fetching = null;
    });
    return fetching;
  }

  /** An authenticated JSON call; a 401 drops the cached token and tries once more. */
  async function call<T>(method: string, path: string, opts: { body?: string; headers?: Record<string, string> } = {}): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const bearer = await token();
      const res = await send(path, {
        method,
        headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json', accept: 'application/json', ...opts.headers },
        body: opts.body,
      });
      if (res.status === 401 && attempt === 0) {
        await res.arrayBuffer().catch(() => undefined);
        if (cached?.token === bearer) cached = null;
        continue;
      }
      if (!res.ok) throw await failure(res);
      return (await res.json()) as T;
    }
  }

  const id = (value: string) => encodeURIComponent(value);

  return {
    configured,

    createOrder: (body: CreateOrderBody, requestId: string) =>
      call<PayPalOrder>('POST', '/v2/checkout/orders', {
        body: JSON.stringify(body),
        headers: { 'paypal-request-id': requestId, prefer: 'return=representation' },
      }),

    getOrder: (orderId: string) => call<PayPalOrder>('GET', `/v2/checkout/orders/${id(orderId)}`),

    /**
     * PayPal answers a repeated request id with the first request's result (for 6 hours), declines
     * included: the same id for retries of one attempt, a new one for a new attempt.
     */
    captureOrder: (orderId: string, requestId: string) =>
      call<PayPalOrder>('POST', `/v2/checkout/orders/${id(orderId)}/capture`, {
        body: '{}',
        headers: { 'paypal-request-id': requestId, prefer: 'return=representation' },
      }),

    getCapture: (captureId: string) => call<PayPalCapture>('GET', `/v2/payments/captures/${id(captureId)}`),

    getRefund: (refundId: string) => call<PayPalRefund>('GET', `/v2/payments/refunds/${id(refundId)}`),

    /**
     * Postback verification. `rawEvent` is the body exactly as received; it is spliced into the
     * request unchanged rather than re-serialised, so nothing in it can shift.
     */
    async verifyWebhookSignature(transmission: WebhookTransmission, webhookId: string, rawEvent: string): Promise<boolean> {
      const fields = JSON.stringify({
        auth_algo: transmission.authAlgo,
        cert_url: transmission.certUrl,
        transmission_id: transmission.transmissionId,
        transmission_sig: transmission.transmissionSig,
        transmission_time: transmission.transmissionTime,
        webhook_id: webhookId,
      });
      const body = `${fields.slice(0, -1)},"webhook_event":${rawEvent}}`;
      const result = await call<{ verification_status?: string }>('POST', '/v1/notifications/verify-webhook-signature', { body });
      return result.verification_status === 'SUCCESS';
    },
  };
}

export type PayPalClient = ReturnType<typeof createPayPalClient>;

/** The buyer's approval link: `payer-action` (payment_source flow) or the older `approve`. */
export function approveLink(order: PayPalOrder): string | undefined {
  return order.links?.find((link) => link.rel === 'payer-action' || link.rel === 'approve')?.href;
}

/** The last path segment of a link with this rel (e.g. the capture id behind a refund's `up`). */
export function linkedId(links: PayPalLink[] | undefined, rel: string): string | undefined {
  const href = links?.find((link) => typeof link === 'object' && link !== null && link.rel === rel)?.href;
  if (typeof href !== 'string') return undefined;
  try {
    const last = new URL(href).pathname.split('/').filter(Boolean).pop();
    return last ? decodeURIComponent(last) : undefined;
  } catch {
    return undefined;
  }
}
