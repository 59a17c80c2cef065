// Request routing for the PayPal simulator: basePath, control, approval page, REST with bearer
// auth and injected failures.

import { showApproval, submitApproval } from './approval';
import { checkBearer, handleToken } from './auth';
import type { FailureRule, SimContext } from './context';
import { handleControl } from './control';
import { getCert, getEvent, resendEvent, verifyWebhookSignature } from './notifications';
import { captureOrder } from './capture';
import { createOrder, getOrder } from './orders';
import { getCapture, getRefund, refundCapture } from './payments';
import { json, newDebugId, ppError } from './util';

type Handler = (ctx: SimContext, req: Request, params: string[], path: string) => Response | Promise<Response>;

interface Route {
  method: string;
  pattern: RegExp;
  handler: Handler;
}

const ID = '([A-Za-z0-9-]+)';
const p = (s: string) => new RegExp(`^${s}$`);

/** REST routes that need a bearer token. */
const ROUTES: Route[] = [
  { method: 'POST', pattern: p('/v2/checkout/orders'), handler: (c, r) => createOrder(c, r) },
  { method: 'GET', pattern: p(`/v2/checkout/orders/${ID}`), handler: (c, r, [id]) => getOrder(c, r, id ?? '') },
  { method: 'POST', pattern: p(`/v2/checkout/orders/${ID}/capture`), handler: (c, r, [id], path) => captureOrder(c, r, id ?? '', path) },
  { method: 'GET', pattern: p(`/v2/payments/captures/${ID}`), handler: (c, r, [id]) => getCapture(c, r, id ?? '') },
  { method: 'POST', pattern: p(`/v2/payments/captures/${ID}/refund`), handler: (c, r, [id]) => refundCapture(c, r, id ?? '') },
  { method: 'GET', pattern: p(`/v2/payments/refunds/${ID}`), handler: (c, r, [id]) => getRefund(c, r, id ?? '') },
  { method: 'POST', pattern: p('/v1/notifications/verify-webhook-signature'), handler: (c, r) => verifyWebhookSignature(c, r) },
  { method: 'GET', pattern: p(`/v1/notifications/webhooks-events/${ID}`), handler: (c, _r, [id]) => getEvent(c, id ?? '') },
  { method: 'POST', pattern: p(`/v1/notifications/webhooks-events/${ID}/resend`), handler: (c, r, [id]) => resendEvent(c, r, id ?? '') },
];

const DEFAULT_HOLD_MS = 30_000;

/** An injected timeout: keep the request open until `ms` pass, the client aborts, or the simulator resets/stops. */
async function hold(ctx: SimContext, req: Request, rule: FailureRule): Promise<Response> {
  await new Promise<void>((resolve) => {
    const timer = setTimeout(done, rule.ms ?? DEFAULT_HOLD_MS);
    function done() {
      clearTimeout(timer);
      ctx.held.delete(done);
      req.signal?.removeEventListener('abort', done);
      resolve();
    }
    ctx.held.add(done);
    req.signal?.addEventListener('abort', done, { once: true });
  });
  return ppError(503, 'SERVICE_UNAVAILABLE');
}

const notFoundPath = (_path: string) => ppError(404, 'RESOURCE_NOT_FOUND');

async function route(ctx: SimContext, req: Request, path: string): Promise<Response> {
  if (path === '/_control' || path.startsWith('/_control/')) return handleControl(ctx, req, path);
  if (path === '/checkoutnow') {
    if (req.method === 'GET') return showApproval(ctx, req);
    if (req.method === 'POST') return submitApproval(ctx, req);
  }
  const cert = /^\/v1\/notifications\/certs\/([A-Za-z0-9-]+)$/.exec(path);
  if (cert && req.method === 'GET') return getCert(ctx, cert[1] ?? '');

  if (path === '/v1/oauth2/token') {
    if (req.method !== 'POST') return ppError(405, 'METHOD_NOT_SUPPORTED');
    const rule = ctx.takeFailure(path, ['500', 'timeout'], true);
    if (rule) return injected(ctx, req, rule, () => handleToken(ctx, req));
    return handleToken(ctx, req);
  }

  let pathMatched = false;
  for (const r of ROUTES) {
    const m = r.pattern.exec(path);
    if (!m) continue;
    pathMatched = true;
    if (r.method !== req.method) continue;
    const unauth = checkBearer(ctx, req);
    if (unauth) return unauth;
    const params = m.slice(1).map((s) => s ?? '');
    const run = () => Promise.resolve(r.handler(ctx, req, params, path));
    const rule = ctx.takeFailure(path, ['500', 'timeout']);
    if (rule) return injected(ctx, req, rule, run);
    return run();
  }
  return pathMatched ? ppError(405, 'METHOD_NOT_SUPPORTED') : notFoundPath(path);
}

async function injected(ctx: SimContext, req: Request, rule: FailureRule, run: () => Promise<Response>): Promise<Response> {
  if (rule.fail === '500') return ppError(500, 'INTERNAL_SERVER_ERROR');
  if (rule.process) await run(); // the call takes effect, but its answer is lost
  return hold(ctx, req, rule);
}

/** Entry point: strips basePath, routes, turns exceptions into PayPal's 500. */
export async function dispatch(ctx: SimContext, req: Request): Promise<Response> {
  const url = new URL(req.url);
  const bp = ctx.cfg.basePath;
  let path = url.pathname;
  if (bp !== '') {
    if (path !== bp && !path.startsWith(`${bp}/`)) return notFoundPath(path);
    path = path.slice(bp.length) || '/';
  }
  try {
    return await route(ctx, req, path);
  } catch (e) {
    console.error('[paypal-sim] internal error:', e);
    return ppError(500, 'INTERNAL_SERVER_ERROR');
  }
}
