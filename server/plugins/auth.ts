import { Elysia } from 'elysia';
import type { Deps } from '../deps';
import { Err, GatewayError } from '../errors';
import { canonicalIp, ipMatcher, isLoopback, isPrivateAddress } from '../lib/ip';
import { constantTimeEqual } from '../lib/keys';
import type { Logger } from '../lib/log';
import { KEY_AUTH_FAILURE_LIMIT, KEY_AUTH_FAILURE_WINDOW_MS } from '../modules/metering/auth-failures';
import { apiKeyCredential } from '../modules/proxy/protocols';
import { pathOfContext, type EdgeContext } from './edge';

// Who is calling, and how often they may get a credential wrong. Both credentials are checked on
// request, before the body is read or validated: a caller without the admin token learns nothing
// about an admin route, and a bad API key is a 401 whatever the body (as at OpenAI and DeepSeek).
// The admin routes check again on the route Elysia actually chose, so no spelling of a path can
// reach one unguarded. An address that got credentials wrong too often is locked out: its wrong
// ones get 429 with Retry-After, its right ones are slowed by LOCKED_OUT_DELAY_MS and served, so
// that strangers sharing the address (a NAT, a proxy) cannot lock a buyer or the operator out.

const ADMIN_PREFIX = '/admin/api';
const ADMIN_FAILURE_LIMIT = 10;
const ADMIN_FAILURE_WINDOW_MS = 10 * 60_000;
/** How long a right credential from a locked-out address waits before it is served. */
export const LOCKED_OUT_DELAY_MS = 1000;
/** The untrusted-proxy warning looks at the first this many requests, then stops looking (it costs a header read each). */
const PEER_CHECKS = 10_000;

/** Keeps the admin console and its API out of search engines, whatever a link points at. */
export const ROBOTS_NOINDEX = 'noindex, nofollow';

export interface ServerLike {
  requestIP(request: Request): { address: string } | null;
}

const DEFAULT_TRUSTED: readonly string[] = ['127.0.0.1', '::1'];
const matchers = new WeakMap<readonly string[], (address: string) => boolean>();

/** The test for a trusted-proxy list (addresses and ranges), built once per list. */
function trustedMatcher(trustedProxies: readonly string[]): (address: string) => boolean {
  let matcher = matchers.get(trustedProxies);
  if (!matcher) {
    matcher = ipMatcher(trustedProxies);
    matchers.set(trustedProxies, matcher);
  }
  return matcher;
}

function peerAddress(server: ServerLike | null | undefined, request: Request): string | null {
  const peer = server?.requestIP(request)?.address;
  return peer ? canonicalIp(peer) : null;
}

/**
 * The caller's address, always an IP address (canonical) or "unknown": the socket peer, unless the
 * peer is a trusted proxy; then the right-most X-Forwarded-For hop that is not itself a trusted
 * proxy (everything left of it was written by the client and proves nothing). A hop that is not an
 * IP address ends the walk: the proxy that passed it on is the last thing known, so it is the answer.
 */
export function clientAddress(server: ServerLike | null | undefined, request: Request, trustedProxies: readonly string[] = DEFAULT_TRUSTED): string {
  const peer = peerAddress(server, request);
  if (peer === null) return 'unknown';
  const trusted = trustedMatcher(trustedProxies);
  if (!trusted(peer)) return peer;
  const forwarded = request.headers.get('x-forwarded-for');
  if (!forwarded || forwarded.length > 4096) return peer;
  const hops = forwarded.split(',');
  let nearest = peer;
  for (let i = hops.length - 1; i >= 0; i--) {
    const text = (hops[i] as string).trim();
    if (text === '') continue;
    const hop = canonicalIp(text);
    if (hop === null) return nearest;
    if (!trusted(hop)) return hop;
    nearest = hop;
  }
  return nearest;
}

/** The caller is this machine or one of the trusted proxies (metrics, full health detail). */
export function isLocalOrTrusted(server: ServerLike | null | undefined, request: Request, trustedProxies: readonly string[]): boolean {
  const address = clientAddress(server, request, trustedProxies);
  return isLoopback(address) || trustedMatcher(trustedProxies)(address);
}

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/** Paths a buyer's key authenticates: the OpenAI-compatible API and the key holder's own pages' API. */
export function isKeyHolderPath(path: string): boolean {
  return (
    under(path, '/v1') ||
    under(path, '/models') ||
    path === '/chat/completions' ||
    path === '/completions' ||
    path === '/responses' ||
    under(path, '/beta') ||
    under(path, '/anthropic') ||
    path === '/user/balance' ||
    under(path, '/api/usage') ||
    path === '/api/key/settings'
  );
}

