import { Elysia } from 'elysia';
import type { Deps } from '../deps';
import { GatewayError, toGatewayError } from '../errors';
import { keyHint, timeOrderedId } from '../lib/keys';
import { formatUsd } from '../lib/money';
import type { SettledReport } from '../modules/proxy/relay';
import { pathOf } from '../lib/request-target';
import { pathOfContext, type EdgeContext } from './edge';

// One JSON line per request, `msg: "request"`. Proxied chat requests that reached DeepSeek are
// logged when they settle (a stream's tokens and cost are known only at its end); every other
// request is logged here when its response is sent. The proxy "claims" the requests it will
// report, so each request gets exactly one line. Keys appear only as their hint; the logger's
// redact() is the backstop for anything else.

interface Timed {
  /** performance.now() when the request arrived (set on the context by onRequest) */
  tgStart?: number;
}

const ms = (start: number | undefined) => (start === undefined ? null : Math.round((performance.now() - start) * 10) / 10);

/**
 * A key hint as logged: `abcd…wxyz`, the stored hint without the key prefix (the logger's redact()
 * would otherwise take `sk-gateway-abcd` for a secret and mangle it).
 */
function bare(hint: string, prefix: string): string {
  return hint.startsWith(prefix) ? hint.slice(prefix.length) : hint;
}

/** The hint of a buyer key in an Authorization header; null for anything else (an admin token is never hinted). */
function hintOf(authorization: string | null, prefix: string): string | null {
  if (!authorization || authorization.length > 512) return null;
  const match = /^Bearer\s+(\S+)/i.exec(authorization);
  const key = match?.[1];
  return key?.startsWith(prefix) ? bare(keyHint(key, prefix), prefix) : null;
}

export const requestLog = (deps: Deps) => {
  const { log, metrics, config } = deps;
  const enabled = log.level === 'debug' || log.level === 'info';
  /** requests whose line is written at settle, with their resolved public model */
  const claimed = new WeakMap<Request, string>();

  const settledLine = (request: Request, r: SettledReport) => {
    metrics.requestLogged();
    const path = pathOf(request.url);
    const fields: Record<string, unknown> = {
      request_id: r.requestId,
      method: request.method,
      route: path,
      path,
      status: r.status,
      key_hint: bare(r.keyHint, config.keyPrefix),
      protocol: r.protocol,
      model: r.model,
      stream: r.stream,
      tokens: { cache_hit: r.usage.cacheHitTokens, cache_miss: r.usage.cacheMissTokens, output: r.usage.outputTokens, reasoning: r.usage.reasoningTokens },
      cost_usd: r.costNano === null ? null : formatUsd(r.costNano),
      basis: r.basis,
      finish_reason: r.finishReason,
      ttfb_ms: r.ttfbMs,
      duration_ms: r.durationMs,
      upstream: r.upstreamId,
    };
    if (r.costNano === null) fields.error = 'settle_failed';
    log.info('request', fields);
  };

  deps.proxy.observe({
    claimed: (request, model) => claimed.set(request, model),
    settled(request, report) {
      const u = report.usage;
      metrics.settled(report.model, { cache_hit: u.cacheHitTokens, cache_miss: u.cacheMissTokens, output: u.outputTokens, reasoning: u.reasoningTokens }, report.costNano ?? 0, report.basis, report.durationMs, report.ttfbMs);
      if (enabled) settledLine(request, report);
    },
    upstreamError: metrics.upstreamError,
    streamOpened: metrics.streamOpened,
    streamClosed: metrics.streamClosed,
  });

  /** Counts an answered request in the metrics and writes its line, unless the relay writes it at settle. */
  const answered = (a: Answered) => {
    const duration = ms(a.start);
    let status: number;
    let errorCode: string | null = null;
    let errorModel: string | null = null;
    if (a.error !== undefined) {
      const error = a.error instanceof GatewayError ? a.error : toGatewayError(a.code ?? 'UNKNOWN', a.error, a.path);
      status = error.status;
      errorCode = error.code;
      if (typeof error.params.model === 'string') errorModel = error.params.model.slice(0, 64);
    } else if (a.response instanceof Response) {
      status = a.response.status;
    } else {
      status = typeof a.setStatus === 'number' ? a.setStatus : 200;
    }
    const model = claimed.get(a.request);
    metrics.request(a.route ?? '', status, model ?? '', duration ?? 0);
    if (model !== undefined || !enabled) return;

    metrics.requestLogged();
    const fields: Record<string, unknown> = {
      request_id: a.response instanceof Response ? (a.response.headers.get('x-request-id') ?? timeOrderedId('req_')) : timeOrderedId('req_'),
      method: a.request.method,
      route: a.route,
      // without the query: query strings carry view tokens and PayPal tokens
      path: a.path,
      status,
      key_hint: hintOf(a.request.headers.get('authorization'), config.keyPrefix),
      // Never read the body here: Elysia would then parse every request's body, mounts' included.
      model: errorModel,
      duration_ms: duration,
    };
    if (errorCode) fields.error = errorCode;
    if (status >= 500) log.warn('request', fields);
    else log.info('request', fields);
  };

  const plugin = new Elysia({ name: 'request-log' })
    .onRequest((ctx) => {
      (ctx as Timed).tgStart = performance.now();
    })
    .onAfterResponse({ as: 'global' }, (ctx) => {
      const c = ctx as typeof ctx & Timed & { error?: unknown; code?: string | number; responseValue?: unknown };
      answered({
        request: c.request,
        route: c.route ?? null,
        path: pathOfContext(c.request, (c as EdgeContext).tgPath),
        start: c.tgStart,
        error: c.error,
        code: c.code,
        response: c.responseValue,
        setStatus: c.set.status,
      });
    });
  return { plugin, answered };
};

/** A request as answered, for its metrics and log line. */
export interface Answered {
  request: Request;
  /** the route that answered, null when none did */
  route: string | null;
  path: string;
  /** performance.now() when it arrived */
  start: number | undefined;
  /** what was thrown, if anything */
  error?: unknown;
  /** Elysia's error code (PARSE, VALIDATION, NOT_FOUND…) */
  code?: string | number;
  /** what the handler answered */
  response?: unknown;
  /** the status the handler set, when its answer is not a Response */
  setStatus?: unknown;
}
