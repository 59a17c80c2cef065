import type { Tx } from '../../backend';
import type { Deps } from '../../deps';
import { Err } from '../../errors';
import { parseUsd } from '../../lib/money';
import { clientAddress } from '../../plugins/auth';
import type { AdminStore, Page } from './store';

// What every admin route file shares: the deps, the admin store, the audit writer and parsing.

export interface Caller {
  request: Request;
  server: { requestIP(request: Request): { address: string } | null } | null;
}

export interface AdminContext {
  deps: Deps;
  store: AdminStore;
  /** one audit row for an operator's change, actor "admin" (in `tx` when the change has one) */
  audit(caller: Caller, action: string, target: string | null, before: unknown, after: unknown, tx?: Tx): Promise<void>;
  now(): number;
}

export function createAdminContext(deps: Deps): AdminContext {
  return {
    deps,
    store: deps.backend.stores.admin,
    audit: (caller, action, target, before, after, tx) =>
      deps.audit.record({ actor: 'admin', ip: clientAddress(caller.server, caller.request, deps.config.trustedProxies), action, target, before, after }, tx),
    now: () => deps.clock.now(),
  };
}

/** The OpenAPI detail every admin route has: the Admin tag and the admin token. */
export const detail = (summary: string, description?: string) => ({ tags: ['Admin'], security: [{ adminToken: [] }], summary, description });

export const MAX_LIMIT = 500;

export function pageOf(query: { limit?: number; offset?: number }): Page {
  return { limit: Math.min(Math.max(query.limit ?? 50, 1), MAX_LIMIT), offset: Math.max(query.offset ?? 0, 0) };
}

/** "5", "5.5", "5.000000000" → nano-USD; 400 naming the field otherwise. */
export function usdField(field: string, text: string): number {
  try {
    return parseUsd(text);
  } catch (error) {
    throw Err.invalidField(field, error instanceof Error ? error.message : 'not a USD amount');
  }
}

/** An ISO 8601 time → ms; 400 naming the field otherwise. */
export function timeField(field: string, text: string): number {
  const ms = Date.parse(text);
  if (!Number.isFinite(ms)) throw Err.invalidField(field, 'not an ISO 8601 time');
  return ms;
}

/** Drops undefined values, so an audit row shows only what changed. */
export function defined<T extends Record<string, unknown>>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