/**
 * Warns once when requests carrying X-Forwarded-For arrive from a private-network peer that is not
 * a trusted proxy (Docker's 172.17.0.1, a LAN load balancer): every client behind it then counts
 * as that one address, and a lockout caused by one slows them all.
 */
export function untrustedProxyWatch(trustedProxies: readonly string[], log: Pick<Logger, 'warn'>) {
  const trusted = trustedMatcher(trustedProxies);
  let left = PEER_CHECKS;
  return (server: ServerLike | null | undefined, request: Request): void => {
    if (left === 0) return;
    left--;
    if (request.headers.get('x-forwarded-for') === null) return;
    const peer = peerAddress(server, request);
    if (peer === null || !isPrivateAddress(peer) || trusted(peer)) return;
    left = 0;
    log.warn(
      `requests with X-Forwarded-For come from ${peer}, a private address not in TOLLGATE_TRUSTED_PROXIES: every client behind it counts as ${peer} for lockouts and the audit log. If it is your reverse proxy, set TOLLGATE_TRUSTED_PROXIES to include it (an address, or a range such as 172.16.0.0/12).`,
      { peer },
    );
  };
}

interface Guarded extends EdgeContext {
  request: Request;
  server: ServerLike | null;
  /** the admin token was checked for this request */
  tgAdmin?: true;
  /** the credential check failed: thrown by the first hook that knows the route (parse or transform) */
  tgDenied?: GatewayError;
  /** …and it was the admin token's: refused whatever the route, so no admin path is revealed */
  tgDeniedAdmin?: true;
  route?: string;
}

/** A GatewayError thrown in a parse hook reaches the error hooks wrapped in Elysia's ParseError. */
const gatewayErrorOf = (error: unknown): GatewayError | undefined =>
  error instanceof GatewayError ? error : error instanceof Error && error.cause instanceof GatewayError ? error.cause : undefined;

/**
 * The credential checks. `failureCounter` sees every 401 for an unknown key as it is thrown (use it
 * before the app's error mapper, which answers and so ends the error chain). `guard` checks the
 * admin token on /admin/api and the API key on the key-holder paths on request, and the admin token
 * again on every admin route; use it before any body parser. A failed check is thrown by the first
 * hook that knows the route (its own parse hook, or the transform hook for a request without a
 * body), so no body is read and the request log and metrics still name the route.
 */
