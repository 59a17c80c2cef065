import { Elysia } from 'elysia';
import { Err } from '../errors';
import { constantTimeEqual } from '../lib/keys';

// The admin bearer token guard. It runs on request, before body parsing and validation, so an
// unauthenticated caller learns nothing about a route (not even whether its body would be valid).

export const ADMIN_PREFIX = '/admin/api';
export const ADMIN_FAILURE_LIMIT = 10;
export const ADMIN_FAILURE_WINDOW_MS = 10 * 60_000;

interface ServerLike {
  requestIP(request: Request): { address: string } | null;
}

export const clientIp = (server: ServerLike | null | undefined, request: Request): string => server?.requestIP(request)?.address ?? 'unknown';

/** Failed attempts per address; after `limit` within `windowMs` the address waits, right token or not. */
export function createAdminTokenCheck(opts: { token: string; now?: () => number; limit?: number; windowMs?: number }) {
  const now = opts.now ?? Date.now;
  const limit = opts.limit ?? ADMIN_FAILURE_LIMIT;
  const windowMs = opts.windowMs ?? ADMIN_FAILURE_WINDOW_MS;
  const failures = new Map<string, number[]>();

  const recent = (ip: string, at: number) => (failures.get(ip) ?? []).filter((t) => t > at - windowMs);

  return {
    /** Throws 429 (address locked out) or 401 (missing or wrong token). */
    check(authorization: string | null, ip: string): void {
      const at = now();
      if (failures.size > 10_000) for (const [address] of failures) if (recent(address, at).length === 0) failures.delete(address);
      const fails = recent(ip, at);
      if (fails.length >= limit) {
        failures.set(ip, fails);
        throw Err.adminRateLimited(Math.max(1, Math.ceil(((fails[0] ?? at) + windowMs - at) / 1000)));
      }
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization && authorization.length <= 1024 ? authorization : '');
      if (match && constantTimeEqual(match[1] as string, opts.token)) return;
      fails.push(at);
      failures.set(ip, fails);
      throw Err.invalidAdminToken();
    },
    reset: () => failures.clear(),
  };
}

/** Guards every path under /admin/api with the admin token. */
export function adminAuth(token: string) {
  const tokenCheck = createAdminTokenCheck({ token });
  return new Elysia({ name: 'admin-auth' }).onRequest(({ request, server }) => {
    const { pathname } = new URL(request.url);
    if (pathname !== ADMIN_PREFIX && !pathname.startsWith(`${ADMIN_PREFIX}/`)) return;
    tokenCheck.check(request.headers.get('authorization'), clientIp(server, request));
  });
}
