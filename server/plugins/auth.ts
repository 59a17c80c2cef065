import { Elysia } from 'elysia';
import type { Deps } from '../deps';
import { Err, GatewayError } from '../errors';
import { constantTimeEqual } from '../lib/keys';
import { createFailureLimiter, KEY_AUTH_FAILURE_LIMIT, KEY_AUTH_FAILURE_WINDOW_MS, type FailureLimiter } from '../modules/metering/auth-failures';

// Who is calling, and how often they may get a credential wrong. The admin token guard runs on
// request, before body parsing and validation, so an unauthenticated caller learns nothing about
// a route (not even whether its body would be valid). API keys are checked by the routes
// themselves; this file counts their 401s per address and turns a guesser away early.

const ADMIN_PREFIX = '/admin/api';
const ADMIN_FAILURE_LIMIT = 10;
const ADMIN_FAILURE_WINDOW_MS = 10 * 60_000;

/** Keeps the admin console and its API out of search engines, whatever a link points at. */
export const ROBOTS_NOINDEX = 'noindex, nofollow';

export interface ServerLike {
  requestIP(request: Request): { address: string } | null;
}

const DEFAULT_TRUSTED = ['127.0.0.1', '::1'];

/** "::ffff:1.2.3.4" (an IPv4 peer on a dual-stack socket) is 1.2.3.4. */
function normalizeAddress(address: string): string {
  const lower = address.trim().toLowerCase();
  return /^::ffff:\d+\.\d+\.\d+\.\d+$/.test(lower) ? lower.slice(7) : lower;
}

/**
 * The caller's address: the socket peer, unless the peer is a trusted reverse proxy; then the
 * right-most X-Forwarded-For entry that is not itself a trusted proxy (everything left of it
 * was written by the client and proves nothing).
 */
export function clientAddress(server: ServerLike | null | undefined, request: Request, trustedProxies: readonly string[] = DEFAULT_TRUSTED): string {
  const peer = server?.requestIP(request)?.address;
  if (!peer) return 'unknown';
  const trusted = (address: string) => trustedProxies.includes(address);
  const peerAddress = normalizeAddress(peer);
  if (!trusted(peerAddress)) return peerAddress;
  const forwarded = request.headers.get('x-forwarded-for');
  if (!forwarded || forwarded.length > 4096) return peerAddress;
  const hops = forwarded.split(',').map(normalizeAddress).filter((hop) => hop !== '');
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i] as string;
    if (!trusted(hop)) return hop.slice(0, 64);
  }
  return peerAddress;
}

/** The path of a request URL, without decoding (cheaper than new URL() on every request). */
export function pathOf(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  if (start < 0) return '/';
  const end = url.slice(start).search(/[?#]/);
  return end < 0 ? url.slice(start) : url.slice(start, start + end);
}

const under = (path: string, prefix: string) => path === prefix || path.startsWith(`${prefix}/`);

/** Paths a buyer's key authenticates: the OpenAI-compatible API and the key holder's own pages' API. */
export function isKeyHolderPath(path: string): boolean {
  return (
    under(path, '/v1') ||
    under(path, '/models') ||
    path === '/chat/completions' ||
    path === '/user/balance' ||
    under(path, '/api/usage') ||
    path === '/api/key/settings'
  );
}

/** Failed attempts per address; after `limit` within `windowMs` the address waits, right token or not. */
function createAdminTokenCheck(token: string) {
  const failures = createFailureLimiter({ limit: ADMIN_FAILURE_LIMIT, windowMs: ADMIN_FAILURE_WINDOW_MS });
  return {
    /** Throws 429 (address locked out) or 401 (missing or wrong token). */
    check(authorization: string | null, ip: string): void {
      const wait = failures.retryAfterSeconds(ip);
      if (wait > 0) throw Err.adminRateLimited(wait);
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization && authorization.length <= 1024 ? authorization : '');
      if (match && constantTimeEqual(match[1] as string, token)) return;
      failures.fail(ip);
      throw Err.invalidAdminToken();
    },
  };
}

/** Guards every path under /admin/api with the admin token. */
export function adminAuth(token: string, trustedProxies?: readonly string[]) {
  const tokenCheck = createAdminTokenCheck(token);
  return new Elysia({ name: 'admin-auth' }).onRequest(({ request, server, set }) => {
    const path = pathOf(request.url);
    if (!under(path, ADMIN_PREFIX)) return;
    set.headers['x-robots-tag'] = ROBOTS_NOINDEX;
    tokenCheck.check(request.headers.get('authorization'), clientAddress(server, request, trustedProxies));
  });
}

/**
 * Turns away an address that got an API key wrong too often (429, Retry-After), even when it
 * now sends a valid key: a guesser cannot tell a hit from a miss while locked out. Two plugins
 * sharing one count: `failureCounter` sees every 401 for an unknown key as it is thrown (it must be
 * used before the app's error mapper, which answers and so ends the error chain); `lockout`
 * refuses locked-out addresses on the key-holder paths before any work is done.
 */
export function keyAuthLimits(deps: Pick<Deps, 'config'>, failures: FailureLimiter = createFailureLimiter({ limit: KEY_AUTH_FAILURE_LIMIT, windowMs: KEY_AUTH_FAILURE_WINDOW_MS })) {
  const { trustedProxies } = deps.config;
  return {
    failureCounter: new Elysia({ name: 'key-auth-failures' }).onError({ as: 'global' }, ({ error, request, server }) => {
      // Only a well-formed key that does not exist is a guess; a missing or garbled header is a
      // broken client, and counting those would lock out the developer who is setting one up.
      if (error instanceof GatewayError && error.status === 401 && error.key === 'unknown_key') {
        failures.fail(clientAddress(server, request, trustedProxies));
      }
    }),
    lockout: new Elysia({ name: 'key-auth-lockout' }).onRequest(({ request, server }) => {
      // the usual case, nobody failing: no address to work out on every request
      if (failures.size() === 0 || !isKeyHolderPath(pathOf(request.url))) return;
      const wait = failures.retryAfterSeconds(clientAddress(server, request, trustedProxies));
      if (wait > 0) throw Err.keyAuthRateLimited(wait);
    }),
  };
}
