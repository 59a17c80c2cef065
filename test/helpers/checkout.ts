import type { Database } from 'bun:sqlite';
import { rmSync } from 'node:fs';
import { startDeepSeekSimulator } from '../../server/simulators/deepseek';
import { DEFAULT_WEBHOOK_ID } from '../../server/simulators/paypal';
import { startRecordedPayPal } from '../contracts/paypal-recorder';
import type { Query } from './backends';
import { startTestGateway, tempDir, type TestGateway } from './gateway';
import { freePort } from './process';
import { UPSTREAM_KEY } from './stack';

// The gateway with the PayPal simulator as its PayPal (and, when asked, the DeepSeek simulator
// as its upstream), all on loopback. The gateway listens on a port picked before it starts, so
// TOLLGATE_PUBLIC_URL (used in PayPal's return link) is its real address. Every answer the
// simulator gives is recorded and, on close(), checked against PayPal's OpenAPI documents.

export const PAYPAL_CLIENT_ID = 'sim-client';
export const PAYPAL_CLIENT_SECRET = 'sim-secret';
export const PAYPAL_WEBHOOK_ID = DEFAULT_WEBHOOK_ID;

let buyerSeq = 0;
/** A documentation address (TEST-NET-2) per simulated buyer, sent as X-Forwarded-For from loopback (a trusted proxy). */
export const buyerAddress = () => `198.51.100.${(buyerSeq++ % 250) + 1}`;

type J = Record<string, any>;

export interface CheckoutStackOptions {
  /** PayPal credentials (and the webhook id they need) in the gateway's env (default true) */
  credentials?: boolean;
  /** the PayPal simulator sends its events to the gateway (default true) */
  webhooks?: boolean;
  /** start the DeepSeek simulator as upstream (default false) */
  deepseek?: boolean;
  env?: Record<string, string>;
  /** raw reads of the gateway's database when it is not SQLite (a backend's `query`, test/helpers/backends.ts) */
  query?: (deps: TestGateway['deps']) => Query;
}

export interface Created {
  order_id: string;
  approve_url: string;
  view_token: string;
  paypal_order_id: string;
}

export async function waitFor<T>(fn: () => T | undefined | null | false | Promise<T | undefined | null | false>, ms = 5000, what = 'condition'): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (value) return value;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
}