export function credentialGuard(deps: Pick<Deps, 'config' | 'metering' | 'log' | 'backend'>, adminToken: string) {
  const { trustedProxies } = deps.config;
  const { metering } = deps;
  const keyFailures = deps.backend.lockout({ name: 'key-guess', limit: KEY_AUTH_FAILURE_LIMIT, windowMs: KEY_AUTH_FAILURE_WINDOW_MS });
  const adminFailures = deps.backend.lockout({ name: 'admin-token', limit: ADMIN_FAILURE_LIMIT, windowMs: ADMIN_FAILURE_WINDOW_MS });
  const watchPeers = untrustedProxyWatch(trustedProxies, deps.log);

  const adminTokenMatches = (authorization: string | null) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization && authorization.length <= 1024 ? authorization : '');
    return match !== null && constantTimeEqual(match[1] as string, adminToken);
  };

  /** Throws 401 (or 429 while the address is locked out) for anything but the admin token; the wait, in ms, for a right token. */
  async function checkAdmin(ctx: Guarded): Promise<number> {
    const ip = clientAddress(ctx.server, ctx.request, trustedProxies);
    const locked = (await adminFailures.retryAfterSeconds(ip)) > 0;
    if (!adminTokenMatches(ctx.request.headers.get('authorization'))) {
      const wait = await adminFailures.fail(ip);
      throw locked ? Err.adminRateLimited(wait) : Err.invalidAdminToken();
    }
    ctx.tgAdmin = true;
    return locked ? LOCKED_OUT_DELAY_MS : 0;
  }

  /** Throws 401 for a missing, malformed, unknown or disabled key (429 for an unknown one while locked out); the wait for a valid one. */
  async function checkKey(request: Request, server: ServerLike | null, path: string): Promise<number> {
    // Authorization, or on the Anthropic paths x-api-key (Authorization wins when both are sent)
    const authorization = apiKeyCredential(request, path);
    // the usual case, nobody locked out as far as this instance has heard: no address to work out
    // for a known key. An unknown one asks the limiter itself, which another instance may have
    // locked a moment ago (in the scale-out mode this instance hears of it within a second).
    if (!keyFailures.anyLockedOut()) {
      try {
        await metering.identify(authorization);
      } catch (error) {
        if (!(error instanceof GatewayError && error.key === 'unknown_key')) throw error;
        const ip = clientAddress(server, request, trustedProxies);
        if ((await keyFailures.retryAfterSeconds(ip)) > 0) throw Err.keyAuthRateLimited(await keyFailures.fail(ip));
        throw error;
      }
      return 0;
    }
    const ip = clientAddress(server, request, trustedProxies);
    if ((await keyFailures.retryAfterSeconds(ip)) === 0) {
      await metering.identify(authorization);
      return 0;
    }
    try {
      await metering.identify(authorization);
    } catch (error) {
      if (!(error instanceof GatewayError && error.key === 'unknown_key')) throw error;
      throw Err.keyAuthRateLimited(await keyFailures.fail(ip));
    }
    return LOCKED_OUT_DELAY_MS;
  }

  /** Counts a 401 for an unknown key against the caller's address (every other error: nothing). */
  function countKeyGuess(error: unknown, request: Request, server: ServerLike | null): void {
    // Only a well-formed key that does not exist is a guess; a missing or garbled header is a
    // broken client, and counting those would lock out the developer who is setting one up.
    const gatewayError = gatewayErrorOf(error);
    if (gatewayError !== undefined && gatewayError.status === 401 && gatewayError.key === 'unknown_key') {
      keyFailures.fail(clientAddress(server, request, trustedProxies)).catch((failure: unknown) => deps.log.warn('a key guess could not be counted', { error: String(failure) }));
    }
  }

  const failureCounter = new Elysia({ name: 'key-auth-failures' }).onError({ as: 'global' }, ({ error, request, server }) => countKeyGuess(error, request, server));

  /** A key-holder route's credential check, for a handler outside the hooks below: throws the refusal, waits out a lockout's delay. */
  async function checkKeyHolder(request: Request, server: ServerLike | null, path: string): Promise<void> {
    watchPeers(server, request);
    const wait = await checkKey(request, server, path);
    if (wait > 0) await Bun.sleep(wait);
  }

  /** Throws the refusal the request was given on arrival, on an admin path or a key-holder route (an unknown path stays a 404). */
  function refuseIfDenied(denied: GatewayError | undefined, deniedAdmin: true | undefined, route: string | undefined): void {
    if (denied !== undefined && (deniedAdmin === true || (route !== undefined && isKeyHolderPath(route)))) throw denied;
  }

  const guard = new Elysia({ name: 'credentials' })
    .onRequest(async (context) => {
      const ctx = context as unknown as Guarded & { set: { headers: Record<string, string> } };
      watchPeers(ctx.server, ctx.request);
      const path = pathOfContext(ctx.request, ctx.tgPath);
      let wait = 0;
      if (under(path, ADMIN_PREFIX)) {
        ctx.set.headers['x-robots-tag'] = ROBOTS_NOINDEX;
        try {
          wait = await checkAdmin(ctx);
        } catch (error) {
          if (!(error instanceof GatewayError)) throw error;
          ctx.tgDenied = error;
          ctx.tgDeniedAdmin = true;
        }
      } else if (ctx.request.method !== 'OPTIONS' && isKeyHolderPath(path)) {
        try {
          wait = await checkKey(ctx.request, ctx.server, path);
        } catch (error) {
          if (!(error instanceof GatewayError)) throw error;
          ctx.tgDenied = error;
        }
      }
      if (wait > 0) await Bun.sleep(wait);
    })
    // the first parse hook: a refused request's body is never read
    .onParse({ as: 'global' }, (context) => {
      // its fields, not the context itself: see pathOfContext
      const ctx = context as unknown as Guarded;
      refuseIfDenied(ctx.tgDenied, ctx.tgDeniedAdmin, ctx.route);
    })
    // On the route Elysia chose: an admin route is never reached without the token, whatever path led to it.
    .onTransform({ as: 'global' }, async (context) => {
      const ctx = context as unknown as Guarded;
      refuseIfDenied(ctx.tgDenied, ctx.tgDeniedAdmin, ctx.route);
      if (ctx.tgAdmin !== true && ctx.route !== undefined && under(ctx.route, ADMIN_PREFIX)) await checkAdmin(ctx);
    });

  return { failureCounter, guard, checkKeyHolder, countKeyGuess };
}
