// PayPal simulator: PayPal's REST paths and shapes (OAuth token, Orders v2, Payments v2,
// webhook verification), an approval page at the order's approve link, signed webhooks,
// and control endpoints for tests. See server/simulators/paypal/ for the parts.
//
//   standalone: const s = startPayPalSimulator({ webhookUrl }); ... PAYPAL_API_URL = s.url
//   mounted:    const sim = createPayPalSimulator({ basePath: '/paypal-sandbox', publicUrl });
//               route every request under /paypal-sandbox to sim.fetch(req)

import { SimContext } from './paypal/context';
import { dispatch } from './paypal/router';

/** The webhook id the simulator signs for unless told otherwise: PayPal's format, 17 upper-case letters and digits. */
export const DEFAULT_WEBHOOK_ID = '1SIM4TOLLGATE7WH0';
export const WEBHOOK_ID_FORMAT = /^[A-Z0-9]{17}$/;

export interface PayPalSimulatorOptions {
  /** Credentials accepted by /v1/oauth2/token (default 'sim-client' / 'sim-secret'). */
  clientId?: string;
  clientSecret?: string;
  /** Where webhook events are POSTed (none = events are recorded, not sent). */
  webhookUrl?: string;
  /** The webhook id events are registered under and signed for (default DEFAULT_WEBHOOK_ID). */
  webhookId?: string;
  /** Path prefix when mounted inside another server, e.g. '/paypal-sandbox'; '' standalone. */
  basePath?: string;
  /** Absolute URL (origin) at which this simulator is reachable; links are `publicUrl + basePath + …`. */
  publicUrl?: string;
}

export interface PayPalSimulator {
  /** Handles paths under basePath; 404 JSON for others. */
  fetch(req: Request): Promise<Response>;
  setPublicUrl(url: string): void;
  setWebhookUrl(url: string | undefined): void;
  /** Forgets orders, captures, refunds, idempotency keys, injected failures and sent events (tokens stay valid). */
  reset(): void;
  /** Cancels pending webhook retries and releases requests held by an injected timeout. */
  close(): void;
  /** Every webhook event sent so far (first transmission of each), oldest first: for contract tests. */
  sentEvents(): Record<string, unknown>[];
  readonly webhookId: string;
  readonly basePath: string;
}

function normaliseBasePath(bp: string | undefined): string {
  if (!bp || bp === '/') return '';
  return `/${bp.replace(/^\/+|\/+$/g, '')}`;
}

export function createPayPalSimulator(opts: PayPalSimulatorOptions = {}): PayPalSimulator {
  const ctx = new SimContext({
    clientId: opts.clientId ?? 'sim-client',
    clientSecret: opts.clientSecret ?? 'sim-secret',
    webhookId: opts.webhookId ?? DEFAULT_WEBHOOK_ID,
    basePath: normaliseBasePath(opts.basePath),
    ...(opts.publicUrl === undefined ? {} : { publicUrl: opts.publicUrl }),
    ...(opts.webhookUrl === undefined ? {} : { webhookUrl: opts.webhookUrl }),
  });
  // Generate the signing key now so the first webhook is not slowed down by it.
  void ctx.hub.getSigner();
  return {
    fetch: (req) => dispatch(ctx, req),
    setPublicUrl(url) {
      ctx.cfg.publicUrl = url;
    },
    setWebhookUrl(url) {
      if (url === undefined) delete ctx.cfg.webhookUrl;
      else ctx.cfg.webhookUrl = url;
    },
    reset: () => ctx.reset(),
    sentEvents: () => ctx.hub.sentEvents(),
    close() {
      ctx.hub.close();
      ctx.releaseHeld();
    },
    get webhookId() {
      return ctx.cfg.webhookId;
    },
    get basePath() {
      return ctx.cfg.basePath;
    },
  };
}

export function startPayPalSimulator(
  opts: PayPalSimulatorOptions & { port?: number; hostname?: string } = {},
): { url: string; port: number; stop(): Promise<void>; sim: PayPalSimulator } {
  const sim = createPayPalSimulator(opts);
  const hostname = opts.hostname ?? '127.0.0.1';
  const server = Bun.serve({
    port: opts.port ?? 0,
    hostname,
    // Injected timeouts hold requests for ~30 s; Bun's default idle timeout (10 s) would cut them.
    idleTimeout: 120,
    fetch: (req) => sim.fetch(req),
  });
  const port = server.port ?? 0;
  const shownHost = hostname === '0.0.0.0' || hostname === '::' ? '127.0.0.1' : hostname.includes(':') ? `[${hostname}]` : hostname;
  const origin = `http://${shownHost}:${port}`;
  if (opts.publicUrl === undefined) sim.setPublicUrl(origin);
  return {
    url: origin + sim.basePath,
    port,
    sim,
    async stop() {
      sim.close();
      await server.stop(true);
    },
  };
}