export async function startCheckoutStack(opts: CheckoutStackOptions = {}) {
  if (opts.env?.TOLLGATE_DATABASE_URL && !opts.query) throw new Error('a checkout stack on PostgreSQL needs opts.query (the backend under test\'s query) to read its database');
  const paypal = startRecordedPayPal({ clientId: PAYPAL_CLIENT_ID, clientSecret: PAYPAL_CLIENT_SECRET, webhookId: PAYPAL_WEBHOOK_ID });
  const deepseek = opts.deepseek ? startDeepSeekSimulator({ port: 0, hostname: '127.0.0.1', keys: [UPSTREAM_KEY] }) : undefined;
  const dataDir = tempDir('tollgate-checkout-');
  let gw: TestGateway | undefined;
  for (let attempt = 0; !gw; attempt++) {
    const port = freePort();
    const env: Record<string, string> = {
      TOLLGATE_PUBLIC_URL: `http://127.0.0.1:${port}`,
      PAYPAL_API_URL: paypal.url,
      ...(opts.credentials === false ? {} : { PAYPAL_CLIENT_ID, PAYPAL_CLIENT_SECRET, PAYPAL_WEBHOOK_ID }),
      ...(deepseek ? { DEEPSEEK_API_KEY: UPSTREAM_KEY, DEEPSEEK_BASE_URL: deepseek.url } : {}),
      ...opts.env,
    };
    try {
      gw = await startTestGateway({ env, dataDir, port });
    } catch (error) {
      if (attempt >= 4) throw error; // the port was taken in between: pick another
    }
  }
  const gateway = gw;
  const url = gateway.url;
  const webhookUrl = `${url}/api/paypal/webhook`;
  if (opts.webhooks !== false) paypal.sim.setWebhookUrl(webhookUrl);
  // on PostgreSQL there is no SQLite file: `rows` and `sqlite` are SQLite's only, `q` reads either
  const sqlite = gateway.deps.database?.sqlite as Database;
  const rows = (sql: string, ...params: (string | number)[]) => {
    if (!sqlite) throw new Error('rows() reads SQLite only: use q() on this backend');
    return sqlite.query(sql).all(...params) as J[];
  };
  const q: Query = sqlite ? async (sql, ...params) => sqlite.query(sql).all(...params) as J[] : opts.query!(gateway.deps);

  async function control(path: string, body?: unknown): Promise<{ status: number; body: J }> {
    const res = await fetch(`${paypal.url}/_control/${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as J };
  }

  async function paypalToken(): Promise<string> {
    const res = await fetch(`${paypal.url}/v1/oauth2/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${PAYPAL_CLIENT_ID}:${PAYPAL_CLIENT_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    return ((await res.json()) as J).access_token as string;
  }

  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

  const stack = {
    gw: gateway,
    paypal,
    deepseek,
    url,
    webhookUrl,
    logLines: gateway.logLines,
    sqlite,
    rows,
    q,
    control,
    post,

    /** A new order, as a buyer of its own (own address: the per-address limit on new orders is tested apart). */
    async checkout(planId = 'starter', email = 'buyer@example.com'): Promise<Created> {
      const res = await post('/api/checkout', { plan_id: planId, email }, { 'x-forwarded-for': buyerAddress() });
      if (res.status !== 200) throw new Error(`checkout answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as Created;
    },

    /** Presses Pay on the simulator's approval page; answers the return link PayPal sends the buyer to. */
    async approve(paypalOrderId: string): Promise<string> {
      const { status, body } = await control(`approve/${paypalOrderId}`, {});
      if (status !== 200) throw new Error(`approve answered ${status}: ${JSON.stringify(body)}`);
      return body.redirect_url as string;
    },

    /** GET without following redirects. */
    visit: (target: string) => fetch(target.startsWith('http') ? target : `${url}${target}`, { redirect: 'manual' }),

    async viewOrder(orderId: string, view: string): Promise<{ status: number; body: J }> {
      const res = await fetch(`${url}/api/orders/${orderId}?view=${encodeURIComponent(view)}`);
      return { status: res.status, body: (await res.json()) as J };
    },

    /** Approves and comes back through the return page: the whole buyer round trip. */
    async pay(created: Created): Promise<Response> {
      return stack.visit(await stack.approve(created.paypal_order_id));
    },

    order: (orderId: string) => rows('SELECT * FROM orders WHERE id = ?', orderId)[0] as J,
    payments: (orderId: string) => rows('SELECT * FROM payments WHERE order_id = ?', orderId),
    keysOf: (orderId: string) => rows('SELECT * FROM api_keys WHERE order_id = ?', orderId),
    audit: (action: string) => rows('SELECT * FROM audit_log WHERE action = ? ORDER BY id', action),
    events: () => rows('SELECT * FROM webhook_events ORDER BY rowid'),
    paypalToken,

    /** Refunds part or all of a capture through PayPal's REST API (PayPal then sends the event). */
    async refund(captureId: string, value?: string): Promise<J> {
      const res = await fetch(`${paypal.url}/v2/payments/captures/${captureId}/refund`, {
        method: 'POST',
        headers: { authorization: `Bearer ${await paypalToken()}`, 'content-type': 'application/json' },
        body: JSON.stringify(value === undefined ? {} : { amount: { value, currency_code: 'USD' } }),
      });
      if (!res.ok) throw new Error(`refund answered ${res.status}: ${await res.text()}`);
      return (await res.json()) as J;
    },

    /** Waits until the gateway has processed an event of this type (optionally for one resource). */
    async processed(eventType: string, count = 1): Promise<J[]> {
      return waitFor(
        async () => {
          const done = await q('SELECT * FROM webhook_events WHERE event_type = ? AND processed_at IS NOT NULL', eventType);
          return done.length >= count ? done : undefined;
        },
        8000,
        `${count} processed ${eventType}`,
      );
    },

    /** Waits until PayPal has no delivery under way and the gateway has finished what they started. */
    async quiesce(): Promise<void> {
      await waitFor(
        async () => ((await control('webhooks')).body.data as J[]).every((d) => d.delivered || d.error !== undefined),
        10_000,
        'webhook deliveries to finish',
      );
      await gateway.deps.checkout.settled();
    },

    usage: (key: string) => fetch(`${url}/api/usage`, { headers: { authorization: `Bearer ${key}` } }),

    /** Violations of PayPal's OpenAPI documents among every simulator answer and event so far. */
    contractViolations: () => paypal.contractViolations(),

    /** Stops everything; fails when the simulator said anything PayPal's documents do not allow. */
    async close(): Promise<void> {
      paypal.sim.setWebhookUrl(undefined);
      await gateway.deps.checkout.settled();
      await gateway.stop();
      await paypal.stop();
      await deepseek?.stop();
      rmSync(dataDir, { recursive: true, force: true });
      const violations = paypal.contractViolations();
      if (violations.length > 0) throw new Error(`the PayPal simulator broke PayPal's OpenAPI documents:\n${violations.slice(0, 20).join('\n')}`);
    },
  };
  return stack;
}

export type CheckoutStack = Awaited<ReturnType<typeof startCheckoutStack>>;
