import { Elysia } from 'elysia';
import type { Deps } from '../deps';
import { isKeyHolderPath } from './auth';
import { pathOfContext, type EdgeContext } from './edge';

// Browser apps (chat front-ends on their own origin) call the OpenAI-compatible API and the key
// holder's usage API with a key in the Authorization header. No cookies are involved, so no
// credentials mode. The admin API, checkout and order look-ups get no CORS at all: only the
// gateway's own pages (same origin) may call them from a browser.

const ALLOW_METHODS = 'GET, POST, PATCH, OPTIONS';
/** What a preflight may ask for when the browser does not say (it always does in practice). */
const DEFAULT_ALLOW_HEADERS = 'authorization, content-type';
/** Headers a browser script may read: ids for support, rate limits, cost and budget. */
const EXPOSE_HEADERS = [
  'x-request-id',
  'retry-after',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-tollgate-cost-usd',
  'x-tollgate-remaining-usd',
  'x-tollgate-max-tokens-clamped',
].join(', ');
const PREFLIGHT_MAX_AGE_SECONDS = '600';
/** Request header names are tokens; anything else in a preflight's list is refused, not echoed. */
const HEADER_LIST = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+(\s*,\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+)*$/;

/** The Access-Control-Allow-Origin value for this origin, or null when it is not allowed. */
export function allowedOrigin(origins: '*' | string[], origin: string | null): string | null {
  if (origin === null) return null;
  if (origins === '*') return '*';
  return origins.includes(origin) ? origin : null;
}

/**
 * The CORS headers of a key-holder path's answer (not a preflight's), or null when there are none
 * to add: JSON, streams and errors alike get them.
 */
export function corsHeaders(deps: Pick<Deps, 'config'>): (request: Request, path: string) => Record<string, string> | null {
  const origins = deps.config.corsOrigins;
  if (origins !== '*' && origins.length === 0) return () => null;
  return (request, path): Record<string, string> | null => {
    const origin = request.headers.get('origin');
    // Not a browser's cross-origin call (SDKs, curl, SillyTavern's server): with '*' nothing varies by origin.
    if (origin === null && origins === '*') return null;
    if (!isKeyHolderPath(path)) return null;
    const allow = allowedOrigin(origins, origin);
    return allow === null ? { vary: 'Origin' } : { vary: 'Origin', 'access-control-allow-origin': allow, 'access-control-expose-headers': EXPOSE_HEADERS };
  };
}

/** CORS for browser clients of the OpenAI-compatible API; none anywhere else. */
export function corsPlugin(deps: Deps) {
  const origins = deps.config.corsOrigins;
  const enabled = origins === '*' || origins.length > 0;
  const plugin = new Elysia({ name: 'cors' });
  if (!enabled) return plugin;
  const headersFor = corsHeaders(deps);

  return plugin.onRequest((ctx) => {
    const { request, set } = ctx;
    const path = pathOfContext(request, (ctx as EdgeContext).tgPath);
    if (request.method === 'OPTIONS') {
      if (!isKeyHolderPath(path)) return;
      const allow = allowedOrigin(origins, request.headers.get('origin'));
      const headers: Record<string, string> = { vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers' };
      const wanted = request.headers.get('access-control-request-headers');
      // a disallowed origin gets an answer without CORS headers: the browser then refuses the call
      if (allow !== null && (wanted === null || (wanted.length <= 2048 && HEADER_LIST.test(wanted.trim())))) {
        Object.assign(headers, {
          'access-control-allow-origin': allow,
          'access-control-allow-methods': ALLOW_METHODS,
          'access-control-allow-headers': wanted?.trim() || DEFAULT_ALLOW_HEADERS,
          'access-control-max-age': PREFLIGHT_MAX_AGE_SECONDS,
        });
      }
      // answered here: the routes only define GET/POST/PATCH, so Elysia would say 404
      return new Response(null, { status: 204, headers });
    }
    // set.headers reach every answer of this request: JSON, streams and errors alike
    const headers = headersFor(request, path);
    if (headers !== null) Object.assign(set.headers, headers);
  });
}
